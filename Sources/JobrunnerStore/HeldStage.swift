import JobrunnerCore

/// A stage a lease still holds, as the drivers read it before changing it: enough to ask
/// Core's rules what happens next, without reading the row again.
package struct HeldStage: Sendable {
    package var kind: StageKind
    package var pipeline: Int64
    package var maxAttempts: Int

    package init(kind: StageKind, pipeline: Int64, maxAttempts: Int) {
        self.kind = kind
        self.pipeline = pipeline
        self.maxAttempts = maxAttempts
    }
}
