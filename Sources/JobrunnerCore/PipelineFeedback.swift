import Foundation

/// What the outside world hears about a pipeline: commit statuses, a pull request comment,
/// signed callbacks. Best effort — a channel that fails is recorded, never fails the pipeline.
public enum PipelineEvent: Sendable, Equatable {
    /// PROCESS began.
    case started
    /// CLEANUP committed the log; the script ran to `report.outcome`.
    case finished(PipelineReport)
    /// A stage failed for good (until an operator retries it).
    case failed(stage: StageKind, reason: String)
    /// EXECUTE waits before it starts (the deploy gate), for this reason; `pullRequest` is the
    /// merged pull request when PROCESS found it.
    case waiting(reason: String, pullRequest: Int?)

    /// The event with its free text (reasons) masked.
    public func masked(_ masker: SecretMasker) -> PipelineEvent {
        switch self {
        case .started, .finished: self
        case .failed(let stage, let reason): .failed(stage: stage, reason: masker.mask(reason))
        case .waiting(let reason, let pullRequest): .waiting(reason: masker.mask(reason), pullRequest: pullRequest)
        }
    }

    public var name: String {
        switch self {
        case .started: "started"
        case .waiting: "waiting"
        case .finished(let report): report.outcome == .succeeded ? "succeeded" : "failed"
        case .failed: "failed"
        }
    }
}

/// How a pipeline ended, for the feedback channels.
public struct PipelineReport: Sendable, Equatable {
    public var outcome: ExecutionOutcome
    public var exitCode: Int32?
    public var duration: Duration?
    public var logPath: String
    /// Where a person reads the log (the file on the branch), when the host is known.
    public var logURL: String?
    /// The commit that holds the log.
    public var logCommit: String
    /// The merged pull request the script came from, when known.
    public var pullRequest: Int?

    public init(
        outcome: ExecutionOutcome, exitCode: Int32?, duration: Duration?, logPath: String, logURL: String?,
        logCommit: String, pullRequest: Int?
    ) {
        self.outcome = outcome
        self.exitCode = exitCode
        self.duration = duration
        self.logPath = logPath
        self.logURL = logURL
        self.logCommit = logCommit
        self.pullRequest = pullRequest
    }
}

/// One way of telling the outside world.
public protocol FeedbackChannel: Sendable {
    /// e.g. `commit-status`, `pull-request-comment`, `callback`.
    var name: String { get }
    /// Delivers what this channel says about the event; returns where it went, or nil when the
    /// channel has nothing to say about it. Throws when delivery failed.
    func deliver(_ event: PipelineEvent, for pipeline: PipelineRecord) async throws -> [String]
}

/// One delivery attempt of feedback, kept with the pipeline so operators see what failed.
public struct FeedbackRecord: Sendable, Equatable {
    public var pipelineID: PipelineID
    public var channel: String
    public var event: String
    public var target: String
    /// Nil when delivered.
    public var error: String?
    public var at: Date

    public init(pipelineID: PipelineID, channel: String, event: String, target: String, error: String?, at: Date) {
        self.pipelineID = pipelineID
        self.channel = channel
        self.event = event
        self.target = target
        self.error = error
        self.at = at
    }
}
