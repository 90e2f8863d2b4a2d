import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import PostgresNIO

extension PostgresPipelineStore {
    /// One statement: `jobrunner_claim` (PostgresFunctions) picks, locks and claims the
    /// stage; the pipeline comes back with it.
    public func claimNext(owner: String, kinds: Set<StageKind>, leaseDuration: Duration) async throws -> ClaimedStage? {
        guard !kinds.isEmpty else { return nil }
        let now = clock.now()
        let expires = now.adding(leaseDuration)
        let kindNames = kinds.sorted().map(\.rawValue)
        let logger = logger
        return try await statement("claiming a stage for \(owner)") { db -> ClaimedStage? in
            guard
                let row = try await db.row(
                    """
                    SELECT c.claimed_stage, c.claimed_kind, c.claimed_attempt, \(unescaped: StoredRecords.pipelineColumns)
                    FROM jobrunner_claim(\(owner), \(kindNames), \(now.storedValue), \(expires.storedValue),
                                         \(LockClass.executeClaims.rawValue)) c
                    JOIN pipelines p ON p.id = c.claimed_pipeline
                    """, logger: logger)
            else { return nil }
            let kindText = try row.string("claimed_kind")
            guard let kind = StageKind(rawValue: kindText) else {
                throw StoredRowError(description: "stored stage has unknown kind \(kindText)")
            }
            return ClaimedStage(
                lease: Lease(
                    stageID: StageID(try row.int64("claimed_stage")), owner: owner, attempt: try row.int("claimed_attempt"),
                    expiresAt: expires),
                kind: kind, pipeline: try StoredRecords.pipeline(row))
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

    public func release(_ lease: Lease, reason: String, reattachable: Bool) async throws {
        let now = clock.now().storedValue
        let logger = logger
        try await transaction("releasing stage \(lease.stageID)") { db in
            let held = try await Self.heldStage(db, lease, logger: logger)
            try await Self.endLease(db, lease, held.kind.released(reason: reason, reattachable: reattachable), now: now, logger: logger)
            try await Self.notifyWork(db, logger: logger)
        }
    }

    /// One round trip: `jobrunner_complete` (PostgresFunctions) does it all or nothing.
    public func complete(_ lease: Lease, summary: String?, feedback: [PipelineEvent]) async throws {
        let now = clock.now().storedValue
        let executeAttempts = retryPolicy.attempts(for: .execute)
        let cleanupAttempts = retryPolicy.attempts(for: .cleanup)
        let logger = logger
        let body: @Sendable (PostgresConnection) async throws -> Void = { db in
            let row = try await db.row(
                """
                SELECT jobrunner_complete(
                    \(lease.stageID.rawValue), \(lease.owner), \(Int64(lease.attempt)), \(now), \(summary),
                    \(Int64(executeAttempts)), \(Int64(cleanupAttempts)), \(Self.workChannel)) AS kind
                """, logger: logger)
            guard try row?.optionalString("kind") != nil else {
                throw PipelineStoreError.leaseLost(lease.stageID, owner: lease.owner)
            }
            if !feedback.isEmpty {
                let pipeline = try await db.row("SELECT pipeline_id FROM stages WHERE id = \(lease.stageID.rawValue)", logger: logger)
                try await Self.insertOutbox(db, pipeline: try pipeline!.int64("pipeline_id"), events: feedback, now: now, logger: logger)
            }
        }
        // One round trip when there is nothing for the outbox; otherwise one transaction.
        if feedback.isEmpty {
            try await statement("completing stage \(lease.stageID)", body)
        } else {
            try await transaction("completing stage \(lease.stageID)", body)
        }
    }

    @discardableResult
    public func fail(_ lease: Lease, failure: StageFailure, feedbackIfFailed: [PipelineEvent]) async throws
        -> FailureDisposition
    {
        let now = clock.now()
        let policy = retryPolicy
        let jitter = jitter()
        let logger = logger
        return try await transaction("recording a failure of stage \(lease.stageID)") { db -> FailureDisposition in
            let held = try await Self.heldStage(db, lease, logger: logger)
            let decision = policy.decide(
                after: failure, attempt: lease.attempt, maxAttempts: held.maxAttempts, now: now, jitter: jitter)
            switch decision.disposition {
            case .willRetry(let retryAt):
                try await db.run(
                    """
                    UPDATE stages SET state = 'queued', run_after = \(retryAt.storedValue), lease_owner = NULL,
                        lease_expires_at = NULL, last_error = \(decision.stageError) WHERE id = \(lease.stageID.rawValue)
                    """, logger: logger)
                try await Self.finishAttempt(
                    db, lease, outcome: .retrying, error: failure.message, now: now.storedValue, logger: logger)
            case .failed:
                try await Self.end(
                    db, lease.stageID.rawValue, as: .failed, error: decision.stageError, now: now.storedValue, logger: logger)
                try await Self.finishAttempt(
                    db, lease, outcome: .failed, error: failure.message, now: now.storedValue, logger: logger)
                try await Self.insertOutbox(
                    db, pipeline: held.pipeline, events: feedbackIfFailed, now: now.storedValue, logger: logger)
                // A failed PROCESS or EXECUTE no longer holds back its repository's later pipelines.
                try await Self.notifyWork(db, logger: logger)
            }
            return decision.disposition
        }
    }

    @discardableResult
    public func deferStage(_ lease: Lease, until: Date, reason: String, feedbackIfBegan: [PipelineEvent]) async throws -> Bool {
        let now = clock.now().storedValue
        let logger = logger
        return try await transaction("deferring stage \(lease.stageID)") { db -> Bool in
            let held = try await Self.heldStage(db, lease, logger: logger)
            let id = lease.stageID.rawValue
            let row = try await db.row(
                """
                UPDATE stages s SET state = 'queued', attempt = s.attempt - 1, lease_owner = NULL, lease_expires_at = NULL,
                    started_at = NULL, run_after = \(until.storedValue), wait_reason = \(reason),
                    waiting_since = COALESCE(s.waiting_since, \(now))
                FROM (SELECT waiting_since FROM stages WHERE id = \(id)) before
                WHERE s.id = \(id)
                RETURNING before.waiting_since IS NULL AS began
                """, logger: logger)
            // It never started: no attempt to show.
            try await db.run(
                "DELETE FROM stage_attempts WHERE stage_id = \(id) AND attempt = \(lease.attempt) AND outcome = 'running'",
                logger: logger)
            let began = try row?.bool("began") ?? false
            if began {
                try await Self.insertOutbox(db, pipeline: held.pipeline, events: feedbackIfBegan, now: now, logger: logger)
            }
            return began
        }
    }

    public func rescueExpiredLeases(reattachable: Bool) async throws -> RescueReport {
        // Expiry is decided on the database's time: measured again before every look.
        try? await calibrateClock()
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
                guard let kind = StageKind(rawValue: try row.string("kind")) else { continue }
                let attempt = try row.int("attempt")
                let owner = try row.optionalString("lease_owner") ?? "unknown worker"
                let decision = kind.rescued(
                    attempt: attempt, maxAttempts: try row.int("max_attempts"), owner: owner,
                    expiredAt: Date(timeIntervalSince1970: try row.double("lease_expires_at")), reattachable: reattachable)
                let lease = Lease(stageID: StageID(id), owner: owner, attempt: attempt, expiresAt: .distantPast)
                try await Self.endLease(db, lease, decision, now: now, logger: logger)
                report.record(StageID(id), decision)
            }
            if !rows.isEmpty { try await Self.notifyWork(db, logger: logger) }
            return report
        }
    }
}
