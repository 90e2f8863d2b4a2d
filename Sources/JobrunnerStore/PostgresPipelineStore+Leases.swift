import Foundation
import JobrunnerCore
import Logging
import PostgresNIO

extension PostgresPipelineStore {
    public func claimNext(owner: String, kinds: Set<StageKind>, leaseDuration: Duration) async throws -> ClaimedStage? {
        guard !kinds.isEmpty else { return nil }
        let now = clock.now()
        let expires = now.adding(leaseDuration)
        let kindList = StoredSQL.kindList(kinds)
        let logger = logger
        // One round trip for the common case: the next runnable stage is claimed by a single
        // statement unless it is an EXECUTE, which needs the repository lock below.
        let fast = try await statement("claiming a stage for \(owner)") { db -> (claimed: ClaimedStage?, executeWaiting: Bool) in
            guard
                let row = try await db.row(
                    """
                    WITH candidate AS (
                        SELECT s.id, s.kind FROM stages s
                        WHERE s.state = 'queued' AND s.run_after <= \(now.storedValue) AND s.kind IN (\(unescaped: kindList))
                          AND (s.kind <> 'execute' OR \(unescaped: StoredSQL.executeRunnable))
                        ORDER BY s.run_after, s.pipeline_id, s.id
                        LIMIT 1
                        FOR UPDATE OF s SKIP LOCKED),
                    claimed AS (
                        UPDATE stages
                        SET state = 'running', attempt = stages.attempt + 1, lease_owner = \(owner),
                            lease_expires_at = \(expires.storedValue), started_at = \(now.storedValue), finished_at = NULL,
                            cancel_requested_by = NULL, cancel_requested_at = NULL
                        FROM candidate WHERE stages.id = candidate.id AND candidate.kind <> 'execute'
                        RETURNING stages.id, stages.pipeline_id, stages.kind, stages.attempt),
                    attempt AS (
                        INSERT INTO stage_attempts (stage_id, attempt, worker, started_at, outcome)
                        SELECT id, attempt, \(owner), \(now.storedValue), 'running' FROM claimed)
                    SELECT candidate.kind AS candidate_kind, claimed.id AS stage_id, claimed.kind AS stage_kind,
                           claimed.attempt AS stage_attempt, \(unescaped: StoredRecords.pipelineColumns)
                    FROM candidate
                    LEFT JOIN claimed ON claimed.id = candidate.id
                    LEFT JOIN pipelines p ON p.id = claimed.pipeline_id
                    """, logger: logger)
            else { return (nil, false) }
            guard let stageID = try row.optionalInt64("stage_id") else { return (nil, true) }
            let kindText = try row.string("stage_kind")
            guard let kind = StageKind(rawValue: kindText) else {
                throw StoredRowError(description: "stored stage has unknown kind \(kindText)")
            }
            let attempt = try row.int("stage_attempt")
            return (
                ClaimedStage(
                    lease: Lease(stageID: StageID(stageID), owner: owner, attempt: attempt, expiresAt: expires), kind: kind,
                    pipeline: try StoredRecords.pipeline(row)),
                false
            )
        }
        guard fast.executeWaiting else { return fast.claimed }
        return try await transaction("claiming a stage for \(owner)") { db -> ClaimedStage? in
            // A few candidates at most: one whose repository another node just started is
            // passed over for the next.
            var passedOver: [Int64] = []
            while passedOver.count < 4 {
                guard
                    let candidate = try await db.row(
                        """
                        SELECT s.id, s.kind, s.repository FROM stages s
                        WHERE s.state = 'queued' AND s.run_after <= \(now.storedValue) AND s.kind IN (\(unescaped: kindList))
                          AND NOT (s.id = ANY(\(passedOver)))
                          AND (s.kind <> 'execute' OR \(unescaped: StoredSQL.executeRunnable))
                        ORDER BY s.run_after, s.pipeline_id, s.id
                        LIMIT 1
                        FOR UPDATE OF s SKIP LOCKED
                        """, logger: logger)
                else { return nil }
                let stageID = try candidate.int64("id")
                if try candidate.string("kind") == StageKind.execute.rawValue {
                    // The statement above saw a snapshot taken before this lock; only a check
                    // made while holding it sees every EXECUTE another node started.
                    try await db.run(
                        """
                        SELECT pg_advisory_xact_lock(\(LockClass.executeClaims.rawValue), hashtext(\(try candidate.string("repository"))))
                        """, logger: logger)
                    let runnable = try await db.row(
                        """
                        SELECT \(unescaped: StoredSQL.executeRunnable) AS runnable
                        FROM stages s WHERE s.id = \(stageID)
                        """, logger: logger)
                    guard try runnable?.bool("runnable") == true else {
                        passedOver.append(stageID)
                        continue
                    }
                }
                let claimed = try await db.row(
                    """
                    UPDATE stages
                    SET state = 'running', attempt = attempt + 1, lease_owner = \(owner),
                        lease_expires_at = \(expires.storedValue), started_at = \(now.storedValue), finished_at = NULL,
                        cancel_requested_by = NULL, cancel_requested_at = NULL
                    WHERE id = \(stageID)
                    RETURNING id, pipeline_id, kind, attempt
                    """, logger: logger)!
                let attempt = try claimed.int("attempt")
                let kindText = try claimed.string("kind")
                guard let kind = StageKind(rawValue: kindText) else {
                    throw StoredRowError(description: "stored stage has unknown kind \(kindText)")
                }
                try await db.run(
                    """
                    INSERT INTO stage_attempts (stage_id, attempt, worker, started_at, outcome)
                    VALUES (\(stageID), \(attempt), \(owner), \(now.storedValue), 'running')
                    """, logger: logger)
                let pipeline = try await Self.fetchPipeline(db, try claimed.int64("pipeline_id"), logger: logger)
                return ClaimedStage(
                    lease: Lease(stageID: StageID(stageID), owner: owner, attempt: attempt, expiresAt: expires),
                    kind: kind, pipeline: pipeline)
            }
            return nil
        }
    }

    public func renew(_ lease: Lease, leaseDuration: Duration) async throws -> Lease {
        let expires = clock.now().adding(leaseDuration)
        let logger = logger
        try await transaction("renewing the lease of stage \(lease.stageID)") { db in
            let renewed = try await db.rows(
                """
                UPDATE stages SET lease_expires_at = \(expires.storedValue)
                WHERE id = \(lease.stageID.rawValue) AND state = 'running' AND lease_owner = \(lease.owner)
                  AND attempt = \(lease.attempt)
                RETURNING id
                """, logger: logger)
            guard renewed.count == 1 else { throw PipelineStoreError.leaseLost(lease.stageID, owner: lease.owner) }
        }
        var renewed = lease
        renewed.expiresAt = expires
        return renewed
    }

    public func release(_ lease: Lease, reason: String) async throws {
        let now = clock.now().storedValue
        let logger = logger
        try await transaction("releasing stage \(lease.stageID)") { db in
            let held = try await Self.heldStageKind(db, lease, logger: logger)
            if held.kind == .execute {
                try await Self.end(db, lease.stageID.rawValue, as: .interrupted, error: reason, now: now, logger: logger)
                try await Self.finishAttempt(db, lease, outcome: .interrupted, error: reason, now: now, logger: logger)
            } else {
                try await db.run(
                    """
                    UPDATE stages SET state = 'queued', attempt = attempt - 1,
                        lease_owner = NULL, lease_expires_at = NULL, started_at = NULL WHERE id = \(lease.stageID.rawValue)
                    """, logger: logger)
                try await Self.finishAttempt(db, lease, outcome: .released, error: reason, now: now, logger: logger)
            }
            try await Self.notifyWork(db, logger: logger)
        }
    }

    /// One statement (one round trip): the stage succeeds, its attempt is closed, the next
    /// stage is queued and the workers are told — or nothing, when the lease is not held.
    public func complete(_ lease: Lease, summary: String?) async throws {
        let now = clock.now().storedValue
        let executeAttempts = retryPolicy.attempts(for: .execute)
        let cleanupAttempts = retryPolicy.attempts(for: .cleanup)
        let logger = logger
        try await statement("completing stage \(lease.stageID)") { db in
            let completed = try await db.row(
                """
                WITH held AS (
                    UPDATE stages SET state = 'succeeded', finished_at = \(now), lease_owner = NULL,
                        lease_expires_at = NULL, summary = \(summary)
                    WHERE id = \(lease.stageID.rawValue) AND state = 'running' AND lease_owner = \(lease.owner)
                      AND attempt = \(lease.attempt)
                    RETURNING id, pipeline_id, repository, kind),
                attempt AS (
                    UPDATE stage_attempts SET finished_at = \(now), outcome = 'succeeded', error = NULL
                    WHERE stage_id IN (SELECT id FROM held) AND attempt = \(lease.attempt) AND outcome = 'running'),
                next AS (
                    INSERT INTO stages (pipeline_id, repository, kind, state, attempt, max_attempts, run_after, created_at)
                    SELECT pipeline_id, repository, CASE kind WHEN 'process' THEN 'execute' ELSE 'cleanup' END, 'queued', 0,
                           CASE kind WHEN 'process' THEN \(executeAttempts) ELSE \(cleanupAttempts) END, \(now), \(now)
                    FROM held WHERE kind <> 'cleanup')
                -- A next stage is work; a finished pipeline may free its repository's next EXECUTE.
                SELECT kind, pg_notify(\(Self.workChannel), '') AS notified FROM held
                """, logger: logger)
            guard completed != nil else { throw PipelineStoreError.leaseLost(lease.stageID, owner: lease.owner) }
        }
    }

    @discardableResult
    public func fail(_ lease: Lease, failure: StageFailure) async throws -> FailureDisposition {
        let now = clock.now()
        let policy = retryPolicy
        let jitter = jitter()
        let logger = logger
        return try await transaction("recording a failure of stage \(lease.stageID)") { db -> FailureDisposition in
            let held = try await Self.heldStageKind(db, lease, logger: logger)
            let message = "attempt \(lease.attempt) of \(held.maxAttempts): \(failure.message)"
            if failure.kind == .transient && lease.attempt < held.maxAttempts {
                let retryAt = now.adding(policy.delay(afterAttempt: lease.attempt, jitter: jitter))
                try await db.run(
                    """
                    UPDATE stages SET state = 'queued', run_after = \(retryAt.storedValue), lease_owner = NULL,
                        lease_expires_at = NULL, last_error = \(message) WHERE id = \(lease.stageID.rawValue)
                    """, logger: logger)
                try await Self.finishAttempt(
                    db, lease, outcome: .retrying, error: failure.message, now: now.storedValue, logger: logger)
                return .willRetry(at: retryAt)
            }
            try await Self.end(db, lease.stageID.rawValue, as: .failed, error: message, now: now.storedValue, logger: logger)
            try await Self.finishAttempt(db, lease, outcome: .failed, error: failure.message, now: now.storedValue, logger: logger)
            // A failed PROCESS or EXECUTE no longer holds back its repository's later pipelines.
            try await Self.notifyWork(db, logger: logger)
            return .failed
        }
    }

    public func rescueExpiredLeases() async throws -> RescueReport {
        let now = clock.now().storedValue
        let logger = logger
        return try await transaction("rescuing expired leases") { db -> RescueReport in
            // Locked and skipped when another node is rescuing (or finishing) the same stage.
            let rows = try await db.rows(
                """
                SELECT id, kind, attempt, max_attempts, lease_owner, lease_expires_at FROM stages
                WHERE state = 'running' AND lease_expires_at < \(now)
                FOR UPDATE SKIP LOCKED
                """, logger: logger)
            var report = RescueReport()
            for row in rows {
                let id = try row.int64("id")
                let attempt = try row.int("attempt")
                let maxAttempts = try row.int("max_attempts")
                let owner = try row.optionalString("lease_owner") ?? "unknown worker"
                let expiredAt = Date(timeIntervalSince1970: try row.double("lease_expires_at")).formatted(.iso8601)
                let lease = Lease(stageID: StageID(id), owner: owner, attempt: attempt, expiresAt: .distantPast)
                let rescue = LeaseRescue(owner: owner, expiredAt: expiredAt, maxAttempts: maxAttempts)
                if try row.string("kind") == StageKind.execute.rawValue {
                    try await Self.end(db, id, as: .interrupted, error: rescue.interruptedMessage, now: now, logger: logger)
                    try await Self.finishAttempt(
                        db, lease, outcome: .interrupted, error: rescue.interruptedMessage, now: now, logger: logger)
                    report.interrupted.append(StageID(id))
                } else if attempt < maxAttempts {
                    try await db.run(
                        """
                        UPDATE stages SET state = 'queued', lease_owner = NULL,
                            lease_expires_at = NULL, last_error = \(rescue.requeuedMessage) WHERE id = \(id)
                        """, logger: logger)
                    try await Self.finishAttempt(
                        db, lease, outcome: .abandoned, error: rescue.requeuedMessage, now: now, logger: logger)
                    report.requeued.append(StageID(id))
                } else {
                    try await Self.end(db, id, as: .failed, error: rescue.failedMessage, now: now, logger: logger)
                    try await Self.finishAttempt(
                        db, lease, outcome: .abandoned, error: rescue.failedMessage, now: now, logger: logger)
                    report.failed.append(StageID(id))
                }
            }
            if !rows.isEmpty { try await Self.notifyWork(db, logger: logger) }
            return report
        }
    }
}
