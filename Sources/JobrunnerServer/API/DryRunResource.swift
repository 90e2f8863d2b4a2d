import Foundation
import JobrunnerCore
import JobrunnerStore

/// A dry run as `/api/v1/dry-runs` answers it (docs/openapi.yaml, `DryRun`). The list leaves the
/// output out; one dry run has it whole (masked, capped as stored).
struct DryRunResource: Encodable {
    var id: Int64
    var repository: String
    var pullRequest: Int
    var headCommit: String
    var script: String
    var blob: String
    var approvedBy: [String]
    var state: String
    var outdated: Bool
    /// How the script ended, when it ran to the end (`ExecutionOutcome`).
    var outcome: String?
    var exitStatus: Int32?
    var signal: Int32?
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    var durationSeconds: Double?
    var progress: ProgressResource?
    var error: String?
    var artifactSha256: String?
    var stdout: String?
    var stderr: String?
    var stdoutTruncated: Bool?
    var stderrTruncated: Bool?

    init(_ run: DryRunRecord, withOutput: Bool) {
        id = run.id
        repository = run.repository.rawValue
        pullRequest = run.pullRequest
        headCommit = run.headCommit
        script = run.scriptPath
        blob = run.blob
        approvedBy = run.approvers
        state = run.state.rawValue
        outdated = run.outdated
        outcome = run.outcome?.rawValue
        exitStatus = run.exitCode
        signal = run.signal
        createdAt = run.createdAt
        startedAt = run.startedAt
        finishedAt = run.finishedAt
        durationSeconds = run.duration?.secondsDouble
        progress = run.progress.map { ProgressResource($0) }
        error = run.error
        artifactSha256 = run.artifactDigest
        if withOutput {
            stdout = run.stdout
            stderr = run.stderr
            stdoutTruncated = run.stdoutTruncated
            stderrTruncated = run.stderrTruncated
        }
    }
}

struct DryRunListResource: Encodable {
    var dryRuns: [DryRunResource]
}

struct DryRunDetailResource: Encodable {
    var dryRun: DryRunResource
}
