/// How a failed attempt is treated.
public enum FailureKind: String, Sendable, Codable {
    /// Network trouble, a 5xx, a rejected push: worth trying again later.
    case transient
    /// A syntax error, a file too large, a policy refusal: trying again cannot help.
    case permanent
}

/// What a stage handler reports when it cannot finish.
public struct StageFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: FailureKind
    /// What happened and what an operator can do about it.
    public var message: String

    public init(_ kind: FailureKind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func transient(_ message: String) -> StageFailure { .init(.transient, message) }
    public static func permanent(_ message: String) -> StageFailure { .init(.permanent, message) }

    public var description: String { "\(kind.rawValue): \(message)" }
}

/// Errors that know whether retrying could help. Handlers' own error types adopt it;
/// any other error is treated as transient (for idempotent stages only).
public protocol ClassifiedError: Error {
    var failureKind: FailureKind { get }
}
