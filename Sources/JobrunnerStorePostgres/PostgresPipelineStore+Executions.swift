import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import NIOCore
import PostgresNIO

extension PostgresPipelineStore {
    public func saveArtifact(_ artifact: Artifact, lease: Lease) async throws {
        let now = clock.now().storedValue
        let command = try StoredRecords.json(artifact.runCommand)
        let approval = try artifact.approval.map(StoredRecords.json)
        let logger = logger
        try await transaction("saving the build of stage \(lease.stageID)") { db in
            let held = try await Self.heldStage(db, lease, logger: logger)
            guard held.kind == .process else { throw PipelineStoreError.leaseLost(lease.stageID, owner: lease.owner) }
            try await db.run(
                """
                INSERT INTO artifacts (pipeline_id, toolchain, toolchain_version, file_name, run_command, content, digest,
                    source_digest, build_seconds, is_text, timeout_seconds, built_at, source, approval)
                VALUES (\(held.pipeline), \(artifact.toolchain), \(artifact.toolchainVersion), \(artifact.fileName), \(command),
                    \(ByteBuffer(bytes: artifact.content)), \(artifact.digest), \(artifact.sourceDigest),
                    \(artifact.buildDuration.secondsDouble), \(artifact.isText), \(artifact.timeout?.secondsDouble), \(now),
                    \(ByteBuffer(bytes: artifact.source)), \(approval))
                ON CONFLICT (pipeline_id) DO UPDATE SET
                    toolchain = EXCLUDED.toolchain, toolchain_version = EXCLUDED.toolchain_version,
                    file_name = EXCLUDED.file_name, run_command = EXCLUDED.run_command, content = EXCLUDED.content,
                    digest = EXCLUDED.digest, source_digest = EXCLUDED.source_digest,
                    build_seconds = EXCLUDED.build_seconds, is_text = EXCLUDED.is_text,
                    timeout_seconds = EXCLUDED.timeout_seconds, built_at = EXCLUDED.built_at,
                    source = EXCLUDED.source, approval = EXCLUDED.approval
                """, logger: logger)
        }
    }

    public func artifact(for pipeline: PipelineID) async throws -> Artifact? {
        let logger = logger
        return try await read("reading the build of pipeline \(pipeline)") { db in
            try await db.row("SELECT * FROM artifacts WHERE pipeline_id = \(pipeline.rawValue)", logger: logger)
                .map(StoredRecords.artifact)
        }
    }

    public func startExecution(lease: Lease, feedback: [PipelineEvent]) async throws -> Int64 {
        let now = clock.now().storedValue
        let logger = logger
        return try await transaction("recording the start of stage \(lease.stageID)") { db in
            let held = try await Self.heldStage(db, lease, logger: logger)
            guard held.kind == .execute else { throw PipelineStoreError.leaseLost(lease.stageID, owner: lease.owner) }
            let row = try await db.row(
                """
                INSERT INTO executions (pipeline_id, attempt, started_at, outcome)
                VALUES (\(held.pipeline), \(lease.attempt), \(now), 'running') RETURNING id
                """, logger: logger)
            // Past the deploy gate: no longer waiting.
            try await db.run("UPDATE stages SET wait_reason = NULL WHERE id = \(lease.stageID.rawValue)", logger: logger)
            try await Self.insertOutbox(db, pipeline: held.pipeline, events: feedback, now: now, logger: logger)
            return try row!.int64("id")
        }
    }

    public func appendOutput(execution: Int64, stdout: [UInt8], stderr: [UInt8]) async throws {
        guard !stdout.isEmpty || !stderr.isEmpty else { return }
        let logger = logger
        try await transaction("appending output of execution \(execution)") { db in
            try await db.run(
                """
                UPDATE executions SET stdout = stdout || \(ByteBuffer(bytes: stdout)), stderr = stderr || \(ByteBuffer(bytes: stderr)),
                    stdout_bytes = stdout_bytes + \(stdout.count), stderr_bytes = stderr_bytes + \(stderr.count)
                WHERE id = \(execution) AND outcome = 'running'
                """, logger: logger)
        }
    }

    public func recordProgress(execution: Int64, progress: ProgressReport, feedback: [PipelineEvent]) async throws {
        let logger = logger
        let now = clock.now().storedValue
        try await transaction("recording the progress of execution \(execution)") { db in
            let row = try await db.row(
                """
                UPDATE executions SET progress_done = \(progress.done), progress_total = \(progress.total),
                    progress_unit = \(progress.unit), progress_first_done = \(progress.firstDone),
                    progress_first_at = \(progress.firstAt.storedValue), progress_at = \(progress.at.storedValue)
                WHERE id = \(execution) AND outcome = 'running'
                RETURNING pipeline_id
                """, logger: logger)
            if let row, !feedback.isEmpty {
                try await Self.insertOutbox(db, pipeline: try row.int64("pipeline_id"), events: feedback, now: now, logger: logger)
            }
        }
    }

    public func finishExecution(_ record: ExecutionRecord) async throws {
        let logger = logger
        try await transaction("recording how execution \(record.id) ended") { db in
            try await db.run(
                """
                UPDATE executions SET finished_at = \(record.finishedAt?.storedValue), outcome = \(record.outcome.rawValue),
                    exit_code = \(record.exitCode.map(Int64.init)), signal = \(record.signal.map(Int64.init)),
                    timed_out = \(record.timedOut), stdout = \(ByteBuffer(bytes: record.stdout)),
                    stderr = \(ByteBuffer(bytes: record.stderr)), stdout_bytes = \(record.stdoutBytes),
                    stderr_bytes = \(record.stderrBytes), stdout_truncated = \(record.stdoutTruncated),
                    stderr_truncated = \(record.stderrTruncated), app_dir = \(record.application?.directory),
                    app_revision = \(record.application?.revision), app_lockfile = \(record.application?.lockfile),
                    app_lockfile_digest = \(record.application?.lockfileDigest),
                    app_kubernetes = \(StoredSQL.kubernetesText(record.application?.kubernetes)),
                    progress_done = \(record.progress?.done), progress_total = \(record.progress?.total),
                    progress_unit = \(record.progress?.unit), progress_first_done = \(record.progress?.firstDone),
                    progress_first_at = \(record.progress?.firstAt.storedValue), progress_at = \(record.progress?.at.storedValue),
                    stopped_by = \(record.stoppedBy?.rawValue)
                WHERE id = \(record.id)
                """, logger: logger)
        }
    }

    public func executions(for pipeline: PipelineID) async throws -> [ExecutionRecord] {
        let logger = logger
        return try await read("reading the runs of pipeline \(pipeline)") { db in
            try await db.rows("SELECT * FROM executions WHERE pipeline_id = \(pipeline.rawValue) ORDER BY id", logger: logger)
                .map(StoredRecords.execution)
        }
    }
}
