/// The three stages every pipeline runs through, in this order.
public enum StageKind: String, Sendable, Codable, CaseIterable, Comparable {
    /// Fetch the committed source and build it. Idempotent, retried automatically.
    case process
    /// Run the built artifact. At-most-once: never re-run without an operator.
    case execute
    /// Remove the script and commit the execution log. Idempotent, retried automatically.
    case cleanup

    /// The stage enqueued when this one finishes, or `nil` after the last one.
    public var next: StageKind? {
        switch self {
        case .process: .execute
        case .execute: .cleanup
        case .cleanup: nil
        }
    }

    /// Whether running this stage twice is harmless, which decides how a lost lease is rescued.
    public var isIdempotent: Bool { self != .execute }

    public var displayName: String { rawValue.uppercased() }

    private var order: Int {
        switch self {
        case .process: 0
        case .execute: 1
        case .cleanup: 2
        }
    }

    public static func < (lhs: StageKind, rhs: StageKind) -> Bool { lhs.order < rhs.order }
}
