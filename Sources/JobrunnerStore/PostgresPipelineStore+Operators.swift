import Foundation
import JobrunnerCore
import Logging
import PostgresNIO

extension PostgresPipelineStore {
    public func retry(stage: StageID, operatorName: String, reason: String?) async throws {
        let now = clock.now().storedValue
        let policy = retryPolicy
        let logger = logger
        try await transaction("retrying stage \(stage)") { db in
            guard
                let row = try await db.row(
                    "SELECT pipeline_id, kind, state, attempt FROM stages WHERE id = \(stage.rawValue) FOR UPDATE",
                    logger: logger)
            else { throw PipelineStoreError.stageNotFound(stage) }
            let kind = StageKind(rawValue: try row.string("kind")) ?? .process
            let state = StageState(rawValue: try row.string("state")) ?? .queued
            guard state.isRetryable else {
                throw PipelineStoreError.invalidTransition(stage, kind: kind, from: state, action: "retry")
            }
            let pipelineID = try row.int64("pipeline_id")
            // A cancelled pipeline stays cancelled — except the CLEANUP that follows a stopped
            // EXECUTE, which must be able to commit its log.
            let cancelled = try await db.row(
                """
                SELECT EXISTS (SELECT 1 FROM stages WHERE pipeline_id = \(pipelineID) AND state = 'cancelled'
                               AND kind <> 'execute') AS cancelled
                """, logger: logger)
            if try cancelled?.bool("cancelled") == true {
                throw PipelineStoreError.invalidTransition(stage, kind: kind, from: .cancelled, action: "retry")
            }
            // A retry grants a fresh budget of attempts; for EXECUTE that is exactly one run.
            let maxAttempts = try row.int("attempt") + policy.attempts(for: kind)
            try await db.run(
                """
                UPDATE stages SET state = 'queued', run_after = \(now), max_attempts = \(maxAttempts), finished_at = NULL,
                    lease_owner = NULL, lease_expires_at = NULL WHERE id = \(stage.rawValue)
                """, logger: logger)
            try await Self.recordAction(
                db, pipeline: pipelineID, stage: stage.rawValue, kind: kind, action: "retry", operatorName: operatorName,
                reason: reason, now: now, logger: logger)
            try await Self.notifyWork(db, logger: logger)
        }
    }

    @discardableResult
    public func cancel(pipeline: PipelineID, operatorName: String, reason: String?) async throws -> CancelOutcome {
        let now = clock.now().storedValue
        let logger = logger
        return try await transaction("cancelling pipeline \(pipeline)") { db -> CancelOutcome in
            let stages = try await db.rows(
                "SELECT * FROM stages WHERE pipeline_id = \(pipeline.rawValue) FOR UPDATE", logger: logger
            ).map(StoredRecords.stage)
            let (current, outcome) = try CancelRule.outcome(for: stages, of: pipeline)
            if outcome == .cancelled {
                try await db.run(
                    "UPDATE stages SET state = 'cancelled', finished_at = \(now) WHERE id = \(current.id.rawValue)",
                    logger: logger)
            } else {
                try await db.run(
                    """
                    UPDATE stages SET cancel_requested_by = \(operatorName), cancel_requested_at = \(now)
                    WHERE id = \(current.id.rawValue)
                    """, logger: logger)
            }
            try await Self.recordAction(
                db, pipeline: pipeline.rawValue, stage: current.id.rawValue, kind: current.kind, action: "cancel",
                operatorName: operatorName, reason: reason, now: now, logger: logger)
            return outcome
        }
    }

    static func recordAction(
        _ db: PostgresConnection, pipeline: Int64, stage: Int64, kind: StageKind, action: String, operatorName: String,
        reason: String?, now: Double, logger: Logger
    ) async throws {
        try await db.run(
            """
            INSERT INTO operator_actions (pipeline_id, stage_id, stage_kind, action, operator, at, reason)
            VALUES (\(pipeline), \(stage), \(kind.rawValue), \(action), \(operatorName), \(now), \(reason))
            """, logger: logger)
    }

    public func cancelRequested(_ lease: Lease) async throws -> Bool {
        let logger = logger
        return try await read("asking whether stage \(lease.stageID) should stop") { db in
            guard
                let row = try await db.row(
                    """
                    SELECT cancel_requested_at FROM stages
                    WHERE id = \(lease.stageID.rawValue) AND state = 'running' AND lease_owner = \(lease.owner)
                      AND attempt = \(lease.attempt)
                    """, logger: logger)
            else { throw PipelineStoreError.leaseLost(lease.stageID, owner: lease.owner) }
            return try row.optionalDouble("cancel_requested_at") != nil
        }
    }

    public func finishCancelled(_ lease: Lease, reason: String) async throws {
        let now = clock.now().storedValue
        let policy = retryPolicy
        let logger = logger
        try await transaction("finishing the stopped stage \(lease.stageID)") { db in
            let held = try await Self.heldStageKind(db, lease, logger: logger)
            try await Self.end(db, lease.stageID.rawValue, as: .cancelled, error: reason, now: now, logger: logger)
            try await Self.finishAttempt(db, lease, outcome: .cancelled, error: reason, now: now, logger: logger)
            if let next = held.kind.next {
                try await Self.insertStage(
                    db, pipeline: held.pipeline, kind: next, maxAttempts: policy.attempts(for: next), now: now, logger: logger)
            }
        }
    }
}
