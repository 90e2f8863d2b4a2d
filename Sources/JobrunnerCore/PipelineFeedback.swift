import Foundation

/// What the outside world hears about a pipeline: commit statuses, the pull request comment,
/// chat, signed callbacks. Written to the outbox with the stage change that caused it and
/// delivered in the background (`OutboxMessage`): a channel that fails never holds a pipeline.
public enum PipelineEvent: Sendable, Equatable, Codable {
    /// PROCESS began (building).
    case started
    /// EXECUTE started the script.
    case running
    /// The running script reported progress (coalesced: at most one waits in the outbox).
    case progress
    /// CLEANUP committed the log; the script ran to `report.outcome`.
    case finished(PipelineReport)
    /// A stage failed for good (until an operator retries it).
    case failed(stage: StageKind, reason: String)
    /// CLEANUP committed the log of a pipeline an operator discarded: its script did not run (or
    /// may have, when its EXECUTE was interrupted).
    case discarded(by: String, reason: String, logPath: String, logURL: String?, logCommit: String)
    /// EXECUTE waits before it starts (the deploy gate), for this reason; `pullRequest` is the
    /// merged pull request when PROCESS found it.
    case waiting(reason: String, pullRequest: Int?)

    /// The event with its free text (reasons) masked.
    public func masked(_ masker: SecretMasker) -> PipelineEvent {
        switch self {
        case .started, .running, .progress, .finished: self
        case .failed(let stage, let reason): .failed(stage: stage, reason: masker.mask(reason))
        case .waiting(let reason, let pullRequest): .waiting(reason: masker.mask(reason), pullRequest: pullRequest)
        case .discarded(let by, let reason, let path, let url, let commit):
            .discarded(by: by, reason: masker.mask(reason), logPath: path, logURL: url, logCommit: commit)
        }
    }

    public var name: String {
        switch self {
        case .started: "started"
        case .running: "running"
        case .progress: "progress"
        case .waiting: "waiting"
        case .finished(let report): report.outcome == .succeeded ? "succeeded" : "failed"
        case .failed: "failed"
        case .discarded: "discarded"
        }
    }
}

/// How a pipeline ended, for the feedback channels.
public struct PipelineReport: Sendable, Equatable, Codable {
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
    /// e.g. `commit-status`, `pull-request-comment`, `slack`, `callback`.
    var name: String { get }
    /// Whether this channel says anything about `event`; asked once, when the outbox message is
    /// first delivered.
    func wants(_ event: PipelineEvent) -> Bool
    /// Delivers what this channel says; returns where it went (empty when it had nothing to say
    /// after all). Throws `FeedbackDeferral` to be asked again later without counting a failed
    /// attempt (a rate limit), `FeedbackRefused` when trying again cannot help, anything else
    /// to be retried with backoff.
    func deliver(_ delivery: FeedbackDelivery) async throws -> [String]
}

/// One outbox message on its way to a channel, with what the pipeline looks like now.
public struct FeedbackDelivery: Sendable {
    /// The outbox message: the same on every retry, so receivers can drop duplicates.
    public var messageID: Int64
    public var event: PipelineEvent
    public var pipeline: PipelineRecord
    /// No later message of this pipeline waits in the outbox: a channel that shows the current
    /// state (the pull-request comment) skips messages a later one will cover anyway.
    public var isLatest: Bool
    public var snapshot: PipelineSnapshot

    public init(messageID: Int64, event: PipelineEvent, pipeline: PipelineRecord, isLatest: Bool, snapshot: PipelineSnapshot) {
        self.messageID = messageID
        self.event = event
        self.pipeline = pipeline
        self.isLatest = isLatest
        self.snapshot = snapshot
    }
}

/// What a pipeline looks like when its feedback is delivered (not when the event happened).
public struct PipelineSnapshot: Sendable {
    public var detail: PipelineDetail?
    public var artifact: Artifact?
    /// The latest run of the script, with its (masked, capped) output so far.
    public var execution: ExecutionRecord?

    public init(detail: PipelineDetail?, artifact: Artifact?, execution: ExecutionRecord?) {
        self.detail = detail
        self.artifact = artifact
        self.execution = execution
    }

    /// The merged pull request: as intake found it, else as PROCESS found it.
    public func pullRequest(of pipeline: PipelineRecord) -> Int? {
        pipeline.source.pullRequest ?? artifact?.approval?.number
    }
}

/// A channel asks to be tried again at `until` (its rate limit); not a failed attempt.
public struct FeedbackDeferral: Error, Sendable, Equatable {
    public var until: Date
    public init(until: Date) { self.until = until }
}

/// A channel's receiver refused the message for good (a 4xx other than a rate limit):
/// recorded, never retried.
public struct FeedbackRefused: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
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
