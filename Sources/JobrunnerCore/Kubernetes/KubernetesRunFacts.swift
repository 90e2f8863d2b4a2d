import Foundation

/// Where a script ran as a Kubernetes Job and how its container ended: kept with the run and
/// written to the committed log.
public struct KubernetesRunFacts: Sendable, Equatable, Codable {
    public var namespace: String
    public var job: String
    public var image: String
    /// The container's (or pod's, or Job's) reason: `Completed`, `Error`, `OOMKilled`,
    /// `Evicted`, `DeadlineExceeded`; nil while it runs.
    public var reason: String?
    /// What Kubernetes said about it, when it said anything.
    public var message: String?

    public init(namespace: String, job: String, image: String, reason: String? = nil, message: String? = nil) {
        self.namespace = namespace
        self.job = job
        self.image = image
        self.reason = reason
        self.message = message
    }
}

/// How a script's container ended, as the API server reports it, and what that means for the
/// run: decided here for the runner, the log and the tests alike.
public struct KubernetesTermination: Sendable, Equatable {
    /// The container's exit code; nil when it never reported one (evicted, deleted).
    public var exitCode: Int32?
    public var reason: String?
    public var message: String?

    public init(exitCode: Int32?, reason: String?, message: String? = nil) {
        self.exitCode = exitCode
        self.reason = reason
        self.message = message
    }

    /// The Job's `activeDeadlineSeconds` passed.
    public static let deadlineExceeded = "DeadlineExceeded"
    public static let oomKilled = "OOMKilled"
    public static let evicted = "Evicted"

    public var outcome: ExecutionOutcome {
        switch reason {
        case Self.deadlineExceeded?: return .timedOut
        case Self.oomKilled?, Self.evicted?: return .killed
        default:
            guard let exitCode else { return .killed }
            return exitCode == 0 ? .succeeded : .failed
        }
    }

    /// The signal that ended it, as far as it is known: the kernel's OOM killer sends SIGKILL;
    /// otherwise only a 128+N exit of a killed container says.
    public var signal: Int32? {
        if reason == Self.oomKilled { return 9 }
        guard outcome == .killed, let exitCode, exitCode > 128, exitCode < 128 + 65 else { return nil }
        return exitCode - 128
    }
}
