import Foundation
import JobrunnerCore

/// Dry runs as both drivers store them: the same tables, the same claim rules, the same coding.
/// A dry run is unique per (repository, head commit, script): at most once, whoever asks.
package enum StoredDryRuns {
    /// Pull requests `p` due now for evaluation or for their comment and status, not leased.
    package static func claimablePulls(now: String, limit: String, lock: String = "") -> String {
        """
        SELECT p.repository, p.number FROM dry_run_pulls p
        WHERE (p.evaluate_at <= \(now) OR (p.reported_version < p.report_version AND COALESCE(p.report_at, 0) <= \(now)))
          AND (p.lease_expires_at IS NULL OR p.lease_expires_at < \(now))
        ORDER BY COALESCE(p.evaluate_at, p.report_at, 0) LIMIT \(limit) \(lock)
        """
    }

    /// The oldest queued dry run due now and not leased.
    package static func claimableRun(now: String, lock: String = "") -> String {
        """
        SELECT id FROM dry_runs
        WHERE state = 'queued' AND next_attempt_at <= \(now) AND (lease_expires_at IS NULL OR lease_expires_at < \(now))
        ORDER BY next_attempt_at, id LIMIT 1 \(lock)
        """
    }

    /// What a worker that stopped renewing while the script may have been running leaves behind.
    package static let interruptedMessage =
        "the dry-run worker stopped renewing its lease while the script may have been running; a dry run never runs twice for the same head"

    package static func pull(_ row: some StoredRow) throws -> DryRunPullRequest {
        DryRunPullRequest(
            repository: try repository(row), number: try row.int("number"), headCommit: try row.string("head_commit"),
            isOpen: try row.bool("is_open"), status: try row.optionalString("status"), title: try row.optionalString("title"),
            url: try row.optionalString("url"), commentID: try row.optionalInt64("comment_id"),
            commentURL: try row.optionalString("comment_url"), evaluateAt: try row.optionalDate("evaluate_at"),
            evaluationAttempts: try row.int("evaluation_attempts"), lastError: try row.optionalString("last_error"),
            reportVersion: try row.int("report_version"), reportedVersion: try row.int("reported_version"),
            reportAt: try row.optionalDate("report_at"), reportAttempts: try row.int("report_attempts"),
            updatedAt: try row.date("updated_at"), claimedAt: try row.optionalDate("claimed_at"))
    }

    package static func dryRun(_ row: some StoredRow) throws -> DryRunRecord {
        let approvers = (try? JSONDecoder().decode([String].self, from: Data(try row.string("approvers").utf8))) ?? []
        let progress = try row.optionalString("progress").flatMap { try? JSONDecoder().decode(ProgressReport.self, from: Data($0.utf8)) }
        return DryRunRecord(
            id: try row.int64("id"), repository: try repository(row), pullRequest: try row.int("pull_request"),
            headCommit: try row.string("head_commit"), scriptPath: try row.string("script_path"), blob: try row.string("blob"),
            approvers: approvers, state: DryRunState(rawValue: try row.string("state")) ?? .error,
            outdated: try row.bool("outdated"), createdAt: try row.date("created_at"), startedAt: try row.optionalDate("started_at"),
            finishedAt: try row.optionalDate("finished_at"), attempts: try row.int("attempts"),
            outcome: try row.optionalString("outcome").flatMap(ExecutionOutcome.init(rawValue:)),
            exitCode: try row.optionalInt32("exit_code"), signal: try row.optionalInt32("signal"),
            stdout: try row.string("stdout"), stderr: try row.string("stderr"),
            stdoutTruncated: try row.bool("stdout_truncated"), stderrTruncated: try row.bool("stderr_truncated"),
            progress: progress, error: try row.optionalString("error"), artifactDigest: try row.optionalString("artifact_digest"))
    }

    private static func repository(_ row: some StoredRow) throws -> RepositoryName {
        let text = try row.string("repository")
        guard let name = RepositoryName(rawValue: text) else {
            throw StoredRowError(description: "a dry-run row names an invalid repository \(text)")
        }
        return name
    }

    package static func encode(approvers: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(approvers)) ?? Data("[]".utf8), as: UTF8.self)
    }

    package static func encode(progress: ProgressReport?) -> String? {
        progress.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
    }
}
