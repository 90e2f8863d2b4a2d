import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// The `PipelineStore` for several replicas and workers on several machines: one PostgreSQL
/// database, shared.
///
/// Every method is one transaction (READ COMMITTED) on a pooled connection. Claims take the
/// oldest runnable stage with `FOR UPDATE SKIP LOCKED`, so concurrent workers never wait on
/// each other's candidates. EXECUTE ordering and exclusion per repository rely on a
/// transaction-scoped advisory lock per repository: a claim re-checks "no EXECUTE of this
/// repository running, no earlier pipeline ahead" *after* taking the lock, in a fresh
/// statement, so two nodes can never both start one repository's scripts. Intake takes one
/// advisory lock so pipeline ids are assigned in commit order (EXECUTE order is id order).
///
/// The client runs in a task the store owns, so the store works as soon as `connect` returns
/// (admin commands need no service group); as a `Service` it closes the connections at
/// graceful shutdown, after the services started later have stopped.
public final class PostgresPipelineStore: PipelineStore, Service {
    let client: PostgresClient
    private let runTask: Task<Void, Never>
    let clock: any JobClock
    let retryPolicy: RetryPolicy
    let jitter: @Sendable () -> Double
    let logger: Logger
    /// How long one operation may wait for the database (a lost connection, a restart)
    /// before it fails as `unavailable`.
    let operationTimeout: Duration
    /// Where the database lives, without its password, for error messages.
    public let location: String
    /// `StoredTextSearch.scanWindow`, unless a test narrows it.
    let textScanWindow: Int

    /// The NOTIFY channel that tells workers on every node that a stage became runnable.
    static let workChannel = "jobrunner_work"

    /// Advisory lock classes (the first key of the two-key form), so Jobrunner's locks never
    /// collide with an application's sharing the database.
    enum LockClass: Int32 {
        case migrations = 0x4A52_0001
        case intake = 0x4A52_0002
        case executeClaims = 0x4A52_0003
    }

    /// Connects, checks the database answers within `connectTimeout`, and migrates it.
    /// Throws `unavailable` (unreachable, refused, bad credentials) or `databaseIsNewer`.
    /// - Parameter clock: by default the database server's time (`DatabaseTimeClock`); tests
    ///   inject one they move by hand.
    public static func connect(
        url: String,
        clock: any JobClock = DatabaseTimeClock(),
        retryPolicy: RetryPolicy = RetryPolicy(),
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        connectTimeout: Duration = .seconds(10),
        operationTimeout: Duration = .seconds(30),
        textScanWindow: Int? = nil,
        logger: Logger = Logger(label: "jobrunner.postgres")
    ) async throws -> PostgresPipelineStore {
        try await connect(
            url: url, clock: clock, retryPolicy: retryPolicy, jitter: jitter, connectTimeout: connectTimeout,
            operationTimeout: operationTimeout, textScanWindow: textScanWindow, logger: logger, migrations: PostgresMigrations.all)
    }

    /// `migrations`: all of them, except for the upgrade tests, which build databases as
    /// earlier versions left them.
    static func connect(
        url: String, clock: any JobClock, retryPolicy: RetryPolicy, jitter: @escaping @Sendable () -> Double,
        connectTimeout: Duration, operationTimeout: Duration, textScanWindow: Int?, logger: Logger,
        migrations: [PostgresMigrations.Migration]
    ) async throws -> PostgresPipelineStore {
        let parsed: PostgresConnectionURL
        do {
            parsed = try PostgresConnectionURL(url)
        } catch {
            throw PipelineStoreError.unavailable(location: DatabaseLocation.postgres(url: url).redacted, reason: "\(error)")
        }
        var configuration = parsed.configuration
        configuration.options.connectTimeout = min(configuration.options.connectTimeout, connectTimeout)
        let store = PostgresPipelineStore(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger), location: parsed.redacted,
            clock: clock, retryPolicy: retryPolicy, jitter: jitter, logger: logger, operationTimeout: operationTimeout,
            textScanWindow: textScanWindow)
        do {
            try await store.withTimeout(connectTimeout, doing: "connecting") {
                try await store.client.withConnection { connection in
                    try await connection.run("SELECT 1", logger: logger)
                }
            }
            try await PostgresMigrator(store: store, migrations: migrations).migrate()
            try await store.calibrateClock()
        } catch {
            store.close()
            throw store.mapped(error)
        }
        return store
    }

    private init(
        client: PostgresClient, location: String, clock: any JobClock, retryPolicy: RetryPolicy,
        jitter: @escaping @Sendable () -> Double, logger: Logger, operationTimeout: Duration, textScanWindow: Int?
    ) {
        self.client = client
        self.runTask = Task { await client.run() }
        self.location = location
        self.clock = clock
        self.retryPolicy = retryPolicy
        self.jitter = jitter
        self.logger = logger
        self.operationTimeout = operationTimeout
        self.textScanWindow = max(1, textScanWindow ?? StoredTextSearch.scanWindow)
    }

    deinit { runTask.cancel() }

    /// Measures the server's time for a `DatabaseTimeClock`; nothing for another clock.
    func calibrateClock() async throws {
        guard let databaseTime = clock as? DatabaseTimeClock else { return }
        let logger = logger
        try await databaseTime.calibrate {
            try await statement("reading the database's time") { db in
                guard let row = try await db.row("SELECT extract(epoch from clock_timestamp())::double precision AS now", logger: logger)
                else { throw StoredRowError(description: "the database did not tell its time") }
                return Date(timeIntervalSince1970: try row.double("now"))
            }
        }
    }

    /// Closes every connection; the store is unusable afterwards.
    public func close() { runTask.cancel() }

    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }

    // MARK: - Transactions

    /// Runs `body` in one transaction, retried on a serialization failure or deadlock, bounded
    /// by `operationTimeout`; database failures become `PipelineStoreError.unavailable`.
    func transaction<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let logger = logger
        return try await retryingConflicts(what) { connection in
            try await connection.run("BEGIN", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.run("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.run("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// One statement as its own transaction — one round trip instead of BEGIN, the work and
    /// COMMIT — retried on a serialization failure or deadlock like `transaction`.
    func statement<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await retryingConflicts(what, body)
    }

    /// `body` on a pooled connection, run again (up to five times, after a short random pause)
    /// when PostgreSQL aborted it for a conflict, bounded by `operationTimeout`.
    private func retryingConflicts<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await withTimeout(operationTimeout, doing: what) {
                var attempt = 0
                while true {
                    attempt += 1
                    do {
                        return try await self.client.withConnection { connection in try await body(connection) }
                    } catch let error as PSQLError where attempt < 5 && Self.isConflict(error) {
                        try await Task.sleep(for: .milliseconds(Int64.random(in: 1...20) * Int64(attempt)))
                    }
                }
            }
        } catch {
            throw mapped(error)
        }
    }

    /// Reads outside an explicit transaction (one statement sees one snapshot).
    func read<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await withTimeout(operationTimeout, doing: what) {
                try await self.client.withConnection { connection in try await body(connection) }
            }
        } catch {
            throw mapped(error)
        }
    }

    /// SQLSTATE 40001 (serialization failure) or 40P01 (deadlock detected): safe to run again.
    static func isConflict(_ error: PSQLError) -> Bool {
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    struct TimedOut: Error {
        var what: String
        var after: Duration
    }

    /// `body`, or `TimedOut` once `timeout` passed — whether or not `body` reacts to being
    /// cancelled. A query on a connection the server cut (a database restart) can wait forever
    /// without honouring cancellation; a task group would wait for it too, and a worker would
    /// hang on a stage whose lease it keeps renewing. So the caller returns at the deadline and
    /// the straggler, cancelled, ends on its own.
    func withTimeout<T: Sendable>(
        _ timeout: Duration, doing what: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await Deadline.run(timeout, onExpiry: TimedOut(what: what, after: timeout), body)
    }

    /// Store errors pass through; everything else says what the database answered.
    func mapped(_ error: any Error) -> any Error {
        switch error {
        case is PipelineStoreError, is CancellationError:
            return error
        case let timedOut as TimedOut:
            return PipelineStoreError.unavailable(
                location: location,
                reason: "no answer within \(timedOut.after) while \(timedOut.what); is the server up and reachable?")
        case let psql as PSQLError:
            return PipelineStoreError.unavailable(location: location, reason: Self.describe(psql))
        default:
            return PipelineStoreError.unavailable(location: location, reason: "\(error)")
        }
    }

    /// PSQLError's own description hides everything; say what an operator needs, never the
    /// bound values (they may hold script output).
    static func describe(_ error: PSQLError) -> String {
        var parts = ["\(error.code)"]
        if let info = error.serverInfo {
            if let state = info[.sqlState] { parts.append("SQLSTATE \(state)") }
            if let message = info[.message] { parts.append(message) }
            if let detail = info[.detail] { parts.append(detail) }
            if let hint = info[.hint] { parts.append("hint: \(hint)") }
        }
        if let underlying = error.underlying { parts.append("\(underlying)") }
        return parts.joined(separator: ": ")
    }

    public func checkReady() async throws {
        let known = PostgresMigrations.all.map(\.identifier)
        let applied = try await read("checking readiness") { [logger] connection in
            try await connection.rows("SELECT identifier FROM jobrunner_migrations", logger: logger).map {
                try $0.string("identifier")
            }
        }
        guard Set(known).isSubset(of: Set(applied)) else {
            throw PipelineStoreError.unavailable(location: location, reason: "migrations are not applied")
        }
    }

    // MARK: - Intake

    public func recordDelivery(_ delivery: NewDelivery, pipelines: [NewPipeline]) async throws -> RecordedDelivery {
        let now = clock.now().storedValue
        let processAttempts = retryPolicy.attempts(for: .process)
        let logger = logger
        return try await transaction("recording delivery \(delivery.id.rawValue)") { db in
            try await db.run(
                "SELECT pg_advisory_xact_lock(\(LockClass.intake.rawValue), 0)", logger: logger)
            if let existing = try await Self.fetchDelivery(db, delivery.id, logger: logger) {
                if existing.delivery.outcome != .failed {
                    let paths = try await Self.scriptPaths(db, existing.pipelineIDs, logger: logger)
                    return RecordedDelivery(
                        record: existing, isRedelivery: true,
                        pipelines: existing.pipelineIDs.map { ($0, paths[$0] ?? "", false) })
                }
                // A failed delivery created nothing; its redelivery is processed afresh.
                try await db.run("DELETE FROM delivery_pipelines WHERE delivery_id = \(delivery.id.rawValue)", logger: logger)
                try await db.run("DELETE FROM deliveries WHERE id = \(delivery.id.rawValue)", logger: logger)
            }
            try await Self.insertDelivery(db, delivery, now: now, logger: logger)
            var results: [(id: PipelineID, path: String, created: Bool)] = []
            var skipped: [ScriptDetector.Skipped] = []
            for pipeline in pipelines {
                let id: Int64
                let created: Bool
                if let existing = try await db.row(
                    """
                    SELECT id FROM pipelines WHERE repository = \(pipeline.repository.rawValue)
                      AND script_path = \(pipeline.scriptPath) AND commit_sha = \(pipeline.commit)
                    """, logger: logger)
                {
                    id = try existing.int64("id")
                    created = false
                } else {
                    var earlier: PipelineID?
                    var cancelling: [StageRecord] = []
                    if pipeline.modifiesExisting {
                        switch ModifiedScriptRule.decide(latest: try await Self.latestSummary(db, of: pipeline, logger: logger)) {
                        case .skip(let reason):
                            skipped.append(ScriptDetector.Skipped(path: pipeline.scriptPath, reason: reason))
                            continue
                        case .supersede(let replaced, let stages):
                            earlier = replaced
                            cancelling = stages
                        }
                    }
                    let inserted = try await db.row(
                        """
                        INSERT INTO pipelines (repository, branch, script_path, commit_sha, blob_sha, pusher,
                                               pull_request, author, delivery_id, created_at, supersedes)
                        VALUES (\(pipeline.repository.rawValue), \(pipeline.branch), \(pipeline.scriptPath), \(pipeline.commit),
                                \(pipeline.blob), \(pipeline.pusher), \(pipeline.pullRequest), \(pipeline.author),
                                \(delivery.id.rawValue), \(now), \(earlier?.rawValue))
                        RETURNING id
                        """, logger: logger)
                    id = try inserted!.int64("id")
                    created = true
                    try await Self.insertStage(db, pipeline: id, kind: .process, maxAttempts: processAttempts, now: now, logger: logger)
                    if let earlier {
                        try await db.run(
                            "UPDATE pipelines SET superseded_by = \(id) WHERE id = \(earlier.rawValue)", logger: logger)
                        let why = ModifiedScriptRule.cancelReason(supersededBy: PipelineID(id))
                        for stage in cancelling {
                            try await db.run(
                                """
                                UPDATE stages SET state = 'cancelled', finished_at = \(now), last_error = \(why), lease_owner = NULL,
                                    lease_expires_at = NULL WHERE id = \(stage.id.rawValue)
                                """, logger: logger)
                        }
                    }
                }
                try await db.run(
                    """
                    INSERT INTO delivery_pipelines (delivery_id, pipeline_id, position)
                    VALUES (\(delivery.id.rawValue), \(id), \(results.count)) ON CONFLICT DO NOTHING
                    """, logger: logger)
                results.append((PipelineID(id), pipeline.scriptPath, created))
            }
            var recorded = delivery
            if let outcome = DeliverySkips.outcome(of: delivery, created: results.count, skipped: skipped) {
                recorded.outcome = outcome.outcome
                recorded.reason = outcome.reason
                try await db.run(
                    """
                    UPDATE deliveries SET outcome = \(outcome.outcome.rawValue), reason = \(outcome.reason)
                    WHERE id = \(delivery.id.rawValue)
                    """, logger: logger)
            }
            let record = DeliveryRecord(
                delivery: recorded, receivedAt: Date(timeIntervalSince1970: now), pipelineIDs: results.map(\.id))
            return RecordedDelivery(record: record, isRedelivery: false, pipelines: results, skipped: skipped)
        }
    }

    /// Queues a stage and tells every node's workers (delivered at commit).
    /// The latest pipeline of `pipeline`'s script path, with its stages (locked: intake holds
    /// the intake lock, and a worker finishing one of them waits).
    static func latestSummary(_ db: PostgresConnection, of pipeline: NewPipeline, logger: Logger) async throws
        -> PipelineSummary?
    {
        let text = StoredSQL.latestPipelineOfScript(repository: "$1", path: "$2")
        var bindings = PostgresBindings()
        bindings.append(pipeline.repository.rawValue)
        bindings.append(pipeline.scriptPath)
        guard let row = try await db.row(PostgresQuery(unsafeSQL: text, binds: bindings), logger: logger) else { return nil }
        let record = try StoredRecords.pipeline(row)
        let stages = try await db.rows(
            "SELECT * FROM stages WHERE pipeline_id = \(record.id.rawValue) ORDER BY id FOR UPDATE", logger: logger
        ).map(StoredRecords.stage)
        return PipelineSummary(pipeline: record, stages: stages)
    }

    static func insertStage(
        _ db: PostgresConnection, pipeline: Int64, kind: StageKind, maxAttempts: Int, now: Double, logger: Logger
    ) async throws {
        try await db.run(
            """
            INSERT INTO stages (pipeline_id, repository, kind, state, attempt, max_attempts, run_after, created_at)
            VALUES (\(pipeline), (SELECT repository FROM pipelines WHERE id = \(pipeline)), \(kind.rawValue), 'queued', 0,
                    \(maxAttempts), \(now), \(now))
            """, logger: logger)
        try await notifyWork(db, logger: logger)
    }

    /// NOTIFY is transactional: workers elsewhere hear it only once the change is committed.
    static func notifyWork(_ db: PostgresConnection, logger: Logger) async throws {
        try await db.run("SELECT pg_notify(\(workChannel), '')", logger: logger)
    }

    // MARK: - Helpers shared by the operations

    /// The stage `lease` still holds — the row locked until commit, so no rescue or operator can
    /// change it under the caller — otherwise `leaseLost`.
    static func heldStage(_ db: PostgresConnection, _ lease: Lease, logger: Logger) async throws -> HeldStage {
        guard
            let row = try await db.row(
                """
                SELECT kind, pipeline_id, max_attempts FROM stages
                WHERE id = \(lease.stageID.rawValue) AND state = 'running' AND lease_owner = \(lease.owner)
                  AND attempt = \(lease.attempt)
                FOR UPDATE
                """, logger: logger),
            let kind = StageKind(rawValue: try row.string("kind"))
        else { throw PipelineStoreError.leaseLost(lease.stageID, owner: lease.owner) }
        return HeldStage(kind: kind, pipeline: try row.int64("pipeline_id"), maxAttempts: try row.int("max_attempts"))
    }

    /// Ends a stage for good (failed, interrupted, cancelled): no lease, a finish time, the reason.
    static func end(
        _ db: PostgresConnection, _ stage: Int64, as state: StageState, error: String, now: Double, logger: Logger
    ) async throws {
        try await db.run(
            """
            UPDATE stages SET state = \(state.rawValue), finished_at = \(now), lease_owner = NULL,
                lease_expires_at = NULL, last_error = \(error) WHERE id = \(stage)
            """, logger: logger)
    }

    /// Carries out what Core decided for a stage whose worker let go of it.
    static func endLease(
        _ db: PostgresConnection, _ lease: Lease, _ decision: LeaseEndDecision, now: Double, logger: Logger
    ) async throws {
        let id = lease.stageID.rawValue
        if decision.endsStage {
            try await end(db, id, as: decision.state, error: decision.message, now: now, logger: logger)
        } else if decision.refundsAttempt {
            try await db.run(
                """
                UPDATE stages SET state = 'queued', attempt = attempt - 1,
                    lease_owner = NULL, lease_expires_at = NULL, started_at = NULL WHERE id = \(id)
                """, logger: logger)
        } else {
            try await db.run(
                """
                UPDATE stages SET state = 'queued', lease_owner = NULL,
                    lease_expires_at = NULL, last_error = \(decision.message) WHERE id = \(id)
                """, logger: logger)
        }
        try await finishAttempt(db, lease, outcome: decision.attemptOutcome, error: decision.message, now: now, logger: logger)
    }

    static func finishAttempt(
        _ db: PostgresConnection, _ lease: Lease, outcome: AttemptOutcome, error: String?, now: Double, logger: Logger
    ) async throws {
        try await db.run(
            """
            UPDATE stage_attempts SET finished_at = \(now), outcome = \(outcome.rawValue), error = \(error)
            WHERE stage_id = \(lease.stageID.rawValue) AND attempt = \(lease.attempt) AND outcome = 'running'
            """, logger: logger)
    }

    static func fetchPipeline(_ db: PostgresConnection, _ id: Int64, logger: Logger) async throws -> PipelineRecord {
        guard
            let row = try await db.row(
                "SELECT \(unescaped: StoredRecords.pipelineColumns) FROM pipelines p WHERE p.id = \(id)", logger: logger)
        else { throw PipelineStoreError.pipelineNotFound(PipelineID(id)) }
        return try StoredRecords.pipeline(row)
    }

    /// Records a delivery's row (pushes and pull-request events alike).
    static func insertDelivery(_ db: PostgresConnection, _ delivery: NewDelivery, now: Double, logger: Logger) async throws {
        try await db.run(
            """
            INSERT INTO deliveries (id, event, repository, ref, head_commit, sender, outcome, reason, received_at)
            VALUES (\(delivery.id.rawValue), \(delivery.event), \(delivery.repository), \(delivery.ref),
                    \(delivery.headCommit), \(delivery.sender), \(delivery.outcome.rawValue), \(delivery.reason), \(now))
            """, logger: logger)
    }

    static func fetchDelivery(_ db: PostgresConnection, _ id: DeliveryID, logger: Logger) async throws -> DeliveryRecord? {
        guard let row = try await db.row("SELECT * FROM deliveries WHERE id = \(id.rawValue)", logger: logger) else {
            return nil
        }
        let ids = try await db.rows(
            "SELECT pipeline_id FROM delivery_pipelines WHERE delivery_id = \(id.rawValue) ORDER BY position",
            logger: logger
        ).map { PipelineID(try $0.int64("pipeline_id")) }
        return try StoredRecords.delivery(row, pipelineIDs: ids)
    }

    static func scriptPaths(_ db: PostgresConnection, _ ids: [PipelineID], logger: Logger) async throws
        -> [PipelineID: String]
    {
        guard !ids.isEmpty else { return [:] }
        let rows = try await db.rows(
            "SELECT id, script_path FROM pipelines WHERE id = ANY(\(ids.map(\.rawValue)))", logger: logger)
        return Dictionary(
            uniqueKeysWithValues: try rows.map { (PipelineID(try $0.int64("id")), try $0.string("script_path")) })
    }
}
