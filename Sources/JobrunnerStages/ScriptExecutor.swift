import Foundation
import JobrunnerCore

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
            stdoutTruncated: run.stdoutTruncated, stderrTruncated: run.stderrTruncated, application: run.application)
    }
}

/// Runs built artifacts: a fresh private directory (`HOME`, `TMPDIR`, removed afterwards), a
/// minimal environment plus the application's settings file, the configured pass-through
/// variables and `JOBRUNNER_*` facts, the time limit, and secrets masked in everything captured.
/// With an application (`JOBRUNNER_APP_DIR`) the script runs in its directory, its packages and
/// virtualenv resolve as for the application's own code. EXECUTE and `jobrunner run` both use it.
public struct ScriptExecutor: Sendable {
    public let runner: any ProcessRunner
    public let scratchDirectory: String
    /// The application's directory, the script's working directory; nil: the run directory.
    public var appDirectory: String?
    /// `JOBRUNNER_SCRIPT_ENV_FILE`, read at every run.
    public var environmentFile: String?
    /// `JOBRUNNER_PYTHON`; nil: the application's `.venv`, else `python3`.
    public var pythonInterpreter: String?
    public let defaultTimeout: Duration
    public let gracePeriod: Duration
    public let outputLimit: Int
    /// Variables passed to every script (the configured `JOBRUNNER_SCRIPT_ENV` names with their values).
    public var passThrough: [String: String]
    public var masker: SecretMasker
    public let searchPath: String
    /// The sandbox scripts run in; nil: none (`JOBRUNNER_SCRIPT_ISOLATION=none`).
    public var sandbox: BubblewrapSandbox?

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
    /// `JOBRUNNER_SCRIPT_ENV` reach scripts; `secretValues` (the settings table's secrets and the
    /// values of `JOBRUNNER_SECRETS`, `SettingsTable.secretValues`) are masked.
    public init(
        settings: Settings, environment: [String: String], secretValues: [String],
        runner: any ProcessRunner = SubprocessRunner()
    ) {
        var passThrough: [String: String] = [:]
        for name in settings.scriptEnvironment { passThrough[name] = environment[name] }
        self.init(
            runner: runner, scratchDirectory: settings.dataDirectory + "/work", defaultTimeout: settings.executeTimeout,
            passThrough: passThrough, masker: SecretMasker(values: secretValues),
            searchPath: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        appDirectory = settings.appDirectory
        environmentFile = settings.scriptEnvironmentFile
        sandbox = settings.scriptIsolation == .bubblewrap ? BubblewrapSandbox(settings: settings) : nil
        pythonInterpreter = settings.pythonInterpreter
    }

    /// The executor dry runs use: the same runner, sandbox, application directory, time limit and
    /// masking, but the dry-run environment instead of the real one — the names in
    /// `JOBRUNNER_DRY_RUN_ENV` and the file `JOBRUNNER_DRY_RUN_ENV_FILE`. The real settings file's
    /// secrets stay masked, should a dry-run file repeat one.
    public func forDryRuns(settings: Settings, environment: [String: String]) -> ScriptExecutor {
        var passThrough: [String: String] = [:]
        for name in settings.dryRunEnvironment { passThrough[name] = environment[name] }
        let realSecrets = (try? applicationSettings().secrets) ?? []
        // Everything else — runner, sandbox, application, limits — stays as EXECUTE has it.
        var executor = self
        executor.passThrough = passThrough
        executor.masker = SecretMasker(values: masker.values + realSecrets)
        executor.environmentFile = settings.dryRunEnvironmentFile
        return executor
    }

    /// The application's settings file, read now: its variables and the values in it that look
    /// secret. Empty without a file.
    public func applicationSettings() throws -> (variables: [(name: String, value: String)], secrets: [String]) {
        guard let environmentFile else { return ([], []) }
        let text: String
        do {
            text = try String(contentsOfFile: environmentFile, encoding: .utf8)
        } catch {
            throw ApplicationEnvironmentError.unreadableEnvironmentFile(path: environmentFile, reason: error.localizedDescription)
        }
        do {
            let variables = try EnvironmentFile.parse(text)
            return (variables, EnvironmentFile.secretValues(variables))
        } catch {
            throw ApplicationEnvironmentError.malformedEnvironmentFile(path: environmentFile, reason: "\(error)")
        }
    }

    /// The masker for what a run produces and what its log shows: the configured secrets and,
    /// re-read now, those of the application's settings file.
    public func currentMasker() -> SecretMasker {
        guard let secrets = try? applicationSettings().secrets, !secrets.isEmpty else { return masker }
        return SecretMasker(values: masker.values + secrets)
    }

    /// What `{python}` in a run command becomes.
    public var python: String {
        if let pythonInterpreter { return pythonInterpreter }
        if let appDirectory, FileManager.default.isExecutableFile(atPath: appDirectory + "/.venv/bin/python") {
            return appDirectory + "/.venv/bin/python"
        }
        return "python3"
    }

    /// The application's directory and the lockfile pinning its packages, for the record.
    public func applicationFacts(revision: String?) -> ApplicationFacts? {
        guard let appDirectory else { return nil }
        var facts = ApplicationFacts(directory: appDirectory, revision: revision)
        if let name = ApplicationFacts.lockfiles.first(where: { FileManager.default.fileExists(atPath: appDirectory + "/" + $0) }),
            let data = FileManager.default.contents(atPath: appDirectory + "/" + name)
        {
            facts.lockfile = name
            facts.lockfileDigest = ScriptBuilder.sha256([UInt8](data))
        }
        return facts
    }

    /// Runs `artifact`. `revision` is the application's commit, when the deploy gate read it.
    public func execute(
        _ artifact: Artifact, facts: RunFacts, revision: String? = nil,
        onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void = { _, _ in }
    ) async throws -> ScriptRun {
        let settings = try applicationSettings()
        // Also every secret the process learned since (installation tokens, the database password).
        let masker = SecretMasker(values: self.masker.values + settings.secrets + SecretRegistry.process.masker.values)
        let directory = scratchDirectory + "/run-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let artifactPath = directory + "/" + artifact.fileName
        try ScratchFile.write(artifact.content, to: artifactPath, permissions: 0o700)

        // The application's settings first; what the operator passes through explicitly wins.
        var environment = Dictionary(settings.variables, uniquingKeysWith: { _, last in last })
        environment.merge(passThrough) { _, passed in passed }
        environment["PATH"] = environment["PATH"] ?? searchPath
        environment["HOME"] = directory
        environment["TMPDIR"] = directory + "/tmp"
        environment["LANG"] = environment["LANG"] ?? "C.UTF-8"
        var command = artifact.runCommand.map {
            $0.replacingOccurrences(of: "{artifact}", with: artifactPath).replacingOccurrences(of: "{python}", with: python)
        }
        if let appDirectory {
            environment["JOBRUNNER_APP_DIR"] = appDirectory
            // CommonJS `require` and Python imports find the application's packages and modules.
            environment["NODE_PATH"] = appDirectory + "/node_modules"
            environment["PYTHONPATH"] = [appDirectory, environment["PYTHONPATH"]].compactMap { $0 }.joined(separator: ":")
            if (command.first.map { ($0 as NSString).lastPathComponent } == "node") {
                // ES module imports of packages resolve as for a file in the application's directory.
                let hook = try ApplicationModuleResolution.install(in: directory, appDirectory: appDirectory)
                command.insert(contentsOf: ["--import", hook], at: 1)
            }
        }
        environment.merge(facts.variables) { _, fact in fact }

        let timeout = artifact.timeout ?? defaultTimeout
        let capture = MaskedRunOutput(masker: masker, limit: outputLimit)
        let workingDirectory = appDirectory ?? directory
        var spec = ProcessSpec(
            executable: command[0], arguments: Array(command.dropFirst()), environment: environment,
            workingDirectory: workingDirectory, timeout: timeout, gracePeriod: gracePeriod, outputLimit: outputLimit)
        if let sandbox {
            // Checked at every run: a script is never run unisolated because the sandbox broke.
            try await sandbox.check(runner: runner, scratchDirectory: directory + "/tmp")
            // The interpreter may be installed outside the system directories (pyenv, nvm).
            let interpreter = ExecutableLookup.resolve(command[0], path: environment["PATH"]).map(BubblewrapSandbox.installation)
            let wrapped = sandbox.wrap(
                command, runDirectory: directory, readOnly: [appDirectory, interpreter].compactMap { $0 },
                workingDirectory: workingDirectory)
            spec.executable = wrapped[0]
            spec.arguments = Array(wrapped.dropFirst())
            spec.isLauncher = true
        }
        let result = try await runner.run(spec) { stream, bytes in
            let masked = capture.feed(stream, bytes)
            if !masked.isEmpty { await onOutput(stream, masked) }
        }
        let rests = capture.finish()
        if !rests.stdout.isEmpty { await onOutput(.stdout, rests.stdout) }
        if !rests.stderr.isEmpty { await onOutput(.stderr, rests.stderr) }

        let outcome: ExecutionOutcome =
            if result.cancelled { .cancelled }
            else if result.timedOut { .timedOut }
            else if let code = result.exitCode { code == 0 ? .succeeded : .failed }
            else { .killed }
        return ScriptRun(
            outcome: outcome, exitCode: result.exitCode, signal: result.signal, timedOut: result.timedOut, timeout: timeout,
            output: capture.captured, startedAt: result.startedAt, finishedAt: result.finishedAt,
            application: applicationFacts(revision: revision))
    }
}

extension ScriptExecutor: ScriptRunner {
    /// A local run is a child of its worker: it ends with it.
    public var outlivesWorker: Bool { false }

    public func execute(
        _ artifact: Artifact, facts: RunFacts, revision: String?, stopRequested: @escaping @Sendable () async -> Bool,
        onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void
    ) async throws -> ScriptRun {
        // Cancelled for whatever reason, the process is stopped: it cannot outlive the worker.
        try await execute(artifact, facts: facts, revision: revision, onOutput: onOutput)
    }

    public func reattach(
        _ artifact: Artifact, facts: RunFacts, revision: String?, stopRequested: @escaping @Sendable () async -> Bool,
        onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void
    ) async throws -> ScriptRun {
        throw ScriptRunLost("a local run ends with the worker that started it; there is nothing to re-attach to")
    }
}

/// Why a script could not be given its application's environment; it did not start.
public enum ApplicationEnvironmentError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadableEnvironmentFile(path: String, reason: String)
    case malformedEnvironmentFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadableEnvironmentFile(path, reason):
            "the application's settings file \(path) (JOBRUNNER_SCRIPT_ENV_FILE) cannot be read: \(reason)"
        case let .malformedEnvironmentFile(path, reason):
            "the application's settings file \(path) (JOBRUNNER_SCRIPT_ENV_FILE) is malformed: \(reason)"
        }
    }
}
