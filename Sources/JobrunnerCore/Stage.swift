import Foundation

/// A stored stage.
public struct StageRecord: Sendable, Equatable {
    public var id: StageID
    public var pipelineID: PipelineID
    public var kind: StageKind
    public var state: StageState
    /// Attempts started so far (0 while it has never been claimed).
    public var attempt: Int
    public var maxAttempts: Int
    /// Not claimable before this time (backoff).
    public var runAfter: Date
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The last failure, kept after a retry so operators see what happened.
    public var lastError: String?
    /// A handler's one-line account of a successful run.
    public var summary: String?
    /// An operator asked to stop this running EXECUTE; its worker kills the script.
    public var cancelRequestedBy: String?
    public var cancelRequestedAt: Date?
    /// Why a queued EXECUTE has not started yet (the deploy gate), shown wherever the stage is.
    public var waitReason: String?
    /// When it began waiting; the wait ends in failure after `JOBRUNNER_DEPLOY_WAIT`.
    public var waitingSince: Date?

    public init(
        id: StageID, pipelineID: PipelineID, kind: StageKind, state: StageState, attempt: Int,
        maxAttempts: Int, runAfter: Date, leaseOwner: String? = nil, leaseExpiresAt: Date? = nil,
        createdAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil, lastError: String? = nil,
        summary: String? = nil, cancelRequestedBy: String? = nil, cancelRequestedAt: Date? = nil,
        waitReason: String? = nil, waitingSince: Date? = nil
    ) {
        self.waitReason = waitReason
        self.waitingSince = waitingSince
        self.id = id
        self.pipelineID = pipelineID
        self.kind = kind
        self.state = state
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.runAfter = runAfter
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.lastError = lastError
        self.summary = summary
        self.cancelRequestedBy = cancelRequestedBy
        self.cancelRequestedAt = cancelRequestedAt
    }
}

/// Proof that a worker holds a stage. Every write about a running stage presents it, so a
/// worker whose lease was rescued cannot overwrite what its successor did.
public struct Lease: Sendable, Hashable {
    public var stageID: StageID
    public var owner: String
    public var attempt: Int
    public var expiresAt: Date

    public init(stageID: StageID, owner: String, attempt: Int, expiresAt: Date) {
        self.stageID = stageID
        self.owner = owner
        self.attempt = attempt
        self.expiresAt = expiresAt
    }
}

/// A stage a worker has claimed, with what it needs to work on it.
public struct ClaimedStage: Sendable, Equatable {
    public var lease: Lease
    public var kind: StageKind
    public var pipeline: PipelineRecord

    public init(lease: Lease, kind: StageKind, pipeline: PipelineRecord) {
        self.lease = lease
        self.kind = kind
        self.pipeline = pipeline
    }
}

/// What happened to a stage after a failed attempt was recorded.
public enum FailureDisposition: Sendable, Equatable {
    /// Queued again; claimable from this time.
    case willRetry(at: Date)
    /// Failed for good (permanent error, or attempts exhausted) until an operator retries.
    case failed
}

/// What a lease rescue did.
public struct RescueReport: Sendable, Equatable {
    /// PROCESS/CLEANUP stages queued again.
    public var requeued: [StageID] = []
    /// PROCESS/CLEANUP stages that had no attempts left.
    public var failed: [StageID] = []
    /// EXECUTE stages marked `interrupted`, never re-run by themselves.
    public var interrupted: [StageID] = []

    public init(requeued: [StageID] = [], failed: [StageID] = [], interrupted: [StageID] = []) {
        self.requeued = requeued
        self.failed = failed
        self.interrupted = interrupted
    }

    public var isEmpty: Bool { requeued.isEmpty && failed.isEmpty && interrupted.isEmpty }
}
