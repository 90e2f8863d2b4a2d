import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import PostgresNIO

extension PostgresPipelineStore {
    public func retry(stage: StageID, operatorName: String, reason: String?) async throws {
        let now = clock.now().storedValue
        let policy = retryPolicy
        let logger = logger
        try await transaction("retrying stage \(stage)") { db in
            let stages = try await db.rows(
                """
                SELECT * FROM stages WHERE pipeline_id = (SELECT pipeline_id FROM stages WHERE id = \(stage.rawValue))
                ORDER BY id FOR UPDATE
                """, logger: logger
            ).map(StoredRecords.stage)
            guard let target = stages.first(where: { $0.id == stage }) else { throw PipelineStoreError.stageNotFound(stage) }
            let marks = try await Self.fetchPipeline(db, target.pipelineID.rawValue, logger: logger).marks
            switch OperatorRetryRule.decide(target, in: stages, marks: marks, policy: policy) {
            case .refuse(let state):
                throw PipelineStoreError.invalidTransition(stage, kind: target.kind, from: state, action: "retry")
            case .refuseClosed(let mark):
                throw PipelineStoreError.pipelineClosed(target.pipelineID, mark, action: "retry")
            case .queue(let maxAttempts):
                try await db.run(
                    """
                    UPDATE stages SET state = 'queued', run_after = \(now), max_attempts = \(maxAttempts), finished_at = NULL,
                        lease_owner = NULL, lease_expires_at = NULL, wait_reason = NULL, waiting_since = NULL
                    WHERE id = \(stage.rawValue)
                    """, logger: logger)
                try await Self.recordAction(
                    db, pipeline: target.pipelineID.rawValue, stage: stage.rawValue, kind: target.kind, action: "retry",
                    operatorName: operatorName, reason: reason, now: now, logger: logger)
                try await Self.notifyWork(db, logger: logger)
            }
        }
    }

    @discardableResult
    public func cancel(pipeline: PipelineID, operatorName: String, reason: String?) async throws -> CancelOutcome {
        let now = clock.now().storedValue
        let logger = logger
        return try await transaction("cancelling pipeline \(pipeline)") { db -> CancelOutcome in
            let stages = try await db.rows(
                "SELECT * FROM stages WHERE pipeline_id = \(pipeline.rawValue) ORDER BY id FOR UPDATE", logger: logger
            ).map(StoredRecords.stage)
            let current: StageRecord
            let outcome: CancelOutcome
            switch CancelRule.decide(stages) {
            case .noStages:
                throw PipelineStoreError.pipelineNotFound(pipeline)
            case .refuse(let stage):
                throw PipelineStoreError.invalidTransition(stage.id, kind: stage.kind, from: stage.state, action: "cancel")
            case .cancel(let stage):
                current = stage
                outcome = .cancelled
                try await db.run(
                    "UPDATE stages SET state = 'cancelled', finished_at = \(now) WHERE id = \(stage.id.rawValue)",
                    logger: logger)
            case .requestStop(let stage):
                current = stage
                outcome = .stopRequested
                try await db.run(
                    """
                    UPDATE stages SET cancel_requested_by = \(operatorName), cancel_requested_at = \(now)
                    WHERE id = \(stage.id.rawValue)
                    """, logger: logger)
            }
            try await Self.recordAction(
                db, pipeline: pipeline.rawValue, stage: current.id.rawValue, kind: current.kind, action: "cancel",
                operatorName: operatorName, reason: reason, now: now, logger: logger)
            return outcome
        }
    }

    public func discard(pipeline: PipelineID, operatorName: String, reason: String) async throws {
        let now = clock.now().storedValue
        let policy = retryPolicy
        let logger = logger
        try await transaction("discarding pipeline \(pipeline)") { db in
            let stages = try await db.rows(
                "SELECT * FROM stages WHERE pipeline_id = \(pipeline.rawValue) ORDER BY id FOR UPDATE", logger: logger
            ).map(StoredRecords.stage)
            let record = try await Self.fetchPipeline(db, pipeline.rawValue, logger: logger)
            let summary = PipelineSummary(pipeline: record, stages: stages)
            switch DiscardRule.decide(summary) {
            case .refuse(let why):
                throw PipelineStoreError.discardRefused(pipeline, why)
            case .discard(let mayHaveRun):
                try await db.run(
                    """
                    UPDATE pipelines SET discarded_by = \(operatorName), discarded_at = \(now), discard_reason = \(reason),
                        discard_may_have_run = \(mayHaveRun ? 1 : 0)
                    WHERE id = \(pipeline.rawValue)
                    """, logger: logger)
                try await Self.insertStage(
                    db, pipeline: pipeline.rawValue, kind: .cleanup, maxAttempts: policy.attempts(for: .cleanup), now: now,
                    logger: logger)
                if let current = summary.stages.last {
                    try await Self.recordAction(
                        db, pipeline: pipeline.rawValue, stage: current.id.rawValue, kind: current.kind, action: "discard",
                        operatorName: operatorName, reason: reason, now: now, logger: logger)
                }
                try await Self.notifyWork(db, logger: logger)
            }
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
            let held = try await Self.heldStage(db, lease, logger: logger)
            try await Self.end(db, lease.stageID.rawValue, as: .cancelled, error: reason, now: now, logger: logger)
            try await Self.finishAttempt(db, lease, outcome: .cancelled, error: reason, now: now, logger: logger)
            if let next = held.kind.next {
                try await Self.insertStage(
                    db, pipeline: held.pipeline, kind: next, maxAttempts: policy.attempts(for: next), now: now, logger: logger)
            }
        }
    }
}
