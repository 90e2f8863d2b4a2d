import Foundation
import GRDB
import JobrunnerCore
import JobrunnerStore

extension SQLitePipelineStore {
    public func retry(stage: StageID, operatorName: String, reason: String?) async throws {
        let now = clock.now().storedValue
        let policy = retryPolicy
        try await immediate { db in
            let stages = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT * FROM stages WHERE pipeline_id = (SELECT pipeline_id FROM stages WHERE id = ?)
                    """),
                arguments: [stage.rawValue]
            ).map(StoredRecords.stage)
            guard let target = stages.first(where: { $0.id == stage }) else { throw PipelineStoreError.stageNotFound(stage) }
            let marks = try Self.fetchPipeline(db, target.pipelineID.rawValue).marks
            switch OperatorRetryRule.decide(target, in: stages, marks: marks, policy: policy) {
            case .refuse(let state):
                throw PipelineStoreError.invalidTransition(stage, kind: target.kind, from: state, action: "retry")
            case .refuseClosed(let mark):
                throw PipelineStoreError.pipelineClosed(target.pipelineID, mark, action: "retry")
            case .queue(let maxAttempts):
                try db.executeCached("""
                        UPDATE stages SET state = 'queued', run_after = ?, max_attempts = ?, finished_at = NULL,
                            lease_owner = NULL, lease_expires_at = NULL, wait_reason = NULL, waiting_since = NULL WHERE id = ?
                        """, [now, maxAttempts, stage.rawValue])
                try Self.recordAction(db, .retry, target, operatorName: operatorName, reason: reason, now: now)
            }
        }
    }

    @discardableResult
    public func cancel(pipeline: PipelineID, operatorName: String, reason: String?) async throws -> CancelOutcome {
        let now = clock.now().storedValue
        return try await immediate { db -> CancelOutcome in
            let stages = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM stages WHERE pipeline_id = ?"), arguments: [pipeline.rawValue]
            ).map(StoredRecords.stage)
            switch CancelRule.decide(stages) {
            case .noStages:
                throw PipelineStoreError.pipelineNotFound(pipeline)
            case .refuse(let current):
                throw PipelineStoreError.invalidTransition(current.id, kind: current.kind, from: current.state, action: "cancel")
            case .cancel(let current):
                try db.executeCached("UPDATE stages SET state = 'cancelled', finished_at = ? WHERE id = ?", [now, current.id.rawValue])
                try Self.recordAction(db, .cancel, current, operatorName: operatorName, reason: reason, now: now)
                return .cancelled
            case .requestStop(let current):
                try db.executeCached("UPDATE stages SET cancel_requested_by = ?, cancel_requested_at = ? WHERE id = ?", [operatorName, now, current.id.rawValue])
                try Self.recordAction(db, .cancel, current, operatorName: operatorName, reason: reason, now: now)
                return .stopRequested
            }
        }
    }

    public func discard(pipeline: PipelineID, operatorName: String, reason: String) async throws {
        let now = clock.now().storedValue
        let policy = retryPolicy
        try await immediate { db in
            let record = try Self.fetchPipeline(db, pipeline.rawValue)
            let stages = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM stages WHERE pipeline_id = ?"), arguments: [pipeline.rawValue]
            ).map(StoredRecords.stage)
            let summary = PipelineSummary(pipeline: record, stages: stages)
            switch DiscardRule.decide(summary) {
            case .refuse(let why):
                throw PipelineStoreError.discardRefused(pipeline, why)
            case .discard(let mayHaveRun):
                try db.executeCached("""
                        UPDATE pipelines SET discarded_by = ?, discarded_at = ?, discard_reason = ?, discard_may_have_run = ?
                        WHERE id = ?
                        """, [operatorName, now, reason, mayHaveRun ? 1 : 0, pipeline.rawValue])
                try Self.insertStage(
                    db, pipeline: pipeline.rawValue, kind: .cleanup, maxAttempts: policy.attempts(for: .cleanup), now: now)
                if let current = summary.stages.last {
                    try Self.recordAction(db, .discard, current, operatorName: operatorName, reason: reason, now: now)
                }
            }
        }
    }

    static func recordAction(
        _ db: Database, _ action: OperatorAction.Kind, _ stage: StageRecord, operatorName: String, reason: String?, now: Double
    ) throws {
        try db.executeCached("""
                INSERT INTO operator_actions (pipeline_id, stage_id, stage_kind, action, operator, at, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [stage.pipelineID.rawValue, stage.id.rawValue, stage.kind.rawValue, action.rawValue, operatorName, now, reason])
    }

    public func cancelRequested(_ lease: Lease) async throws -> Bool {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT cancel_requested_at FROM stages WHERE \(Self.heldBy)"),
                    arguments: Self.heldArguments(lease))
            else { throw PipelineStoreError.leaseLost(lease.stageID, owner: lease.owner) }
            return (row["cancel_requested_at"] as Double?) != nil
        }
    }

    public func finishCancelled(_ lease: Lease, reason: String) async throws {
        let now = clock.now().storedValue
        let policy = retryPolicy
        try await immediate { db in
            let held = try Self.heldStage(db, lease)
            try Self.end(db, lease.stageID.rawValue, as: .cancelled, error: reason, now: now)
            try Self.finishAttempt(db, lease, outcome: .cancelled, error: reason, now: now)
            if let next = held.kind.next {
                try Self.insertStage(db, pipeline: held.pipeline, kind: next, maxAttempts: policy.attempts(for: next), now: now)
            }
        }
    }

    public func statistics() async throws -> QueueStatistics {
        try await pool.read { db in
            var statistics = QueueStatistics()
            for row in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT status, n FROM pipeline_status_counts WHERE n > 0"))
            {
                if let status = PipelineStatus(rawValue: row["status"]) { statistics.pipelinesByStatus[status] = row["n"] }
            }
            for row in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT kind, state, COUNT(*) AS n FROM stages WHERE state IN ('queued', 'running') GROUP BY 1, 2"))
            {
                guard let kind = StageKind(rawValue: row["kind"]) else { continue }
                if (row["state"] as String) == "queued" {
                    statistics.queuedByKind[kind] = row["n"]
                } else {
                    statistics.runningByKind[kind] = row["n"]
                }
            }
            statistics.oldestQueuedSince = try Double.fetchOne(
                db.cachedStatement(sql: "SELECT MIN(run_after) FROM stages WHERE state = 'queued' AND wait_reason IS NULL")
            ).map { Date(timeIntervalSince1970: $0) }
            return statistics
        }
    }
}
