import Foundation
import GRDB
import JobrunnerCore
import JobrunnerStore

extension SQLitePipelineStore {
    public func recordPullRequestDelivery(_ delivery: NewDelivery, signal: PullRequestSignal?) async throws -> RecordedDelivery {
        let now = clock.now().storedValue
        return try await immediate { db in
            if let existing = try Self.fetchDelivery(db, delivery.id) {
                if existing.delivery.outcome != .failed {
                    return RecordedDelivery(record: existing, isRedelivery: true, pipelines: [])
                }
                try db.executeCached("DELETE FROM deliveries WHERE id = ?", [delivery.id.rawValue])
            }
            try Self.insertDelivery(db, delivery, now: now)
            if let signal { try Self.notePullRequest(db, signal, now: now) }
            let record = DeliveryRecord(delivery: delivery, receivedAt: Date(timeIntervalSince1970: now), pipelineIDs: [])
            return RecordedDelivery(record: record, isRedelivery: false, pipelines: [])
        }
    }

    /// Intake's view of a pull request: due for evaluation; a new head or a close settles the
    /// dry runs of other heads at once.
    static func notePullRequest(_ db: Database, _ signal: PullRequestSignal, now: Double) throws {
        try db.executeCached("""
                INSERT INTO dry_run_pulls (repository, number, head_commit, is_open, title, url, evaluate_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (repository, number) DO UPDATE SET head_commit = excluded.head_commit, is_open = excluded.is_open,
                    title = COALESCE(excluded.title, title), url = COALESCE(excluded.url, url), evaluate_at = excluded.evaluate_at,
                    evaluation_attempts = 0, updated_at = excluded.updated_at
                """, [signal.repository.rawValue, signal.number, signal.headCommit, signal.isOpen, signal.title, signal.url, now, now])
        try settleOtherHeads(db, repository: signal.repository, number: signal.number, head: signal.headCommit, isOpen: signal.isOpen, now: now)
    }

    /// Queued dry runs of heads other than `head` (or of any head once closed) will never run;
    /// finished ones of other heads are outdated. Makes the comment due when anything changed.
    static func settleOtherHeads(_ db: Database, repository: RepositoryName, number: Int, head: String, isOpen: Bool, now: Double) throws {
        let why = isOpen ? "the pull request moved on to \(head.prefix(12)) before it ran" : "the pull request was closed before it ran"
        try db.executeCached("""
                UPDATE dry_runs SET state = 'skipped', error = ?, finished_at = ?, outdated = (head_commit <> ?), lease_owner = NULL, lease_expires_at = NULL
                WHERE repository = ? AND pull_request = ? AND state = 'queued' AND (head_commit <> ? OR NOT ?)
                """, [why, now, head, repository.rawValue, number, head, isOpen])
        var changed = db.changesCount
        try db.executeCached("""
                UPDATE dry_runs SET outdated = TRUE WHERE repository = ? AND pull_request = ? AND head_commit <> ? AND NOT outdated
                """, [repository.rawValue, number, head])
        changed += db.changesCount
        if changed > 0 { try bumpReport(db, repository: repository.rawValue, number: number) }
    }

    static func bumpReport(_ db: Database, repository: String, number: Int) throws {
        try db.executeCached(
            "UPDATE dry_run_pulls SET report_version = report_version + 1, report_at = NULL WHERE repository = ? AND number = ?",
            [repository, number])
    }

    public func claimDryRunPullRequests(owner: String, limit: Int, leaseDuration: Duration) async throws -> [DryRunPullRequest] {
        let now = clock.now()
        return try await immediate { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    UPDATE dry_run_pulls SET lease_owner = ?, lease_expires_at = ?, claimed_at = ?
                    WHERE (repository, number) IN (\(StoredDryRuns.claimablePulls(now: "?", limit: "?")))
                    RETURNING *
                    """),
                arguments: [owner, now.adding(leaseDuration).storedValue, now.storedValue, now.storedValue, now.storedValue, now.storedValue, limit]
            ).map(StoredDryRuns.pull)
        }
    }

    public func settleDryRunEvaluation(_ evaluation: DryRunEvaluation, owner: String) async throws {
        let now = clock.now().storedValue
        try await immediate { db in
            guard let before = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM dry_run_pulls WHERE repository = ? AND number = ? AND lease_owner = ?"),
                arguments: [evaluation.repository.rawValue, evaluation.number, owner]).map(StoredDryRuns.pull)
            else { return }
            // An event that arrived while this evaluation ran makes the pull request due again.
            try db.executeCached("""
                    UPDATE dry_run_pulls SET head_commit = ?, is_open = ?, status = ?, title = COALESCE(?, title), url = COALESCE(?, url),
                        last_error = ?, evaluation_attempts = CASE WHEN ? IS NULL THEN 0 ELSE evaluation_attempts + 1 END,
                        evaluate_at = CASE WHEN evaluate_at > claimed_at THEN evaluate_at ELSE ? END, updated_at = ?
                    WHERE repository = ? AND number = ?
                    """, [
                    evaluation.head, evaluation.isOpen, evaluation.status, evaluation.title, evaluation.url, evaluation.error,
                    evaluation.retryAt?.storedValue, evaluation.retryAt?.storedValue, now, evaluation.repository.rawValue, evaluation.number,
                ])
            var changed = before.status != evaluation.status
            for script in evaluation.queue {
                try db.executeCached("""
                        INSERT INTO dry_runs (repository, pull_request, head_commit, script_path, blob, approvers, created_at, next_attempt_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repository, head_commit, script_path) DO NOTHING
                        """, [
                        evaluation.repository.rawValue, evaluation.number, evaluation.head, script.scriptPath, script.blob,
                        StoredDryRuns.encode(approvers: evaluation.approvers), now, now,
                    ])
                changed = changed || db.changesCount > 0
            }
            if changed { try Self.bumpReport(db, repository: evaluation.repository.rawValue, number: evaluation.number) }
            try Self.settleOtherHeads(
                db, repository: evaluation.repository, number: evaluation.number, head: evaluation.head, isOpen: evaluation.isOpen, now: now)
        }
    }

    public func settleDryRunReport(
        repository: RepositoryName, number: Int, owner: String, version: Int, commentID: Int64?, commentURL: String?,
        retryAt: Date?, error: String?
    ) async throws {
        try await immediate { db in
            try db.executeCached("""
                    UPDATE dry_run_pulls SET reported_version = MAX(reported_version, ?), comment_id = COALESCE(?, comment_id),
                        comment_url = COALESCE(?, comment_url), report_at = ?,
                        report_attempts = CASE WHEN ? IS NULL THEN 0 ELSE report_attempts + 1 END,
                        last_error = COALESCE(?, last_error), lease_owner = NULL, lease_expires_at = NULL
                    WHERE repository = ? AND number = ? AND lease_owner = ?
                    """, [version, commentID, commentURL, retryAt?.storedValue, retryAt?.storedValue, error, repository.rawValue, number, owner])
        }
    }

    public func dryRunPullRequest(repository: RepositoryName, number: Int) async throws -> DryRunPullRequest? {
        try await pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM dry_run_pulls WHERE repository = ? AND number = ?"),
                arguments: [repository.rawValue, number]
            ).map(StoredDryRuns.pull)
        }
    }

    public func claimDryRun(owner: String, leaseDuration: Duration) async throws -> DryRunRecord? {
        let now = clock.now()
        return try await immediate { db in
            let interrupted = try Row.fetchAll(
                db.cachedStatement(sql: """
                    UPDATE dry_runs SET state = 'interrupted', error = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL
                    WHERE state = 'running' AND lease_expires_at < ? RETURNING repository, pull_request
                    """), arguments: [StoredDryRuns.interruptedMessage, now.storedValue, now.storedValue])
            for row in interrupted {
                try Self.bumpReport(db, repository: row["repository"], number: row["pull_request"])
            }
            return try Row.fetchOne(
                db.cachedStatement(sql: """
                    UPDATE dry_runs SET lease_owner = ?, lease_expires_at = ?
                    WHERE id IN (\(StoredDryRuns.claimableRun(now: "?"))) RETURNING *
                    """),
                arguments: [owner, now.adding(leaseDuration).storedValue, now.storedValue, now.storedValue]
            ).map(StoredDryRuns.dryRun)
        }
    }

    public func startDryRun(_ id: Int64, owner: String, leaseDuration: Duration) async throws -> Bool {
        let now = clock.now()
        return try await immediate { db in
            guard let row = try Row.fetchOne(
                db.cachedStatement(sql: """
                    UPDATE dry_runs SET state = 'running', started_at = ?, lease_expires_at = ?
                    WHERE id = ? AND lease_owner = ? AND state = 'queued' RETURNING repository, pull_request
                    """), arguments: [now.storedValue, now.adding(leaseDuration).storedValue, id, owner])
            else { return false }
            try Self.bumpReport(db, repository: row["repository"], number: row["pull_request"])
            return true
        }
    }

    public func renewDryRun(_ id: Int64, owner: String, leaseDuration: Duration) async throws -> Bool {
        let until = clock.now().adding(leaseDuration).storedValue
        return try await immediate { db in
            try db.executeCached(
                "UPDATE dry_runs SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND state IN ('queued', 'running')",
                [until, id, owner])
            return db.changesCount > 0
        }
    }

    public func finishDryRun(_ record: DryRunRecord, owner: String, retryAt: Date?) async throws {
        let now = clock.now().storedValue
        try await immediate { db in
            if let retryAt {
                try db.executeCached("""
                        UPDATE dry_runs SET next_attempt_at = ?, attempts = attempts + 1, error = ?, lease_owner = NULL, lease_expires_at = NULL
                        WHERE id = ? AND lease_owner = ? AND state = 'queued'
                        """, [retryAt.storedValue, record.error, record.id, owner])
            } else {
                try db.executeCached("""
                        UPDATE dry_runs SET state = ?, finished_at = ?, outcome = ?, exit_code = ?, signal = ?, stdout = ?, stderr = ?,
                            stdout_truncated = ?, stderr_truncated = ?, progress = ?, error = ?, artifact_digest = ?,
                            started_at = COALESCE(?, started_at), attempts = attempts + ?, lease_owner = NULL, lease_expires_at = NULL
                        WHERE id = ? AND lease_owner = ? AND state IN ('queued', 'running')
                        """, [
                        record.state.rawValue, (record.finishedAt ?? Date(timeIntervalSince1970: now)).storedValue,
                        record.outcome?.rawValue, record.exitCode, record.signal, record.stdout, record.stderr,
                        record.stdoutTruncated, record.stderrTruncated, StoredDryRuns.encode(progress: record.progress), record.error,
                        record.artifactDigest, record.startedAt?.storedValue, record.state == .error ? 1 : 0, record.id, owner,
                    ])
            }
            if db.changesCount > 0 { try Self.bumpReport(db, repository: record.repository.rawValue, number: record.pullRequest) }
        }
    }

    public func dryRuns(_ filter: DryRunFilter) async throws -> [DryRunRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT * FROM dry_runs WHERE (? IS NULL OR repository = ?) AND (? IS NULL OR pull_request = ?)
                        AND (? IS NULL OR head_commit = ?) ORDER BY id DESC LIMIT ?
                    """),
                arguments: [
                    filter.repository?.rawValue, filter.repository?.rawValue, filter.pullRequest, filter.pullRequest,
                    filter.headCommit, filter.headCommit, filter.limit,
                ]
            ).map(StoredDryRuns.dryRun)
        }
    }

    public func dryRun(_ id: Int64) async throws -> DryRunRecord? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM dry_runs WHERE id = ?"), arguments: [id]).map(StoredDryRuns.dryRun)
        }
    }

    public func successfulDryRun(repository: RepositoryName, blob: String) async throws -> Int64? {
        try await pool.read { db in
            try Int64.fetchOne(
                db.cachedStatement(sql: """
                    SELECT id FROM dry_runs WHERE repository = ? AND blob = ? AND state = 'finished' AND outcome = 'succeeded'
                    ORDER BY id DESC LIMIT 1
                    """), arguments: [repository.rawValue, blob])
        }
    }

    public func overrideDryRun(pipeline: PipelineID, operatorName: String, reason: String) async throws {
        let now = clock.now().storedValue
        try await immediate { db in
            let record = try Self.fetchPipeline(db, pipeline.rawValue)
            let stages = try Self.stagesByPipeline(db, [pipeline])[pipeline] ?? []
            switch DryRunOverrideRule.decide(pipeline: pipeline, stages: stages, marks: record.marks) {
            case .refuse(let why):
                throw PipelineStoreError.overrideRefused(pipeline, why)
            case .accept(let execute):
                try Self.recordAction(db, .overrideDryRun, execute, operatorName: operatorName, reason: reason, now: now)
                try db.executeCached("UPDATE stages SET run_after = ? WHERE id = ? AND state = 'queued'", [now, execute.id.rawValue])
            }
        }
    }
}
