import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import PostgresNIO

extension PostgresPipelineStore {
    public func recordPullRequestDelivery(_ delivery: NewDelivery, signal: PullRequestSignal?) async throws -> RecordedDelivery {
        let now = clock.now().storedValue
        let logger = logger
        return try await transaction("recording delivery \(delivery.id.rawValue)") { db in
            try await db.run("SELECT pg_advisory_xact_lock(\(LockClass.intake.rawValue), 0)", logger: logger)
            if let existing = try await Self.fetchDelivery(db, delivery.id, logger: logger) {
                if existing.delivery.outcome != .failed {
                    return RecordedDelivery(record: existing, isRedelivery: true, pipelines: [])
                }
                try await db.run("DELETE FROM deliveries WHERE id = \(delivery.id.rawValue)", logger: logger)
            }
            try await Self.insertDelivery(db, delivery, now: now, logger: logger)
            if let signal {
                try await db.run(
                    """
                    INSERT INTO dry_run_pulls (repository, number, head_commit, is_open, title, url, evaluate_at, updated_at)
                    VALUES (\(signal.repository.rawValue), \(signal.number), \(signal.headCommit), \(signal.isOpen), \(signal.title),
                            \(signal.url), \(now), \(now))
                    ON CONFLICT (repository, number) DO UPDATE SET head_commit = excluded.head_commit, is_open = excluded.is_open,
                        title = COALESCE(excluded.title, dry_run_pulls.title), url = COALESCE(excluded.url, dry_run_pulls.url),
                        evaluate_at = excluded.evaluate_at, evaluation_attempts = 0, updated_at = excluded.updated_at
                    """, logger: logger)
                try await Self.settleOtherHeads(
                    db, repository: signal.repository, number: signal.number, head: signal.headCommit, isOpen: signal.isOpen, now: now,
                    logger: logger)
            }
            let record = DeliveryRecord(delivery: delivery, receivedAt: Date(timeIntervalSince1970: now), pipelineIDs: [])
            return RecordedDelivery(record: record, isRedelivery: false, pipelines: [])
        }
    }

    /// As the SQLite driver: queued dry runs of other heads (or of any head once closed) are
    /// skipped, finished ones of other heads outdated; the comment is made due when anything changed.
    static func settleOtherHeads(
        _ db: PostgresConnection, repository: RepositoryName, number: Int, head: String, isOpen: Bool, now: Double, logger: Logger
    ) async throws {
        let why = isOpen ? "the pull request moved on to \(head.prefix(12)) before it ran" : "the pull request was closed before it ran"
        let skipped = try await db.rows(
            """
            UPDATE dry_runs SET state = 'skipped', error = \(why), finished_at = \(now), outdated = (head_commit <> \(head)),
                lease_owner = NULL, lease_expires_at = NULL
            WHERE repository = \(repository.rawValue) AND pull_request = \(number) AND state = 'queued'
              AND (head_commit <> \(head) OR NOT \(isOpen)) RETURNING id
            """, logger: logger)
        let outdated = try await db.rows(
            """
            UPDATE dry_runs SET outdated = TRUE
            WHERE repository = \(repository.rawValue) AND pull_request = \(number) AND head_commit <> \(head) AND NOT outdated
            RETURNING id
            """, logger: logger)
        if !skipped.isEmpty || !outdated.isEmpty {
            try await bumpReport(db, repository: repository.rawValue, number: number, logger: logger)
        }
    }

    static func bumpReport(_ db: PostgresConnection, repository: String, number: Int, logger: Logger) async throws {
        try await db.run(
            """
            UPDATE dry_run_pulls SET report_version = report_version + 1, report_at = NULL
            WHERE repository = \(repository) AND number = \(number)
            """, logger: logger)
    }

    public func claimDryRunPullRequests(owner: String, limit: Int, leaseDuration: Duration) async throws -> [DryRunPullRequest] {
        let now = clock.now()
        let nowLiteral = String(now.storedValue)
        let logger = logger
        return try await statement("claiming pull requests for dry runs") { db in
            try await db.rows(
                """
                UPDATE dry_run_pulls SET lease_owner = \(owner), lease_expires_at = \(now.adding(leaseDuration).storedValue),
                    claimed_at = \(now.storedValue)
                WHERE (repository, number) IN (\(unescaped: StoredDryRuns.claimablePulls(now: nowLiteral, limit: String(limit), lock: "FOR UPDATE SKIP LOCKED")))
                RETURNING *
                """, logger: logger
            ).map(StoredDryRuns.pull)
        }
    }

    public func settleDryRunEvaluation(_ evaluation: DryRunEvaluation, owner: String) async throws {
        let now = clock.now().storedValue
        let logger = logger
        let repository = evaluation.repository.rawValue
        try await transaction("settling the dry-run evaluation of \(repository)#\(evaluation.number)") { db in
            guard
                let before = try await db.row(
                    """
                    SELECT * FROM dry_run_pulls WHERE repository = \(repository) AND number = \(evaluation.number)
                      AND lease_owner = \(owner) FOR UPDATE
                    """, logger: logger
                ).map(StoredDryRuns.pull)
            else { return }
            let retryAt = evaluation.retryAt?.storedValue
            try await db.run(
                """
                UPDATE dry_run_pulls SET head_commit = \(evaluation.head), is_open = \(evaluation.isOpen), status = \(evaluation.status),
                    title = COALESCE(\(evaluation.title), title), url = COALESCE(\(evaluation.url), url), last_error = \(evaluation.error),
                    evaluation_attempts = CASE WHEN \(retryAt)::DOUBLE PRECISION IS NULL THEN 0 ELSE evaluation_attempts + 1 END,
                    evaluate_at = CASE WHEN evaluate_at > claimed_at THEN evaluate_at ELSE \(retryAt) END, updated_at = \(now)
                WHERE repository = \(repository) AND number = \(evaluation.number)
                """, logger: logger)
            var changed = before.status != evaluation.status
            for script in evaluation.queue {
                let inserted = try await db.rows(
                    """
                    INSERT INTO dry_runs (repository, pull_request, head_commit, script_path, blob, approvers, created_at, next_attempt_at)
                    VALUES (\(repository), \(evaluation.number), \(evaluation.head), \(script.scriptPath), \(script.blob),
                            \(StoredDryRuns.encode(approvers: evaluation.approvers)), \(now), \(now))
                    ON CONFLICT (repository, head_commit, script_path) DO NOTHING RETURNING id
                    """, logger: logger)
                changed = changed || !inserted.isEmpty
            }
            if changed { try await Self.bumpReport(db, repository: repository, number: evaluation.number, logger: logger) }
            try await Self.settleOtherHeads(
                db, repository: evaluation.repository, number: evaluation.number, head: evaluation.head, isOpen: evaluation.isOpen,
                now: now, logger: logger)
        }
    }

    public func settleDryRunReport(
        repository: RepositoryName, number: Int, owner: String, version: Int, commentID: Int64?, commentURL: String?,
        retryAt: Date?, error: String?
    ) async throws {
        let logger = logger
        let retry = retryAt?.storedValue
        try await statement("settling the dry-run report of \(repository)#\(number)") { db in
            try await db.run(
                """
                UPDATE dry_run_pulls SET reported_version = GREATEST(reported_version, \(version)),
                    comment_id = COALESCE(\(commentID), comment_id), comment_url = COALESCE(\(commentURL), comment_url),
                    report_at = \(retry),
                    report_attempts = CASE WHEN \(retry)::DOUBLE PRECISION IS NULL THEN 0 ELSE report_attempts + 1 END,
                    last_error = COALESCE(\(error), last_error), lease_owner = NULL, lease_expires_at = NULL
                WHERE repository = \(repository.rawValue) AND number = \(number) AND lease_owner = \(owner)
                """, logger: logger)
        }
    }

    public func dryRunPullRequest(repository: RepositoryName, number: Int) async throws -> DryRunPullRequest? {
        let logger = logger
        return try await read("reading pull request \(repository)#\(number)") { db in
            try await db.row(
                "SELECT * FROM dry_run_pulls WHERE repository = \(repository.rawValue) AND number = \(number)", logger: logger
            ).map(StoredDryRuns.pull)
        }
    }

    public func claimDryRun(owner: String, leaseDuration: Duration) async throws -> DryRunRecord? {
        let now = clock.now()
        let nowLiteral = String(now.storedValue)
        let logger = logger
        return try await transaction("claiming a dry run for \(owner)") { db in
            let interrupted = try await db.rows(
                """
                UPDATE dry_runs SET state = 'interrupted', error = \(StoredDryRuns.interruptedMessage), finished_at = \(now.storedValue),
                    lease_owner = NULL, lease_expires_at = NULL
                WHERE state = 'running' AND lease_expires_at < \(now.storedValue) RETURNING repository, pull_request
                """, logger: logger)
            for row in interrupted {
                try await Self.bumpReport(db, repository: try row.string("repository"), number: try row.int("pull_request"), logger: logger)
            }
            return try await db.row(
                """
                UPDATE dry_runs SET lease_owner = \(owner), lease_expires_at = \(now.adding(leaseDuration).storedValue)
                WHERE id IN (\(unescaped: StoredDryRuns.claimableRun(now: nowLiteral, lock: "FOR UPDATE SKIP LOCKED"))) RETURNING *
                """, logger: logger
            ).map(StoredDryRuns.dryRun)
        }
    }

    public func startDryRun(_ id: Int64, owner: String, leaseDuration: Duration) async throws -> Bool {
        let now = clock.now()
        let logger = logger
        return try await transaction("starting dry run \(id)") { db in
            guard
                let row = try await db.row(
                    """
                    UPDATE dry_runs SET state = 'running', started_at = \(now.storedValue),
                        lease_expires_at = \(now.adding(leaseDuration).storedValue)
                    WHERE id = \(id) AND lease_owner = \(owner) AND state = 'queued' RETURNING repository, pull_request
                    """, logger: logger)
            else { return false }
            try await Self.bumpReport(db, repository: try row.string("repository"), number: try row.int("pull_request"), logger: logger)
            return true
        }
    }

    public func renewDryRun(_ id: Int64, owner: String, leaseDuration: Duration) async throws -> Bool {
        let until = clock.now().adding(leaseDuration).storedValue
        let logger = logger
        return try await statement("renewing dry run \(id)") { db in
            !(try await db.rows(
                """
                UPDATE dry_runs SET lease_expires_at = \(until)
                WHERE id = \(id) AND lease_owner = \(owner) AND state IN ('queued', 'running') RETURNING id
                """, logger: logger)).isEmpty
        }
    }

    public func finishDryRun(_ record: DryRunRecord, owner: String, retryAt: Date?) async throws {
        let now = clock.now().storedValue
        let logger = logger
        try await transaction("finishing dry run \(record.id)") { db in
            let changed: [PostgresRandomAccessRow]
            if let retryAt {
                changed = try await db.rows(
                    """
                    UPDATE dry_runs SET next_attempt_at = \(retryAt.storedValue), attempts = attempts + 1, error = \(record.error),
                        lease_owner = NULL, lease_expires_at = NULL
                    WHERE id = \(record.id) AND lease_owner = \(owner) AND state = 'queued' RETURNING id
                    """, logger: logger)
            } else {
                changed = try await db.rows(
                    """
                    UPDATE dry_runs SET state = \(record.state.rawValue), finished_at = \((record.finishedAt ?? Date(timeIntervalSince1970: now)).storedValue),
                        outcome = \(record.outcome?.rawValue), exit_code = \(record.exitCode), signal = \(record.signal),
                        stdout = \(record.stdout), stderr = \(record.stderr), stdout_truncated = \(record.stdoutTruncated),
                        stderr_truncated = \(record.stderrTruncated), progress = \(StoredDryRuns.encode(progress: record.progress)),
                        error = \(record.error), artifact_digest = \(record.artifactDigest),
                        started_at = COALESCE(\(record.startedAt?.storedValue), started_at),
                        attempts = attempts + \(record.state == .error ? 1 : 0), lease_owner = NULL, lease_expires_at = NULL
                    WHERE id = \(record.id) AND lease_owner = \(owner) AND state IN ('queued', 'running') RETURNING id
                    """, logger: logger)
            }
            if !changed.isEmpty {
                try await Self.bumpReport(db, repository: record.repository.rawValue, number: record.pullRequest, logger: logger)
            }
        }
    }

    public func dryRuns(_ filter: DryRunFilter) async throws -> [DryRunRecord] {
        let logger = logger
        return try await read("listing dry runs") { db in
            try await db.rows(
                """
                SELECT * FROM dry_runs WHERE (\(filter.repository?.rawValue)::TEXT IS NULL OR repository = \(filter.repository?.rawValue))
                    AND (\(filter.pullRequest)::BIGINT IS NULL OR pull_request = \(filter.pullRequest))
                    AND (\(filter.headCommit)::TEXT IS NULL OR head_commit = \(filter.headCommit))
                ORDER BY id DESC LIMIT \(filter.limit)
                """, logger: logger
            ).map(StoredDryRuns.dryRun)
        }
    }

    public func dryRun(_ id: Int64) async throws -> DryRunRecord? {
        let logger = logger
        return try await read("reading dry run \(id)") { db in
            try await db.row("SELECT * FROM dry_runs WHERE id = \(id)", logger: logger).map(StoredDryRuns.dryRun)
        }
    }

    public func successfulDryRun(repository: RepositoryName, blob: String) async throws -> Int64? {
        let logger = logger
        return try await read("looking up a dry run of \(blob)") { db in
            try await db.row(
                """
                SELECT id FROM dry_runs WHERE repository = \(repository.rawValue) AND blob = \(blob) AND state = 'finished'
                  AND outcome = 'succeeded' ORDER BY id DESC LIMIT 1
                """, logger: logger
            ).map { try $0.int64("id") }
        }
    }

    public func overrideDryRun(pipeline: PipelineID, operatorName: String, reason: String) async throws {
        let now = clock.now().storedValue
        let logger = logger
        try await transaction("overriding the dry run of pipeline \(pipeline)") { db in
            let stages = try await db.rows(
                "SELECT * FROM stages WHERE pipeline_id = \(pipeline.rawValue) ORDER BY id FOR UPDATE", logger: logger
            ).map(StoredRecords.stage)
            let record = try await Self.fetchPipeline(db, pipeline.rawValue, logger: logger)
            switch DryRunOverrideRule.decide(pipeline: pipeline, stages: stages, marks: record.marks) {
            case .refuse(let why):
                throw PipelineStoreError.overrideRefused(pipeline, why)
            case .accept(let execute):
                try await Self.recordAction(
                    db, pipeline: pipeline.rawValue, stage: execute.id.rawValue, kind: .execute,
                    action: OperatorAction.Kind.overrideDryRun.rawValue, operatorName: operatorName, reason: reason, now: now,
                    logger: logger)
                try await db.run(
                    "UPDATE stages SET run_after = \(now) WHERE id = \(execute.id.rawValue) AND state = 'queued'", logger: logger)
                try await Self.notifyWork(db, logger: logger)
            }
        }
    }
}
