import Foundation

/// Facts about a run that the script receives as `JOBRUNNER_*` variables.
public struct RunFacts: Sendable, Equatable {
    public var pipelineID: String
    public var repository: String
    public var commit: String
    public var scriptPath: String
    public var attempt: Int
    /// A dry run: the script sees `JOBRUNNER_DRY_RUN=1` (and `JOBRUNNER_DRY_RUN_ID`).
    public var dryRunID: Int64?

    public init(pipelineID: String, repository: String, commit: String, scriptPath: String, attempt: Int, dryRunID: Int64? = nil) {
        self.dryRunID = dryRunID
        self.pipelineID = pipelineID
        self.repository = repository
        self.commit = commit
        self.scriptPath = scriptPath
        self.attempt = attempt
    }

    /// The `JOBRUNNER_*` variables the script gets.
    public var variables: [String: String] {
        var variables = [
            "JOBRUNNER_PIPELINE_ID": pipelineID, "JOBRUNNER_REPOSITORY": repository, "JOBRUNNER_COMMIT": commit,
            "JOBRUNNER_SCRIPT": scriptPath, "JOBRUNNER_ATTEMPT": String(attempt),
        ]
        if let dryRunID {
            variables["JOBRUNNER_DRY_RUN"] = "1"
            variables["JOBRUNNER_DRY_RUN_ID"] = String(dryRunID)
        }
        return variables
    }
}

/// How one run ended, with output already capped and masked: what is stored and committed.
public struct ScriptRun: Sendable, Equatable {
    public var outcome: ExecutionOutcome
    public var exitCode: Int32?
    public var signal: Int32?
    public var timedOut: Bool
    public var timeout: Duration
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var stdoutBytes: Int
    public var stderrBytes: Int
    public var stdoutTruncated: Bool
    public var stderrTruncated: Bool
    public var startedAt: Date
    public var finishedAt: Date
    /// The application it ran in, when there was one.
    public var application: ApplicationFacts?
    /// The limit it was stopped at (`JOBRUNNER_SCRIPT_LIMITS`), when one was reached.
    public var stoppedBy: RunLimit?

    /// A run from what its output capture kept (`MaskedRunOutput.captured`).
    public init(
        outcome: ExecutionOutcome, exitCode: Int32?, signal: Int32?, timedOut: Bool, timeout: Duration,
        output: (stdout: OutputCapture, stderr: OutputCapture), startedAt: Date, finishedAt: Date, application: ApplicationFacts?
    ) {
        self.outcome = outcome
        self.exitCode = exitCode
        self.signal = signal
        self.timedOut = timedOut
        self.timeout = timeout
        stdout = output.stdout.bytes
        stderr = output.stderr.bytes
        stdoutBytes = output.stdout.totalBytes
        stderrBytes = output.stderr.totalBytes
        stdoutTruncated = output.stdout.isTruncated
        stderrTruncated = output.stderr.isTruncated
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.application = application
    }

    public var duration: Duration { .milliseconds(Int64((finishedAt.timeIntervalSince(startedAt) * 1000).rounded())) }

    /// One line for the stage summary and the commit message.
    public var summary: String {
        let seconds = String(format: "%.1fs", duration.secondsDouble)
        switch outcome {
        case .succeeded: return "exit 0 in \(seconds)"
        case .failed: return "exit \(exitCode ?? -1) in \(seconds) (script failure)"
        case .timedOut: return "timed out after \(timeout) (script failure)"
        case .killed:
            if let stoppedBy { return "killed: \(stoppedBy.killedBecause) after \(seconds) (script failure)" }
            if let reason = application?.kubernetes?.reason { return "killed (\(reason)) after \(seconds) (script failure)" }
            return "killed by signal \(signal ?? 0) after \(seconds) (script failure)"
        case .cancelled: return "stopped after \(seconds)"
        case .running: return "running"
        }
    }
}

extension ExecutionRecord {
    /// The stored record of a finished run.
    public init(_ run: ScriptRun, id: Int64, pipelineID: PipelineID, attempt: Int) {
        self.init(
            id: id, pipelineID: pipelineID, attempt: attempt, startedAt: run.startedAt, finishedAt: run.finishedAt,
            outcome: run.outcome, exitCode: run.exitCode, signal: run.signal, timedOut: run.timedOut, stdout: run.stdout,
            stderr: run.stderr, stdoutBytes: run.stdoutBytes, stderrBytes: run.stderrBytes,
            stdoutTruncated: run.stdoutTruncated, stderrTruncated: run.stderrTruncated, application: run.application,
            stoppedBy: run.stoppedBy)
    }
}
