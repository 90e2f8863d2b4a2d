import Foundation
import GRDB
import JobrunnerCore
import JobrunnerStore

extension SQLitePipelineStore {
    public func saveArtifact(_ artifact: Artifact, lease: Lease) async throws {
        let now = clock.now().storedValue
        let command = try StoredRecords.json(artifact.runCommand)
        let approval = try artifact.approval.map(StoredRecords.json)
        try await immediate { db in
            guard try Self.heldStage(db, lease).kind == .process else {
                throw PipelineStoreError.leaseLost(lease.stageID, owner: lease.owner)
            }
            let pipeline = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT pipeline_id FROM stages WHERE id = ?"), arguments: [lease.stageID.rawValue])!
            try db.executeCached("""
                    INSERT OR REPLACE INTO artifacts (pipeline_id, toolchain, toolchain_version, file_name, run_command,
                        content, digest, source_digest, build_seconds, is_text, timeout_seconds, built_at, source, approval)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [
                    pipeline, artifact.toolchain, artifact.toolchainVersion, artifact.fileName, command,
                    Data(artifact.content), artifact.digest, artifact.sourceDigest,
                    artifact.buildDuration.secondsDouble, artifact.isText, artifact.timeout?.secondsDouble, now, Data(artifact.source),
                    approval,
                ])
        }
    }

    public func artifact(for pipeline: PipelineID) async throws -> Artifact? {
        try await pool.read { db -> Artifact? in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM artifacts WHERE pipeline_id = ?"), arguments: [pipeline.rawValue])
                .map(StoredRecords.artifact)
        }
    }

    public func startExecution(lease: Lease, feedback: [PipelineEvent]) async throws -> Int64 {
        let now = clock.now().storedValue
        return try await immediate { db in
            guard try Self.heldStage(db, lease).kind == .execute else {
                throw PipelineStoreError.leaseLost(lease.stageID, owner: lease.owner)
            }
            let pipeline = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT pipeline_id FROM stages WHERE id = ?"), arguments: [lease.stageID.rawValue])!
            try db.executeCached("INSERT INTO executions (pipeline_id, attempt, started_at, outcome) VALUES (?, ?, ?, 'running')", [pipeline, lease.attempt, now])
            let id = db.lastInsertedRowID
            // Past the deploy gate: no longer waiting.
            try db.executeCached("UPDATE stages SET wait_reason = NULL WHERE id = ?", [lease.stageID.rawValue])
            try Self.insertOutbox(db, pipeline: pipeline, events: feedback, now: now)
            return id
        }
    }

    public func appendOutput(execution: Int64, stdout: [UInt8], stderr: [UInt8]) async throws {
        // `||` yields TEXT, which GRDB would read back as a String, replacing a UTF-8 character
        // split across two appends with U+FFFD; kept a BLOB, the bytes come back as written.
        guard !stdout.isEmpty || !stderr.isEmpty else { return }
        try await immediate { db in
            try db.executeCached("""
                    UPDATE executions SET stdout = CAST(stdout || ? AS BLOB), stderr = CAST(stderr || ? AS BLOB),
                        stdout_bytes = stdout_bytes + ?, stderr_bytes = stderr_bytes + ?
                    WHERE id = ? AND outcome = 'running'
                    """, [Data(stdout), Data(stderr), stdout.count, stderr.count, execution])
        }
    }

    public func recordProgress(execution: Int64, progress: ProgressReport, feedback: [PipelineEvent]) async throws {
        let now = clock.now().storedValue
        try await immediate { db in
            try db.executeCached("""
                    UPDATE executions SET progress_done = ?, progress_total = ?, progress_unit = ?, progress_first_done = ?,
                        progress_first_at = ?, progress_at = ?
                    WHERE id = ? AND outcome = 'running'
                    """, [
                    progress.done, progress.total, progress.unit, progress.firstDone, progress.firstAt.storedValue,
                    progress.at.storedValue, execution,
                ])
            guard !feedback.isEmpty, db.changesCount > 0,
                let pipeline = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT pipeline_id FROM executions WHERE id = ?"), arguments: [execution])
            else { return }
            try Self.insertOutbox(db, pipeline: pipeline, events: feedback, now: now)
        }
    }

    public func finishExecution(_ record: ExecutionRecord) async throws {
        try await immediate { db in
            try db.executeCached("""
                    UPDATE executions SET finished_at = ?, outcome = ?, exit_code = ?, signal = ?, timed_out = ?,
                        stdout = ?, stderr = ?, stdout_bytes = ?, stderr_bytes = ?, stdout_truncated = ?,
                        stderr_truncated = ?, app_dir = ?, app_revision = ?, app_lockfile = ?, app_lockfile_digest = ?,
                        app_kubernetes = ?, progress_done = ?, progress_total = ?, progress_unit = ?, progress_first_done = ?,
                        progress_first_at = ?, progress_at = ?, stopped_by = ?
                    WHERE id = ?
                    """, [
                    record.finishedAt?.storedValue, record.outcome.rawValue, record.exitCode, record.signal,
                    record.timedOut, Data(record.stdout), Data(record.stderr), record.stdoutBytes, record.stderrBytes,
                    record.stdoutTruncated, record.stderrTruncated, record.application?.directory,
                    record.application?.revision, record.application?.lockfile, record.application?.lockfileDigest,
                    StoredSQL.kubernetesText(record.application?.kubernetes), record.progress?.done, record.progress?.total, record.progress?.unit, record.progress?.firstDone,
                    record.progress?.firstAt.storedValue, record.progress?.at.storedValue, record.stoppedBy?.rawValue, record.id,
                ])
        }
    }

    public func executions(for pipeline: PipelineID) async throws -> [ExecutionRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM executions WHERE pipeline_id = ? ORDER BY id"), arguments: [pipeline.rawValue]
            ).map(StoredRecords.execution)
        }
    }
}
