import Foundation
import GRDB
import JobrunnerCore
import JobrunnerStore

/// The embedded `PipelineStore`: one SQLite file in WAL mode.
///
/// Every write runs in a `BEGIN IMMEDIATE` transaction, so writers from several processes
/// queue on SQLite's lock (bounded by the busy timeout) instead of failing half-way, and
/// `synchronous=FULL` makes each commit durable before the call returns — the moment a
/// delivery may be acknowledged to GitHub. Writes that arrive together share one commit
/// (`SQLiteGroupCommit`), so a busy intake or worker pool is not limited to one disk flush
/// per write.
public final class SQLitePipelineStore: PipelineStore {
    let pool: DatabasePool
    let groupCommit: SQLiteGroupCommit
    let clock: any JobClock
    let retryPolicy: RetryPolicy
    let jitter: @Sendable () -> Double
    /// Where the database lives, for error messages.
    public let location: String
    /// How many of the newest pipelines the text filter scans before it asks the trigram index.
    let textScanWindow: Int

    /// Opens (creating if needed) and migrates the database at `path`.
    /// - Parameters:
    ///   - busyTimeout: how long a write waits for another process's transaction.
    ///   - jitter: the random part of retry backoff, a number in `0...1`; injectable for tests.
    public init(
        path: String,
        clock: any JobClock = SystemClock(),
        retryPolicy: RetryPolicy = RetryPolicy(),
        busyTimeout: Duration = .seconds(10),
        textScanWindow: Int? = nil,
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) throws {
        self.textScanWindow = max(1, textScanWindow ?? StoredTextSearch.scanWindow)
        self.location = path
        self.clock = clock
        self.retryPolicy = retryPolicy
        self.jitter = jitter
        // Another process (a second `serve`, an admin command) may be opening the same file.
        // Opening a new file switches it to WAL, which needs the file to itself: two processes
        // doing it at once can deadlock on the upgrade of their locks, and SQLite then answers
        // "database is locked" at once, without waiting. And GRDB decides what to apply before
        // its first transaction, so two would apply the same migration. Both happen under the lock.
        let pool = try Self.whileHoldingMigrationLock(for: path) { () throws -> DatabasePool in
            let pool: DatabasePool
            do {
                pool = try SQLiteDurablePool.open(path: path, busyTimeout: busyTimeout)
            } catch {
                throw PipelineStoreError.unavailable(location: path, reason: "\(error)")
            }
            let migrator = SQLiteSchema.migrator
            let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
            let unknown = applied.subtracting(migrator.migrations)
            if !unknown.isEmpty {
                throw PipelineStoreError.databaseIsNewer(location: path, unknownMigrations: unknown.sorted())
            }
            do {
                try migrator.migrate(pool)
            } catch {
                throw PipelineStoreError.unavailable(location: path, reason: "migration failed: \(error)")
            }
            return pool
        }
        self.pool = pool
        groupCommit = SQLiteGroupCommit(pool: pool)
    }

    /// Runs `body` holding an exclusive `flock` on `PATH.migrate-lock`, beside the database.
    /// Creates the database's directory first: the lock file is the first thing opened there.
    static func whileHoldingMigrationLock<T>(for path: String, _ body: () throws -> T) throws -> T {
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw PipelineStoreError.unavailable(location: path, reason: "cannot create the database's directory: \(error)")
        }
        let descriptor = open(path + ".migrate-lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw PipelineStoreError.unavailable(
                location: path, reason: "cannot open \(path).migrate-lock: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw PipelineStoreError.unavailable(location: path, reason: "cannot lock \(path).migrate-lock: \(String(cString: strerror(errno)))")
            }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction — shared with writes arriving at the same
    /// time (group commit), each in its own savepoint — and returns once it is durable.
    func immediate<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await groupCommit.write(body)
    }

    public func checkReady() async throws {
        let migrator = SQLiteSchema.migrator
        let complete = try await pool.read { db in try migrator.hasCompletedMigrations(db) }
        guard complete else {
            throw PipelineStoreError.unavailable(location: location, reason: "migrations are not applied")
        }
    }

    // MARK: - Intake

    public func recordDelivery(_ delivery: NewDelivery, pipelines: [NewPipeline]) async throws
        -> RecordedDelivery
    {
        let now = clock.now().storedValue
        let processAttempts = retryPolicy.attempts(for: .process)
        return try await immediate { db in
            // Recorded first and looked up only if it was there already: most deliveries are new.
            let number: Int64
            if let new = try Self.insertDeliveryIfNew(db, delivery, now: now) {
                number = new
            } else {
                if let existing = try Self.fetchDelivery(db, delivery.id), existing.delivery.outcome != .failed {
                    let paths = try Self.scriptPaths(db, existing.pipelineIDs)
                    return RecordedDelivery(
                        record: existing, isRedelivery: true,
                        pipelines: existing.pipelineIDs.map { ($0, paths[$0] ?? "", false) })
                }
                // A failed delivery created nothing; its redelivery is processed afresh.
                try db.executeCached(
                    "DELETE FROM delivery_pipelines WHERE delivery_seq = (SELECT seq FROM deliveries WHERE id = ?)", [delivery.id.rawValue])
                try db.executeCached("DELETE FROM deliveries WHERE id = ?", [delivery.id.rawValue])
                number = try Self.insertDelivery(db, delivery, now: now)
            }
            var results: [(id: PipelineID, path: String, created: Bool)] = []
            var skipped: [ScriptDetector.Skipped] = []
            for pipeline in pipelines {
                let id: Int64
                let created: Bool
                if !pipeline.modifiesExisting, let new = try Self.insertPipelineIfNew(db, pipeline, delivery: delivery.id, now: now) {
                    // A script added by this push: nothing to look up or supersede first.
                    id = new
                    created = true
                } else if let existing = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT id FROM pipelines WHERE repository = ? AND script_path = ? AND commit_sha = ?"),
                    arguments: [pipeline.repository.rawValue, pipeline.scriptPath, pipeline.commit])
                {
                    id = existing
                    created = false
                } else {
                    var earlier: PipelineID?
                    var cancelling: [StageRecord] = []
                    if pipeline.modifiesExisting {
                        switch ModifiedScriptRule.decide(latest: try Self.latestSummary(db, of: pipeline)) {
                        case .skip(let reason):
                            skipped.append(ScriptDetector.Skipped(path: pipeline.scriptPath, reason: reason))
                            continue
                        case .supersede(let replaced, let stages):
                            earlier = replaced
                            cancelling = stages
                        }
                    }
                    id = try Self.insertPipeline(db, pipeline, delivery: delivery.id, now: now, supersedes: earlier)
                    created = true
                    if let earlier {
                        try db.executeCached("UPDATE pipelines SET superseded_by = ? WHERE id = ?", [id, earlier.rawValue])
                        let why = ModifiedScriptRule.cancelReason(supersededBy: PipelineID(id))
                        for stage in cancelling {
                            try db.executeCached("""
                                    UPDATE stages SET state = 'cancelled', finished_at = ?, last_error = ?, lease_owner = NULL,
                                        lease_expires_at = NULL WHERE id = ?
                                    """, [now, why, stage.id.rawValue])
                        }
                    }
                }
                if created { try Self.insertStage(db, pipeline: id, kind: .process, maxAttempts: processAttempts, now: now) }
                try db.executeCached("INSERT OR IGNORE INTO delivery_pipelines (delivery_seq, pipeline_id, position) VALUES (?, ?, ?)", [number, id, results.count])
                results.append((PipelineID(id), pipeline.scriptPath, created))
            }
            var recorded = delivery
            if let outcome = DeliverySkips.outcome(of: delivery, created: results.count, skipped: skipped) {
                recorded.outcome = outcome.outcome
                recorded.reason = outcome.reason
                try db.executeCached("UPDATE deliveries SET outcome = ?, reason = ? WHERE id = ?", [outcome.outcome.rawValue, outcome.reason, delivery.id.rawValue])
            }
            let record = DeliveryRecord(
                delivery: recorded, receivedAt: Date(timeIntervalSince1970: now), pipelineIDs: results.map(\.id))
            return RecordedDelivery(record: record, isRedelivery: false, pipelines: results, skipped: skipped)
        }
    }

    /// The latest pipeline of `pipeline`'s script path, with its stages.
    static func latestSummary(_ db: Database, of pipeline: NewPipeline) throws -> PipelineSummary? {
        let sql = StoredSQL.latestPipelineOfScript(repository: "?", path: "?")
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: sql), arguments: [pipeline.repository.rawValue, pipeline.scriptPath])
        else { return nil }
        let record = try StoredRecords.pipeline(row)
        let stages = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM stages WHERE pipeline_id = ?"), arguments: [record.id.rawValue]
        ).map(StoredRecords.stage)
        return PipelineSummary(pipeline: record, stages: stages)
    }

    static func insertStage(_ db: Database, pipeline: Int64, kind: StageKind, maxAttempts: Int, now: Double) throws {
        try db.executeCached("""
                INSERT INTO stages (pipeline_id, repository, kind, state, attempt, max_attempts, run_after, created_at)
                VALUES (?, (SELECT repository FROM pipelines WHERE id = ?), ?, 'queued', 0, ?, ?, ?)
                """, [pipeline, pipeline, kind.rawValue, maxAttempts, now, now])
    }

    // MARK: - Claiming and leases

    public func claimNext(owner: String, kinds: Set<StageKind>, leaseDuration: Duration) async throws
        -> ClaimedStage?
    {
        guard !kinds.isEmpty else { return nil }
        let now = clock.now()
        let expires = now.adding(leaseDuration)
        let kindList = StoredSQL.kindList(kinds)
        // An EXECUTE is runnable only when no EXECUTE of its repository is running and no
        // earlier pipeline of that repository still has PROCESS or EXECUTE ahead of it.
        // SQLite has one writer at a time, so the rule is checked in the claiming statement.
        let sql = """
            UPDATE stages
            SET state = 'running', attempt = attempt + 1, lease_owner = ?, lease_expires_at = ?,
                started_at = ?, finished_at = NULL, cancel_requested_by = NULL, cancel_requested_at = NULL
            WHERE id = (
                SELECT s.id FROM stages s
                WHERE s.state = 'queued' AND s.run_after <= ? AND s.kind IN (\(kindList))
                  AND (s.kind <> 'execute' OR \(StoredSQL.executeRunnable))
                ORDER BY s.run_after, s.pipeline_id, s.id
                LIMIT 1)
            RETURNING id, pipeline_id, kind, attempt
            """
        return try await immediate { db -> ClaimedStage? in
            guard
                // Cached per connection: at most one statement per set of kinds.
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: sql),
                    arguments: [owner, expires.storedValue, now.storedValue, now.storedValue])
            else { return nil }
            let stageID: Int64 = row["id"]
            let attempt: Int = row["attempt"]
            let kindText: String = row["kind"]
            guard let kind = StageKind(rawValue: kindText) else {
                throw DatabaseError(message: "stored stage has unknown kind \(kindText)")
            }
            try db.executeCached("""
                    INSERT INTO stage_attempts (stage_id, attempt, worker, started_at, outcome)
                    VALUES (?, ?, ?, ?, 'running')
                    """, [stageID, attempt, owner, now.storedValue])
            let pipeline = try Self.fetchPipeline(db, row["pipeline_id"])
            return ClaimedStage(
                lease: Lease(stageID: StageID(stageID), owner: owner, attempt: attempt, expiresAt: expires),
                kind: kind, pipeline: pipeline)
        }
    }

    public func renew(_ lease: Lease, leaseDuration: Duration) async throws -> Lease {
        let expires = clock.now().adding(leaseDuration)
        try await immediate { db in
            try db.executeCached("UPDATE stages SET lease_expires_at = ? WHERE \(Self.heldBy)", [expires.storedValue] + Self.heldArguments(lease))
            guard db.changesCount == 1 else { throw PipelineStoreError.leaseLost(lease.stageID, owner: lease.owner) }
        }
        var renewed = lease
        renewed.expiresAt = expires
        return renewed
    }

    public func release(_ lease: Lease, reason: String, reattachable: Bool) async throws {
        let now = clock.now().storedValue
        try await immediate { db in
            let held = try Self.heldStage(db, lease)
            try Self.endLease(db, lease, held.kind.released(reason: reason, reattachable: reattachable), now: now)
        }
    }

    public func complete(_ lease: Lease, summary: String?, feedback: [PipelineEvent]) async throws {
        let now = clock.now().storedValue
        let policy = retryPolicy
        try await immediate { db in
            let held = try Self.heldStage(db, lease)
            try db.executeCached("""
                    UPDATE stages SET state = 'succeeded', finished_at = ?, lease_owner = NULL,
                        lease_expires_at = NULL, summary = ? WHERE id = ?
                    """, [now, summary, lease.stageID.rawValue])
            try Self.finishAttempt(db, lease, outcome: .succeeded, error: nil, now: now)
            if let next = held.kind.next {
                try Self.insertStage(db, pipeline: held.pipeline, kind: next, maxAttempts: policy.attempts(for: next), now: now)
            }
            try Self.insertOutbox(db, pipeline: held.pipeline, events: feedback, now: now)
        }
    }

    @discardableResult
    public func fail(_ lease: Lease, failure: StageFailure, feedbackIfFailed: [PipelineEvent]) async throws
        -> FailureDisposition
    {
        let now = clock.now()
        let policy = retryPolicy
        let jitter = jitter()
        return try await immediate { db -> FailureDisposition in
            let held = try Self.heldStage(db, lease)
            let decision = policy.decide(
                after: failure, attempt: lease.attempt, maxAttempts: held.maxAttempts, now: now, jitter: jitter)
            switch decision.disposition {
            case .willRetry(let retryAt):
                try db.executeCached("""
                        UPDATE stages SET state = 'queued', run_after = ?, lease_owner = NULL,
                            lease_expires_at = NULL, last_error = ? WHERE id = ?
                        """, [retryAt.storedValue, decision.stageError, lease.stageID.rawValue])
                try Self.finishAttempt(db, lease, outcome: .retrying, error: failure.message, now: now.storedValue)
            case .failed:
                try Self.end(db, lease.stageID.rawValue, as: .failed, error: decision.stageError, now: now.storedValue)
                try Self.finishAttempt(db, lease, outcome: .failed, error: failure.message, now: now.storedValue)
                try Self.insertOutbox(db, pipeline: held.pipeline, events: feedbackIfFailed, now: now.storedValue)
            }
            return decision.disposition
        }
    }

    @discardableResult
    public func deferStage(_ lease: Lease, until: Date, reason: String, feedbackIfBegan: [PipelineEvent]) async throws -> Bool {
        let now = clock.now().storedValue
        return try await immediate { db -> Bool in
            let held = try Self.heldStage(db, lease)
            let id = lease.stageID.rawValue
            let wasWaiting = try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT waiting_since IS NOT NULL FROM stages WHERE id = ?"), arguments: [id]) ?? false
            try db.executeCached("""
                    UPDATE stages SET state = 'queued', attempt = attempt - 1, lease_owner = NULL, lease_expires_at = NULL,
                        started_at = NULL, run_after = ?, wait_reason = ?, waiting_since = COALESCE(waiting_since, ?)
                    WHERE id = ?
                    """, [until.storedValue, reason, now, id])
            // It never started: no attempt to show.
            try db.executeCached(
                "DELETE FROM stage_attempts WHERE stage_id = ? AND attempt = ? AND outcome = 'running'", [id, lease.attempt])
            if !wasWaiting { try Self.insertOutbox(db, pipeline: held.pipeline, events: feedbackIfBegan, now: now) }
            return !wasWaiting
        }
    }

    /// Running stages whose lease has expired. Found through the runnable index by state: the
    /// running stages are few (one per busy worker), so no index of their expiry is kept. Named,
    /// because statistics (ANALYZE) that see a history of mostly finished stages make the state
    /// look unselective and SQLite would read every stage instead.
    static let expiredLeasesSQL = """
        SELECT id, kind, attempt, max_attempts, lease_owner, lease_expires_at FROM stages INDEXED BY stages_runnable
        WHERE state = 'running' AND lease_expires_at < ?
        """

    public func rescueExpiredLeases(reattachable: Bool) async throws -> RescueReport {
        let now = clock.now().storedValue
        return try await immediate { db -> RescueReport in
            let rows = try Row.fetchAll(db.cachedStatement(sql: Self.expiredLeasesSQL), arguments: [now])
            var report = RescueReport()
            for row in rows {
                let id: Int64 = row["id"]
                let kindText: String = row["kind"]
                guard let kind = StageKind(rawValue: kindText) else { continue }
                let attempt: Int = row["attempt"]
                let owner: String = row["lease_owner"] ?? "unknown worker"
                let decision = kind.rescued(
                    attempt: attempt, maxAttempts: row["max_attempts"], owner: owner,
                    expiredAt: Date(timeIntervalSince1970: row["lease_expires_at"]), reattachable: reattachable)
                let lease = Lease(stageID: StageID(id), owner: owner, attempt: attempt, expiresAt: .distantPast)
                try Self.endLease(db, lease, decision, now: now)
                report.record(StageID(id), decision)
            }
            return report
        }
    }

    // MARK: - Helpers shared by the operations

    /// The WHERE clause matching a stage still held by a lease.
    static let heldBy = "id = ? AND state = 'running' AND lease_owner = ? AND attempt = ?"

    static func heldArguments(_ lease: Lease) -> StatementArguments {
        [lease.stageID.rawValue, lease.owner, lease.attempt]
    }

    /// The stage `lease` still holds; otherwise `leaseLost`.
    static func heldStage(_ db: Database, _ lease: Lease) throws -> HeldStage {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT kind, pipeline_id, max_attempts FROM stages WHERE \(heldBy)"),
                arguments: heldArguments(lease)),
            let kind = StageKind(rawValue: row["kind"])
        else { throw PipelineStoreError.leaseLost(lease.stageID, owner: lease.owner) }
        return HeldStage(kind: kind, pipeline: row["pipeline_id"], maxAttempts: row["max_attempts"])
    }

    /// Ends a stage for good (failed, interrupted, cancelled): no lease, a finish time, the reason.
    static func end(_ db: Database, _ stage: Int64, as state: StageState, error: String, now: Double) throws {
        try db.executeCached("""
                UPDATE stages SET state = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL,
                    last_error = ? WHERE id = ?
                """, [state.rawValue, now, error, stage])
    }

    /// Carries out what Core decided for a stage whose worker let go of it.
    static func endLease(_ db: Database, _ lease: Lease, _ decision: LeaseEndDecision, now: Double) throws {
        let id = lease.stageID.rawValue
        if decision.endsStage {
            try end(db, id, as: decision.state, error: decision.message, now: now)
        } else if decision.refundsAttempt {
            try db.executeCached("""
                    UPDATE stages SET state = 'queued', attempt = attempt - 1,
                        lease_owner = NULL, lease_expires_at = NULL, started_at = NULL WHERE id = ?
                    """, [id])
        } else {
            try db.executeCached("""
                    UPDATE stages SET state = 'queued', lease_owner = NULL,
                        lease_expires_at = NULL, last_error = ? WHERE id = ?
                    """, [decision.message, id])
        }
        try finishAttempt(db, lease, outcome: decision.attemptOutcome, error: decision.message, now: now)
    }

    static func finishAttempt(_ db: Database, _ lease: Lease, outcome: AttemptOutcome, error: String?, now: Double) throws {
        try db.executeCached("""
                UPDATE stage_attempts SET finished_at = ?, outcome = ?, error = ?
                WHERE stage_id = ? AND attempt = ? AND outcome = 'running'
                """, [now, outcome.rawValue, error, lease.stageID.rawValue, lease.attempt])
    }

    static func fetchPipeline(_ db: Database, _ id: Int64) throws -> PipelineRecord {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(StoredRecords.pipelineColumns) FROM pipelines p WHERE p.id = ?"), arguments: [id])
        else { throw PipelineStoreError.pipelineNotFound(PipelineID(id)) }
        return try StoredRecords.pipeline(row)
    }

    /// Records a delivery's row (pushes and pull-request events alike); returns its number
    /// (`deliveries.seq`), which `delivery_pipelines` is keyed by.
    @discardableResult
    static func insertDelivery(_ db: Database, _ delivery: NewDelivery, now: Double) throws -> Int64 {
        try db.executeCached(insertDeliverySQL, deliveryArguments(delivery, now: now))
        return db.lastInsertedRowID
    }

    /// As `insertDelivery`, but nil, and nothing written, when a delivery with its id is recorded.
    static func insertDeliveryIfNew(_ db: Database, _ delivery: NewDelivery, now: Double) throws -> Int64? {
        try db.executeCached(insertDeliverySQL + " ON CONFLICT (id) DO NOTHING", deliveryArguments(delivery, now: now))
        return db.changesCount == 1 ? db.lastInsertedRowID : nil
    }

    static let insertDeliverySQL = """
        INSERT INTO deliveries (id, event, repository, ref, head_commit, sender, outcome, reason, received_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func deliveryArguments(_ delivery: NewDelivery, now: Double) -> StatementArguments {
        [
            delivery.id.rawValue, delivery.event, delivery.repository, delivery.ref,
            delivery.headCommit, delivery.sender, delivery.outcome.rawValue, delivery.reason, now,
        ]
    }

    /// Records a pipeline; returns its id.
    static func insertPipeline(
        _ db: Database, _ pipeline: NewPipeline, delivery: DeliveryID, now: Double, supersedes earlier: PipelineID?
    ) throws -> Int64 {
        try db.executeCached(insertPipelineSQL, pipelineArguments(pipeline, delivery: delivery, now: now, supersedes: earlier))
        return db.lastInsertedRowID
    }

    /// As `insertPipeline` (superseding nothing), but nil, and nothing written, when the script
    /// at that commit already has a pipeline.
    static func insertPipelineIfNew(_ db: Database, _ pipeline: NewPipeline, delivery: DeliveryID, now: Double) throws -> Int64? {
        try db.executeCached(
            insertPipelineSQL + " ON CONFLICT (repository, script_path, commit_sha) DO NOTHING",
            pipelineArguments(pipeline, delivery: delivery, now: now, supersedes: nil))
        return db.changesCount == 1 ? db.lastInsertedRowID : nil
    }

    static let insertPipelineSQL = """
        INSERT INTO pipelines (repository, branch, script_path, commit_sha, blob_sha, pusher,
                               pull_request, author, delivery_id, created_at, supersedes)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func pipelineArguments(_ pipeline: NewPipeline, delivery: DeliveryID, now: Double, supersedes earlier: PipelineID?)
        -> StatementArguments
    {
        [
            pipeline.repository.rawValue, pipeline.branch, pipeline.scriptPath, pipeline.commit,
            pipeline.blob, pipeline.pusher, pipeline.pullRequest, pipeline.author,
            delivery.rawValue, now, earlier?.rawValue,
        ]
    }

    static func fetchDelivery(_ db: Database, _ id: DeliveryID) throws -> DeliveryRecord? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM deliveries WHERE id = ?"), arguments: [id.rawValue])
        else { return nil }
        let ids = try Int64.fetchAll(
            db.cachedStatement(sql: "SELECT pipeline_id FROM delivery_pipelines WHERE delivery_seq = ? ORDER BY position"),
            arguments: [row["seq"] as Int64])
        return try StoredRecords.delivery(row, pipelineIDs: ids.map(PipelineID.init(rawValue:)))
    }

    static func scriptPaths(_ db: Database, _ ids: [PipelineID]) throws -> [PipelineID: String] {
        guard !ids.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        let rows = try Row.fetchAll(
            db, sql: "SELECT id, script_path FROM pipelines WHERE id IN (\(placeholders))",
            arguments: StatementArguments(ids.map(\.rawValue)))
        return Dictionary(uniqueKeysWithValues: rows.map { (PipelineID($0["id"] as Int64), $0["script_path"] as String) })
    }
}
