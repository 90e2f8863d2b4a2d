import Foundation

/// What PROCESS built and EXECUTE runs: stored whole, so EXECUTE never rebuilds and the log can
/// show exactly what ran.
public struct Artifact: Sendable, Equatable {
    /// Toolchain name, e.g. `esbuild` or `bash`.
    public var toolchain: String
    /// What the toolchain reported as its version, e.g. `esbuild 0.17.0, node v20.20.2`.
    public var toolchainVersion: String
    /// File name the artifact is written to before it runs, e.g. `script.mjs`.
    public var fileName: String
    /// The command that runs it; `{artifact}` stands for the artifact's path.
    public var runCommand: [String]
    public var content: [UInt8]
    /// SHA-256 of `content`, hex: the same source builds to the same digest.
    public var digest: String
    /// SHA-256 of the source the artifact was built from, hex.
    public var sourceDigest: String
    public var buildDuration: Duration
    /// Whether `content` is text (shown in the log) or a binary.
    public var isText: Bool
    /// The script's own time limit (`jobrunner: timeout=…` directive), read from the source at
    /// build time because bundlers drop comments.
    public var timeout: Duration?
    /// The source it was built from, for the execution log.
    public var source: [UInt8]
    /// The pull request the script came from and who approved and merged it, when PROCESS
    /// looked it up (approval policy, GitHub API configured).
    public var approval: PullRequestApproval?

    public init(
        toolchain: String, toolchainVersion: String, fileName: String, runCommand: [String], content: [UInt8],
        digest: String, sourceDigest: String, buildDuration: Duration, isText: Bool, timeout: Duration? = nil,
        source: [UInt8] = [], approval: PullRequestApproval? = nil
    ) {
        self.toolchain = toolchain
        self.toolchainVersion = toolchainVersion
        self.fileName = fileName
        self.runCommand = runCommand
        self.content = content
        self.digest = digest
        self.sourceDigest = sourceDigest
        self.buildDuration = buildDuration
        self.isText = isText
        self.timeout = timeout
        self.source = source
        self.approval = approval
    }
}

/// How one run of a script ended.
public enum ExecutionOutcome: String, Sendable, Codable, Equatable, Hashable, CaseIterable {
    case running
    /// Exit status 0.
    case succeeded
    /// Non-zero exit status: a script failure, not an infrastructure one.
    case failed
    /// Stopped after the time limit.
    case timedOut = "timed-out"
    /// Ended by a signal it did not get from Jobrunner's timeout.
    case killed
    /// Stopped by an operator or shutdown.
    case cancelled

    /// The outcomes of a script that ran and failed: the script's failure, not the service's.
    public static let scriptFailures: Set<ExecutionOutcome> = [.failed, .timedOut, .killed]
}

/// One run of a script, as recorded while it runs and when it ends.
public struct ExecutionRecord: Sendable, Equatable {
    public var id: Int64
    public var pipelineID: PipelineID
    public var attempt: Int
    public var startedAt: Date
    public var finishedAt: Date?
    public var outcome: ExecutionOutcome
    public var exitCode: Int32?
    public var signal: Int32?
    public var timedOut: Bool
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// Bytes the streams produced in all (more than stored when truncated).
    public var stdoutBytes: Int
    public var stderrBytes: Int
    public var stdoutTruncated: Bool
    public var stderrTruncated: Bool
    /// Where it ran, when `JOBRUNNER_APP_DIR` gave it the application's context.
    public var application: ApplicationFacts?
    /// The latest `::progress` it reported.
    public var progress: ProgressReport?
    /// The limit (`JOBRUNNER_SCRIPT_LIMITS`) it was stopped at, when it reached one.
    public var stoppedBy: RunLimit?

    public init(
        id: Int64, pipelineID: PipelineID, attempt: Int, startedAt: Date, finishedAt: Date? = nil,
        outcome: ExecutionOutcome = .running, exitCode: Int32? = nil, signal: Int32? = nil, timedOut: Bool = false,
        stdout: [UInt8] = [], stderr: [UInt8] = [], stdoutBytes: Int = 0, stderrBytes: Int = 0,
        stdoutTruncated: Bool = false, stderrTruncated: Bool = false, application: ApplicationFacts? = nil,
        progress: ProgressReport? = nil, stoppedBy: RunLimit? = nil
    ) {
        self.stoppedBy = stoppedBy
        self.application = application
        self.progress = progress
        self.id = id
        self.pipelineID = pipelineID
        self.attempt = attempt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.exitCode = exitCode
        self.signal = signal
        self.timedOut = timedOut
        self.stdout = stdout
        self.stderr = stderr
        self.stdoutBytes = stdoutBytes
        self.stderrBytes = stderrBytes
        self.stdoutTruncated = stdoutTruncated
        self.stderrTruncated = stderrTruncated
    }

    public var duration: Duration? {
        finishedAt.map { .milliseconds(Int64(($0.timeIntervalSince(startedAt) * 1000).rounded())) }
    }
}
