import Foundation
import JobrunnerCore

/// Facts about a run that the script receives as `JOBRUNNER_*` variables.
public struct RunFacts: Sendable, Equatable {
    public var pipelineID: String
    public var repository: String
    public var commit: String
    public var scriptPath: String
    public var attempt: Int

    public init(pipelineID: String, repository: String, commit: String, scriptPath: String, attempt: Int) {
        self.pipelineID = pipelineID
        self.repository = repository
        self.commit = commit
        self.scriptPath = scriptPath
        self.attempt = attempt
    }

    var variables: [String: String] {
        [
            "JOBRUNNER_PIPELINE_ID": pipelineID, "JOBRUNNER_REPOSITORY": repository, "JOBRUNNER_COMMIT": commit,
            "JOBRUNNER_SCRIPT": scriptPath, "JOBRUNNER_ATTEMPT": String(attempt),
        ]
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

    public var duration: Duration { .milliseconds(Int64((finishedAt.timeIntervalSince(startedAt) * 1000).rounded())) }

    /// One line for the stage summary and the commit message.
    public var summary: String {
        let seconds = String(format: "%.1fs", duration.secondsDouble)
        switch outcome {
        case .succeeded: return "exit 0 in \(seconds)"
        case .failed: return "exit \(exitCode ?? -1) in \(seconds) (script failure)"
        case .timedOut: return "timed out after \(timeout) (script failure)"
        case .killed: return "killed by signal \(signal ?? 0) after \(seconds) (script failure)"
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
            stdoutTruncated: run.stdoutTruncated, stderrTruncated: run.stderrTruncated)
    }
}

/// Runs built artifacts: a fresh working directory (removed afterwards), a minimal environment
/// plus the configured pass-through variables and `JOBRUNNER_*` facts, the time limit, and
/// secrets masked in everything captured. EXECUTE and `jobrunner run` both use it.
public struct ScriptExecutor: Sendable {
    public let runner: any ProcessRunner
    public let scratchDirectory: String
    public let defaultTimeout: Duration
    public let gracePeriod: Duration
    public let outputLimit: Int
    /// Variables passed to every script (the configured `JOBRUNNER_SCRIPT_ENV` names with their values).
    public let passThrough: [String: String]
    public let masker: SecretMasker
    public let searchPath: String

    public init(
        runner: any ProcessRunner = SubprocessRunner(), scratchDirectory: String = NSTemporaryDirectory(),
        defaultTimeout: Duration = .seconds(3600), gracePeriod: Duration = .seconds(10), outputLimit: Int = 1 << 20,
        passThrough: [String: String] = [:], masker: SecretMasker = SecretMasker(values: []),
        searchPath: String = "/usr/local/bin:/usr/bin:/bin"
    ) {
        self.runner = runner
        // Absolute: tools run with their own working directory, so relative paths would break.
        self.scratchDirectory = URL(fileURLWithPath: scratchDirectory).standardizedFileURL.path
        self.defaultTimeout = defaultTimeout
        self.gracePeriod = gracePeriod
        self.outputLimit = outputLimit
        self.passThrough = passThrough
        self.masker = masker
        self.searchPath = searchPath
    }

    /// Builds the executor from settings and the service's environment: only the names in
    /// `JOBRUNNER_SCRIPT_ENV` reach scripts; values of `JOBRUNNER_SECRETS` and of the service's
    /// own credentials are masked.
    public init(settings: Settings, environment: [String: String], runner: any ProcessRunner = SubprocessRunner()) {
        var passThrough: [String: String] = [:]
        for name in settings.scriptEnvironment { passThrough[name] = environment[name] }
        let secretValues =
            settings.secretNames.compactMap { environment[$0] } + settings.webhookSecrets
            + [settings.githubToken, settings.callbackSecret].compactMap { $0 } + settings.dashboardTokens.map(\.token)
        self.init(
            runner: runner, scratchDirectory: settings.dataDirectory + "/work", defaultTimeout: settings.executeTimeout,
            passThrough: passThrough, masker: SecretMasker(values: secretValues),
            searchPath: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
    }

    public func execute(
        _ artifact: Artifact, facts: RunFacts,
        onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void = { _, _ in }
    ) async throws -> ScriptRun {
        let directory = scratchDirectory + "/run-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let artifactPath = directory + "/" + artifact.fileName
        try ScratchFile.write(artifact.content, to: artifactPath, permissions: 0o700)

        var environment = passThrough
        environment["PATH"] = passThrough["PATH"] ?? searchPath
        environment["HOME"] = directory
        environment["TMPDIR"] = directory + "/tmp"
        environment["LANG"] = passThrough["LANG"] ?? "C.UTF-8"
        environment.merge(facts.variables) { _, fact in fact }

        let command = artifact.runCommand.map { $0.replacingOccurrences(of: "{artifact}", with: artifactPath) }
        let timeout = artifact.timeout ?? defaultTimeout
        let maskers = Locked((stdout: StreamMasker(masker), stderr: StreamMasker(masker)))
        let result = try await runner.run(
            ProcessSpec(
                executable: command[0], arguments: Array(command.dropFirst()), environment: environment,
                workingDirectory: directory, timeout: timeout, gracePeriod: gracePeriod, outputLimit: outputLimit)
        ) { stream, bytes in
            let masked = maskers.withLock { maskers in
                stream == .stdout ? maskers.stdout.feed(bytes) : maskers.stderr.feed(bytes)
            }
            if !masked.isEmpty { await onOutput(stream, masked) }
        }
        let rests = maskers.withLock { ($0.stdout.finish(), $0.stderr.finish()) }
        if !rests.0.isEmpty { await onOutput(.stdout, rests.0) }
        if !rests.1.isEmpty { await onOutput(.stderr, rests.1) }

        let outcome: ExecutionOutcome =
            if result.cancelled { .cancelled }
            else if result.timedOut { .timedOut }
            else if let code = result.exitCode { code == 0 ? .succeeded : .failed }
            else { .killed }
        return ScriptRun(
            outcome: outcome, exitCode: result.exitCode, signal: result.signal, timedOut: result.timedOut,
            timeout: timeout, stdout: masker.mask(result.stdout.bytes), stderr: masker.mask(result.stderr.bytes),
            stdoutBytes: result.stdout.totalBytes, stderrBytes: result.stderr.totalBytes,
            stdoutTruncated: result.stdout.isTruncated, stderrTruncated: result.stderr.isTruncated,
            startedAt: result.startedAt, finishedAt: result.finishedAt)
    }
}
