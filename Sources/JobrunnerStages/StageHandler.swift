import Foundation
import JobrunnerCore
import Logging

/// Does the work of one stage kind. PROCESS, EXECUTE and CLEANUP each have one.
///
/// Throw a `StageFailure` (or a `ClassifiedError`) to say whether a retry could help; any
/// other error counts as transient. Handlers must stop promptly when their task is
/// cancelled (shutdown past the grace period, or a lost lease) — an EXECUTE handler by
/// killing the script.
public protocol StageHandler: Sendable {
    func run(_ stage: ClaimedStage, logger: Logger) async throws -> StageSuccess
}

/// Thrown by EXECUTE when the run it should follow cannot be followed to its end (a re-attached
/// Kubernetes Job that is gone): the stage becomes `interrupted`, as when a local run's worker dies.
public struct StageInterrupted: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Thrown by a handler whose work cannot start yet (EXECUTE behind the deploy gate): the
/// worker hands the stage back to be claimed again from `until`, with `reason` for all to see.
public struct StageDeferral: Error, Sendable, Equatable {
    public var until: Date
    public var reason: String
    /// The merged pull request, to tell it why (when PROCESS found it).
    public var pullRequest: Int?

    public init(until: Date, reason: String, pullRequest: Int? = nil) {
        self.until = until
        self.reason = reason
        self.pullRequest = pullRequest
    }
}

/// What a handler reports when its stage is done.
public struct StageSuccess: Sendable, Equatable {
    /// One line shown with the stage ("built with esbuild 0.17.0, 2.1 kB").
    public var summary: String?
    /// What the outside world hears of it, written to the outbox with the stage's completion.
    public var feedback: [PipelineEvent]

    public init(summary: String? = nil, feedback: [PipelineEvent] = []) {
        self.summary = summary
        self.feedback = feedback
    }
}

/// The handlers a worker pool runs. A pool claims only kinds it has a handler for, so stages
/// of other kinds wait, durably queued, for a process that can run them.
public struct StageHandlers: Sendable {
    private var handlers: [StageKind: any StageHandler]

    public init(_ handlers: [StageKind: any StageHandler] = [:]) { self.handlers = handlers }

    public var kinds: Set<StageKind> { Set(handlers.keys) }

    public subscript(kind: StageKind) -> (any StageHandler)? {
        get { handlers[kind] }
        set { handlers[kind] = newValue }
    }
}

extension StageFailure {
    /// How a worker reads an error thrown by a handler.
    public init(classifying error: any Error) {
        switch error {
        case let failure as StageFailure: self = failure
        case let classified as any ClassifiedError: self.init(classified.failureKind, "\(error)")
        default: self.init(.transient, "\(error)")
        }
    }
}
