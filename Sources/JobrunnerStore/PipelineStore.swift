import Foundation
import JobrunnerCore
import Logging
import ServiceLifecycle

/// The durable queue of pipeline stages: every role below, in one database.
///
/// Every method is one transaction. Implementations must guarantee, across processes and nodes:
/// - a recorded delivery survives a crash the moment the call returns (it was acknowledged);
/// - a stage is held by at most one lease at a time, and only the holder can finish it;
/// - finishing a stage and enqueueing the next one happen together or not at all;
/// - an EXECUTE stage is `running` on disk before `claimNext` returns it, and is never queued
///   again except by `retry`;
/// - EXECUTE stages of one repository never overlap and start in pipeline-id order.
///
/// What happens to a stage (retry or fail, rescue, successor, status, operator retry and cancel)
/// is decided by the rules in Core (`RetryPolicy`, `StageKind.rescued`, `StageKind.next`,
/// `PipelineStatus.rule`, `OperatorRetryRule`, `CancelRule`); drivers only run the SQL.
///
/// Each consumer depends on the role it uses, so a test stand-in implements one role. The
/// conformance suite in `Tests/JobrunnerStoreTests` states the rules as tests; every driver
/// must pass it.
public protocol PipelineStore:
    DeliveryRecording, StageQueue, OperatorControls, PipelineLookup, StoreReadiness, RunRecords, FeedbackLog,
    RetentionPruning, DryRunLog, StoreUpkeep
{}

/// What a driver runs beside the service (closing connections, background indexing,
/// checkpoints, folding counters): each driver hands over its own, so the assembly need not
/// know which driver it holds.
public protocol StoreUpkeep: Sendable {
    /// In start order; they stop in reverse, so the first (the store itself, where it is one)
    /// stops last.
    func upkeepServices(logger: Logger) -> [any Service]
}

extension StoreUpkeep {
    /// A store with nothing to run beside the service (test stand-ins).
    public func upkeepServices(logger: Logger) -> [any Service] { [] }
}

/// Intake: what a webhook delivery created, recorded durably before GitHub hears back.
public protocol DeliveryRecording: Sendable {
    /// Records a delivery and the pipelines it produced (each with a queued PROCESS stage).
    /// A delivery id seen before creates nothing and returns what the first call created —
    /// unless that delivery `failed` (it created nothing), in which case it is recorded afresh.
    /// A pipeline whose (repository, path, commit) exists already is matched, not duplicated.
    func recordDelivery(_ delivery: NewDelivery, pipelines: [NewPipeline]) async throws
        -> RecordedDelivery
}

/// What workers do with stages: claim, hold, finish, hand back, rescue.
public protocol StageQueue: Sendable {
    /// Atomically takes the next runnable stage of one of `kinds` and leases it to `owner`.
    /// Counts an attempt. Returns `nil` when nothing is runnable now.
    func claimNext(owner: String, kinds: Set<StageKind>, leaseDuration: Duration) async throws
        -> ClaimedStage?

    /// Extends a held lease. Throws `PipelineStoreError.leaseLost` if it is no longer held.
    func renew(_ lease: Lease, leaseDuration: Duration) async throws -> Lease

    /// Hands a claimed stage back (shutdown), as `StageKind.released` decides; `reattachable`:
    /// the run goes on without the worker (a Kubernetes Job).
    func release(_ lease: Lease, reason: String, reattachable: Bool) async throws

    /// Marks the stage succeeded and enqueues `StageKind.next` and `feedback` (the outbox), in
    /// one transaction.
    func complete(_ lease: Lease, summary: String?, feedback: [PipelineEvent]) async throws

    /// Records a failed attempt as `RetryPolicy.decide` says: queued again after a backoff, or
    /// failed until an operator retries it — then `feedbackIfFailed` joins the outbox in the
    /// same transaction.
    @discardableResult
    func fail(_ lease: Lease, failure: StageFailure, feedbackIfFailed: [PipelineEvent]) async throws -> FailureDisposition

    /// Hands back a held stage whose work cannot start yet (EXECUTE behind the deploy gate), to
    /// be claimed again from `until`: the attempt is not counted, `reason` stays with the stage
    /// for everyone to see, and `waitingSince` is set when the wait begins. The stage stays
    /// queued, so later pipelines of its repository keep waiting behind it. Returns true when
    /// this call began the wait; then `feedbackIfBegan` joins the outbox in the same transaction.
    @discardableResult
    func deferStage(_ lease: Lease, until: Date, reason: String, feedbackIfBegan: [PipelineEvent]) async throws -> Bool

    /// Frees stages whose lease expired, as `StageKind.rescued` decides; `reattachable`: an
    /// EXECUTE's run goes on without its worker (a Kubernetes Job) and is queued to be re-attached.
    func rescueExpiredLeases(reattachable: Bool) async throws -> RescueReport

    /// Whether an operator asked to stop the stage `lease` holds. Throws `leaseLost` when the
    /// lease is gone.
    func cancelRequested(_ lease: Lease) async throws -> Bool

    /// Ends a stopped EXECUTE as `cancelled` and queues CLEANUP, in one transaction: the script
    /// ran (partly), so its log must still be committed and the script removed.
    func finishCancelled(_ lease: Lease, reason: String) async throws
}

/// What operators may ask for, recorded with their name.
public protocol OperatorControls: Sendable {
    /// An operator queues a failed or interrupted stage again (`OperatorRetryRule`).
    func retry(stage: StageID, operatorName: String, reason: String?) async throws

    /// An operator cancels a pipeline (`CancelRule`): a queued current stage becomes `cancelled`
    /// at once; a running EXECUTE gets a cancel request that its worker — on whichever node —
    /// acts on by killing the script (`cancelRequested`, then `finishCancelled`).
    @discardableResult
    func cancel(pipeline: PipelineID, operatorName: String, reason: String?) async throws -> CancelOutcome

    /// An operator gives up on a pipeline's script (`DiscardRule`): the pipeline is marked
    /// discarded, with who and why, and CLEANUP is queued to remove the script and commit a log
    /// saying it did not run (or may have run) — in one transaction.
    func discard(pipeline: PipelineID, operatorName: String, reason: String) async throws
}

/// Reading pipelines and deliveries: lists, pages, statistics.
public protocol PipelineLookup: Sendable {
    /// Newest first.
    func pipelines(_ filter: PipelineFilter) async throws -> [PipelineSummary]

    func pipeline(_ id: PipelineID) async throws -> PipelineDetail?

    func delivery(_ id: DeliveryID) async throws -> DeliveryRecord?

    /// Counts for `/metrics`, across every node sharing the store.
    func statistics() async throws -> QueueStatistics
}

/// Whether the store can be used: what `/readyz` asks.
public protocol StoreReadiness: Sendable {
    /// Reachable and migrated.
    func checkReady() async throws
}

/// What PROCESS built and what EXECUTE ran.
public protocol RunRecords: Sendable {
    /// Stores what PROCESS built (replacing an earlier attempt's). The lease must still be held.
    func saveArtifact(_ artifact: Artifact, lease: Lease) async throws

    func artifact(for pipeline: PipelineID) async throws -> Artifact?

    /// Opens the record of one script run under a held EXECUTE lease, with `feedback` for the
    /// outbox in the same transaction; returns its id.
    func startExecution(lease: Lease, feedback: [PipelineEvent]) async throws -> Int64

    /// Appends output while the script runs, so a live view and a crash both see it.
    func appendOutput(execution: Int64, stdout: [UInt8], stderr: [UInt8]) async throws

    /// Keeps the latest progress the running script reported, and adds `feedback` to the
    /// outbox (coalesced: `PipelineEvent.coalesces`).
    func recordProgress(execution: Int64, progress: ProgressReport, feedback: [PipelineEvent]) async throws

    /// Writes how the run ended: final (capped, masked) output, status, times, last progress.
    func finishExecution(_ record: ExecutionRecord) async throws

    /// Every run of a pipeline's script, oldest first.
    func executions(for pipeline: PipelineID) async throws -> [ExecutionRecord]
}

/// The feedback outbox (commit statuses, the pull-request comment, chat, callbacks): events
/// written with the stage changes that caused them, delivered in the background in order per
/// pipeline, and every delivery attempt recorded.
public protocol FeedbackLog: CommentThreadStore {
    func recordFeedback(_ record: FeedbackRecord) async throws

    /// A pipeline's feedback deliveries, oldest first.
    func feedback(for pipeline: PipelineID) async throws -> [FeedbackRecord]

    /// Adds events of a pipeline to the outbox outside a stage change (PROCESS began).
    func enqueueFeedback(_ events: [PipelineEvent], for pipeline: PipelineID) async throws

    /// Leases up to `limit` messages that are due, each the oldest pending one of its pipeline.
    func claimFeedback(owner: String, limit: Int, leaseDuration: Duration) async throws -> [ClaimedFeedback]

    /// Settles a claimed message and stores the round's delivery records, in one transaction.
    /// Does nothing when `owner` no longer holds the message (its lease expired and another
    /// node took it).
    func settleFeedback(_ message: OutboxMessage, owner: String, _ settlement: OutboxSettlement, records: [FeedbackRecord])
        async throws

    /// A pipeline's outbox messages, oldest first.
    func outbox(for pipeline: PipelineID) async throws -> [OutboxMessage]

    /// When the next pending message is due (nil: none pending).
    func nextFeedbackDue() async throws -> Date?
}

extension StageQueue {
    public func release(_ lease: Lease, reason: String) async throws {
        try await release(lease, reason: reason, reattachable: false)
    }

    public func rescueExpiredLeases() async throws -> RescueReport {
        try await rescueExpiredLeases(reattachable: false)
    }

    public func complete(_ lease: Lease, summary: String?) async throws {
        try await complete(lease, summary: summary, feedback: [])
    }

    @discardableResult
    public func fail(_ lease: Lease, failure: StageFailure) async throws -> FailureDisposition {
        try await fail(lease, failure: failure, feedbackIfFailed: [])
    }

    @discardableResult
    public func deferStage(_ lease: Lease, until: Date, reason: String) async throws -> Bool {
        try await deferStage(lease, until: until, reason: reason, feedbackIfBegan: [])
    }
}

extension RunRecords {
    public func startExecution(lease: Lease) async throws -> Int64 {
        try await startExecution(lease: lease, feedback: [])
    }

    public func recordProgress(execution: Int64, progress: ProgressReport) async throws {
        try await recordProgress(execution: execution, progress: progress, feedback: [])
    }
}

/// Retention of finished pipelines.
public protocol RetentionPruning: Sendable {
    /// Deletes up to `limit` pipelines at rest (nothing queued or running) whose last stage
    /// finished before `cutoff` — with their stages, attempts, operator actions, artifact,
    /// executions, feedback and outbox — then deliveries older than `cutoff` that no longer name a
    /// pipeline, and dry runs of pull requests closed before `cutoff`. Returns how many pipelines
    /// it removed; call again while it returns `limit`.
    func prune(finishedBefore cutoff: Date, limit: Int) async throws -> Int
}

/// What an operator's cancel did.
public enum CancelOutcome: String, Sendable, Equatable, Codable {
    /// The queued stage was cancelled; nothing of the pipeline runs any more.
    case cancelled
    /// The running EXECUTE was asked to stop; its worker kills the script shortly.
    case stopRequested = "stop-requested"
}

/// A snapshot of the queue, for metrics.
public struct QueueStatistics: Sendable, Equatable {
    public var pipelinesByStatus: [PipelineStatus: Int]
    public var queuedByKind: [StageKind: Int]
    public var runningByKind: [StageKind: Int]
    /// When the longest-waiting runnable stage became runnable.
    public var oldestQueuedSince: Date?

    public init(
        pipelinesByStatus: [PipelineStatus: Int] = [:], queuedByKind: [StageKind: Int] = [:],
        runningByKind: [StageKind: Int] = [:], oldestQueuedSince: Date? = nil
    ) {
        self.pipelinesByStatus = pipelinesByStatus
        self.queuedByKind = queuedByKind
        self.runningByKind = runningByKind
        self.oldestQueuedSince = oldestQueuedSince
    }
}

/// Failures of the durable queue, each saying what an operator can do.
public enum PipelineStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The lease was rescued or the stage changed under the worker; its result was discarded.
    case leaseLost(StageID, owner: String)
    case stageNotFound(StageID)
    case pipelineNotFound(PipelineID)
    /// The stage is not in a state the operator action applies to.
    case invalidTransition(StageID, kind: StageKind, from: StageState, action: String)
    /// The pipeline was superseded or discarded; the action would run a script that must not run.
    case pipelineClosed(PipelineID, PipelineMark, action: String)
    /// An operator may not discard the pipeline (`DiscardRule`); the text says what to do instead.
    case discardRefused(PipelineID, String)
    /// An operator may not override the dry-run requirement (`DryRunOverrideRule`); the text says why.
    case overrideRefused(PipelineID, String)
    /// The database was written by a newer Jobrunner; opening it could corrupt its data.
    case databaseIsNewer(location: String, unknownMigrations: [String])
    /// The database could not be opened or used.
    case unavailable(location: String, reason: String)

    public var description: String {
        switch self {
        case let .leaseLost(stage, owner):
            "stage \(stage): lease of \(owner) was lost (expired and rescued, or the stage was changed by an operator); the result of this attempt was discarded"
        case let .stageNotFound(stage):
            "stage \(stage) does not exist"
        case let .pipelineNotFound(pipeline):
            "pipeline \(pipeline) does not exist"
        case let .invalidTransition(stage, kind, from, action):
            "cannot \(action) \(kind.displayName) stage \(stage): it is \(from.rawValue)"
        case let .pipelineClosed(pipeline, .superseded, action):
            "cannot \(action) pipeline \(pipeline): it was superseded by a fix of its script, which runs in a later pipeline"
        case let .pipelineClosed(pipeline, .discarded, action):
            "cannot \(action) pipeline \(pipeline): it was discarded; only its CLEANUP can be retried"
        case let .discardRefused(_, why):
            "cannot discard: \(why)"
        case let .overrideRefused(_, why):
            "cannot override the dry-run requirement: \(why)"
        case let .databaseIsNewer(location, unknown):
            "the database at \(location) was migrated by a newer Jobrunner (unknown migrations: \(unknown.joined(separator: ", "))); run that version or restore a backup — refusing to open it"
        case let .unavailable(location, reason):
            "the database at \(location) is unavailable: \(reason)"
        }
    }
}
