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
                    db, sql: "SELECT pipeline_id, kind, state, attempt FROM stages WHERE id = ?",
                    arguments: [stage.rawValue])
            else { throw PipelineStoreError.stageNotFound(stage) }
            let kind = StageKind(rawValue: row["kind"] as String) ?? .process
            let state = StageState(rawValue: row["state"] as String) ?? .queued
            guard state.isRetryable else {
                throw PipelineStoreError.invalidTransition(stage, kind: kind, from: state, action: "retry")
            }
            let pipelineID: Int64 = row["pipeline_id"]
            let cancelled = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM stages WHERE pipeline_id = ? AND state = 'cancelled')",
                arguments: [pipelineID]) ?? false
            if cancelled {
                throw PipelineStoreError.invalidTransition(stage, kind: kind, from: .cancelled, action: "retry")
            }
            // A retry grants a fresh budget of attempts; for EXECUTE that is exactly one run.
            let attempt: Int = row["attempt"]
            try db.execute(
                sql: """
                    UPDATE stages SET state = 'queued', run_after = ?, max_attempts = ?, finished_at = NULL,
                        lease_owner = NULL, lease_expires_at = NULL WHERE id = ?
                    """,
                arguments: [now, attempt + policy.attempts(for: kind), stage.rawValue])
            try db.execute(
                sql: """
                    INSERT INTO operator_actions (pipeline_id, stage_id, stage_kind, action, operator, at, reason)
                    VALUES (?, ?, ?, 'retry', ?, ?, ?)
                    """,
                arguments: [pipelineID, stage.rawValue, kind.rawValue, operatorName, now, reason])
        }
    }

    public func cancel(pipeline: PipelineID, operatorName: String, reason: String?) async throws {
        let now = clock.now().storedValue
        try await immediate { db in
            let stages = try Row.fetchAll(
                db, sql: "SELECT * FROM stages WHERE pipeline_id = ?", arguments: [pipeline.rawValue]
            ).map(SQLiteRows.stage)
            guard let current = stages.max(by: { $0.kind < $1.kind }) else {
                throw PipelineStoreError.pipelineNotFound(pipeline)
            }
            guard current.state == .queued else {
                throw PipelineStoreError.invalidTransition(
                    current.id, kind: current.kind, from: current.state, action: "cancel")
            }
            try db.execute(
                sql: "UPDATE stages SET state = 'cancelled', finished_at = ? WHERE id = ?",
                arguments: [now, current.id.rawValue])
            try db.execute(
                sql: """
                    INSERT INTO operator_actions (pipeline_id, stage_id, stage_kind, action, operator, at, reason)
                    VALUES (?, ?, ?, 'cancel', ?, ?, ?)
                    """,
                arguments: [pipeline.rawValue, current.id.rawValue, current.kind.rawValue, operatorName, now, reason])
        }
    }
}
