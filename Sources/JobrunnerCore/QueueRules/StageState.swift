/// Where one stage is in its life: `queued → running → succeeded | failed`,
/// plus `interrupted` (an EXECUTE whose worker vanished) and `cancelled` (by an operator).
public enum StageState: String, Sendable, Codable, CaseIterable {
    case queued
    case running
    case succeeded
    case failed
    case interrupted
    case cancelled

    /// Nothing will happen to the stage again unless an operator acts.
    public var isTerminal: Bool {
        switch self {
        case .queued, .running: false
        case .succeeded, .failed, .interrupted, .cancelled: true
        }
    }

    /// States from which an operator may queue the stage again.
    public var isRetryable: Bool { self == .failed || self == .interrupted }
}
