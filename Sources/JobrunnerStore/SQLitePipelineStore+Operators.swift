import Foundation
import GRDB
import JobrunnerCore

extension SQLitePipelineStore {
    public func retry(stage: StageID, operatorName: String, reason: String?) async throws {
        let now = clock.now().storedValue
        let policy = retryPolicy
        try await immediate { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT pipeline_id, kind, state, attempt FROM stages WHERE id = ?"),
                    arguments: [stage.rawValue])
            else { throw PipelineStoreError.stageNotFound(stage) }
            let kind = StageKind(rawValue: row["kind"] as String) ?? .process
            let state = StageState(rawValue: row["state"] as String) ?? .queued
            guard state.isRetryable else {
                throw PipelineStoreError.invalidTransition(stage, kind: kind, from: state, action: "retry")
            }
            let pipelineID: Int64 = row["pipeline_id"]
            // A cancelled pipeline stays cancelled — except the CLEANUP that follows a stopped
            // EXECUTE, which must be able to commit its log.
            let cancelled = try Bool.fetchOne(
                db.cachedStatement(sql: """
                    SELECT EXISTS (SELECT 1 FROM stages WHERE pipeline_id = ? AND state = 'cancelled' AND kind <> 'execute')
                    """),
                arguments: [pipelineID]) ?? false
            if cancelled {
                throw PipelineStoreError.invalidTransition(stage, kind: kind, from: .cancelled, action: "retry")
            }
            // A retry grants a fresh budget of attempts; for EXECUTE that is exactly one run.
            let attempt: Int = row["attempt"]
            try db.executeCached("""
                    UPDATE stages SET state = 'queued', run_after = ?, max_attempts = ?, finished_at = NULL,
                        lease_owner = NULL, lease_expires_at = NULL WHERE id = ?
                    """, [now, attempt + policy.attempts(for: kind), stage.rawValue])
            try db.executeCached("""
                    INSERT INTO operator_actions (pipeline_id, stage_id, stage_kind, action, operator, at, reason)
                    VALUES (?, ?, ?, 'retry', ?, ?, ?)
                    """, [pipelineID, stage.rawValue, kind.rawValue, operatorName, now, reason])
        }
    }

    @discardableResult
    public func cancel(pipeline: PipelineID, operatorName: String, reason: String?) async throws -> CancelOutcome {
        let now = clock.now().storedValue
        return try await immediate { db -> CancelOutcome in
            let stages = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM stages WHERE pipeline_id = ?"), arguments: [pipeline.rawValue]
            ).map(StoredRecords.stage)
            let (current, outcome) = try CancelRule.outcome(for: stages, of: pipeline)
            if outcome == .cancelled {
                try db.executeCached("UPDATE stages SET state = 'cancelled', finished_at = ? WHERE id = ?", [now, current.id.rawValue])
            } else {
                try db.executeCached("UPDATE stages SET cancel_requested_by = ?, cancel_requested_at = ? WHERE id = ?", [operatorName, now, current.id.rawValue])
            }
            try db.executeCached("""
                    INSERT INTO operator_actions (pipeline_id, stage_id, stage_kind, action, operator, at, reason)
                    VALUES (?, ?, ?, 'cancel', ?, ?, ?)
                    """, [pipeline.rawValue, current.id.rawValue, current.kind.rawValue, operatorName, now, reason])
            return outcome
        }
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
            let kind = try Self.heldStageKind(db, lease)
            try Self.end(db, lease.stageID.rawValue, as: .cancelled, error: reason, now: now)
            try Self.finishAttempt(db, lease, outcome: .cancelled, error: reason, now: now)
            if let next = kind.next {
                let pipeline = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT pipeline_id FROM stages WHERE id = ?"), arguments: [lease.stageID.rawValue])!
                try Self.insertStage(db, pipeline: pipeline, kind: next, maxAttempts: policy.attempts(for: next), now: now)
            }
        }
    }

    public func statistics() async throws -> QueueStatistics {
        try await pool.read { db in
            var statistics = QueueStatistics()
            for row in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT (\(StoredSQL.statusExpression)) AS status, COUNT(*) AS n FROM pipelines p GROUP BY 1"))
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
                db.cachedStatement(sql: "SELECT MIN(run_after) FROM stages WHERE state = 'queued'")
            ).map { Date(timeIntervalSince1970: $0) }
            return statistics
        }
    }
}
