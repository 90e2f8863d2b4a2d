import JobrunnerCore

/// A stage a lease still holds, as the drivers read it before changing it: enough to ask
/// Core's rules what happens next, without reading the row again.
struct HeldStage: Sendable {
    var kind: StageKind
    var pipeline: Int64
    var maxAttempts: Int
}
