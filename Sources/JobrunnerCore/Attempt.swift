import Foundation

/// How one attempt of a stage ended.
public enum AttemptOutcome: String, Sendable, Codable {
    case running
    case succeeded
    /// Failed with a transient error and was queued again.
    case retrying
    case failed
    /// Handed back unstarted or stopped at shutdown; not counted against the attempts.
    case released
    /// The worker's lease expired (crash, hang); PROCESS/CLEANUP are queued again.
    case abandoned
    /// An EXECUTE whose worker vanished or stopped it: it may or may not have had effects.
    case interrupted
    case cancelled
}

/// One try at one stage: the history the dashboard and the execution log show.
public struct AttemptRecord: Sendable, Equatable {
    public var id: Int64
    public var stageID: StageID
    public var kind: StageKind
    public var attempt: Int
    public var worker: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var outcome: AttemptOutcome
    public var error: String?

    public init(
        id: Int64, stageID: StageID, kind: StageKind, attempt: Int, worker: String,
        startedAt: Date, finishedAt: Date? = nil, outcome: AttemptOutcome, error: String? = nil
    ) {
        self.id = id
        self.stageID = stageID
        self.kind = kind
        self.attempt = attempt
        self.worker = worker
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.error = error
    }
}
