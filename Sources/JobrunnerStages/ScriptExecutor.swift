import Foundation
import JobrunnerCore

#if canImport(Glibc)
import Glibc
#endif

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
    /// What one sandboxed run may use.
    public var limits = ScriptLimits()
    /// Where memory, processes and CPU are bounded; nil: rlimits hold what they can.
    public var cgroups: ScriptCgroups?

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
        sandbox = settings.scriptIsolation == .bubblewrap ? BubblewrapSandbox(settings: settings, environment: environment) : nil
        pythonInterpreter = settings.pythonInterpreter
        if sandbox != nil {
            limits = settings.scriptLimits
            cgroups = ScriptCgroups.detect()
        }
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
        var cgroup: RunCgroup?
        let statusFile = scratchDirectory + "/status-" + UUID().uuidString
        let egressDirectory = scratchDirectory + "/egress-" + UUID().uuidString
        defer {
            cgroup?.remove()
            try? FileManager.default.removeItem(atPath: statusFile)
            try? FileManager.default.removeItem(atPath: egressDirectory)
        }
        if let sandbox {
            // Checked at every run: a script is never run unisolated because the sandbox broke.
            try await sandbox.check(runner: runner, scratchDirectory: directory + "/tmp")
            if let identity = sandbox.identity { try Self.hand(directory, to: identity) }
            // The interpreter may be installed outside the system directories (pyenv, nvm); a
            // binary artifact's "installation" is the data directory, which is never shown.
            let interpreter = ExecutableLookup.resolve(command[0], path: environment["PATH"]).map(BubblewrapSandbox.installation)
                .flatMap { installation in
                    BubblewrapSandbox.isInside(installation, scratchDirectory) || BubblewrapSandbox.isInside(scratchDirectory, installation)
                        ? nil : installation
                }
            let egress =
                sandbox.network == .egress ? try EgressNetwork(destinations: sandbox.egress).prepare(egressDirectory) : nil
            let wrapped = sandbox.wrap(
                command, runDirectory: directory, readOnly: [appDirectory, interpreter].compactMap { $0 },
                workingDirectory: workingDirectory, statusDescriptor: 3, resolvConf: egress?.resolvConf)
            cgroup = try cgroups?.create(run: (directory as NSString).lastPathComponent, limits: limits)
            let launch =
                Self.launcher(
                    statusFile: statusFile, cgroupProcs: cgroup?.procsFiles ?? [],
                    rlimits: Self.rlimits(limits, heldByCgroups: cgroups?.holds ?? [], identity: sandbox.identity), egress: egress)
                + wrapped
            spec.executable = launch[0]
            spec.arguments = Array(launch.dropFirst())
            spec.isLauncher = true
        }
        let stoppedAt = Locked<RunLimit?>(nil)
        let watchedDisk = sandbox == nil ? nil : limits.disk
        let watchedCgroup = cgroup
        let launched = spec
        let runner = runner
        let result = try await withThrowingTaskGroup(of: ProcessResult?.self) { group in
            group.addTask {
                try await runner.run(launched) { stream, bytes in
                    let masked = capture.feed(stream, bytes)
                    if !masked.isEmpty { await onOutput(stream, masked) }
                }
            }
            if watchedDisk != nil || watchedCgroup != nil {
                // Past a limit the run is stopped as an operator's stop would stop it.
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(250))
                        var reached: RunLimit?
                        if watchedCgroup?.exceeded() == .processes { reached = .processes }
                        if let watchedDisk, Self.diskUsage(of: directory) >= watchedDisk { reached = .disk }
                        if let reached {
                            stoppedAt.withLock { $0 = reached }
                            return nil
                        }
                    }
                    return nil
                }
            }
            while let next = try await group.next() {
                if let result = next {
                    group.cancelAll()
                    return result
                }
                // The watcher stopped: end the run (it reports cancelled; the limit says why).
                group.cancelAll()
            }
            throw CancellationError()
        }
        let rests = capture.finish()
        if !rests.stdout.isEmpty { await onOutput(.stdout, rests.stdout) }
        if !rests.stderr.isEmpty { await onOutput(.stderr, rests.stderr) }

        // How the script itself ended, as the reporter inside the sandbox saw it; bubblewrap
        // alone reports a killed script as exit 128+N and an `exit 137` the same way.
        var exitCode = result.exitCode
        var signal = result.signal
        if sandbox != nil, let reported = Self.reportedStatus(statusFile) {
            (exitCode, signal) = reported
        }
        var stoppedBy = stoppedAt.value
        // The kernel's OOM killer ended one of the run's processes: it reached its memory limit,
        // whether the script itself died of it or went on without that child.
        if stoppedBy == nil, let reached = cgroup?.exceeded(killed: signal == SIGKILL || (signal == nil && exitCode == 128 + SIGKILL)) {
            stoppedBy = reached
        }
        // A write past the disk limit (RLIMIT_FSIZE) is refused with SIGXFSZ.
        if stoppedBy == nil, let disk = watchedDisk, signal == SIGXFSZ || Self.diskUsage(of: directory) >= disk { stoppedBy = .disk }
        let outcome: ExecutionOutcome =
            if stoppedBy != nil { .killed }
            else if result.cancelled { .cancelled }
            else if result.timedOut { .timedOut }
            else if let code = exitCode { code == 0 ? .succeeded : .failed }
            else { .killed }
        var run = ScriptRun(
            outcome: outcome, exitCode: exitCode, signal: signal, timedOut: result.timedOut, timeout: timeout,
            output: capture.captured, startedAt: result.startedAt, finishedAt: result.finishedAt,
            application: applicationFacts(revision: revision))
        run.stoppedBy = stoppedBy
        return run
    }

    /// `sh` opens the status file on descriptor 3 for the sandbox's reporter, joins the run's
    /// cgroups (so every process the script starts is inside from the first), then becomes the
    /// rest of the command: `prlimit` with the rlimits, then bubblewrap — or, with the egress
    /// network, starts it and sets its network up first (`EgressNetwork.startScript`), staying
    /// its parent; then it dies with the service like the sandbox does (`--pdeathsig`).
    static func launcher(statusFile: String, cgroupProcs: [String], rlimits: [String], egress: EgressNetwork.Prepared? = nil) -> [String] {
        // umask 022 for bubblewrap, which makes the directories on the way to the run directory
        // with it; the reporter inside gives the script the service's owner-only umask back.
        let openStatus = #"umask 022; exec 3>"$1" || exit 125; shift"#
        let joinCgroups = #"while [ "$1" != -- ]; do echo $$ > "$1" || { echo "jobrunner: cannot join the run's cgroup $1" >&2; exit 125; }; shift; done; shift"#
        let limits = rlimits.isEmpty ? [] : ["prlimit"] + rlimits + ["--"]
        guard let egress else {
            return ["/bin/sh", "-c", "\(openStatus); \(joinCgroups); exec \"$@\"", "jobrunner-launch", statusFile] + cgroupProcs + ["--"] + limits
        }
        let script = "\(openStatus); d=$1; rules=$2; shift 2\n\(joinCgroups)\n" + EgressNetwork.startScript
        return ["setpriv", "--pdeathsig", "KILL", "--", "/bin/sh", "-c", script, "jobrunner-launch", statusFile, egress.directory, egress.rules]
            + cgroupProcs + ["--"] + limits
    }

    /// The rlimits of a run: no core dumps (they would copy its memory to disk), no single file
    /// larger than the disk limit, and — where no cgroup holds them — the memory a process may
    /// allocate and, for a script under its own user, the processes that user may have.
    static func rlimits(_ limits: ScriptLimits, heldByCgroups: Set<String>, identity: ScriptIdentity?) -> [String] {
        var arguments = ["--core=0"]
        if let disk = limits.disk { arguments.append("--fsize=\(disk)") }
        if let memory = limits.memory, !heldByCgroups.contains("memory") { arguments.append("--data=\(memory)") }
        if let processes = limits.processes, identity != nil, !heldByCgroups.contains("processes") {
            arguments.append("--nproc=\(processes)")
        }
        return arguments
    }

    /// `exit N` or `signal N`, as the sandbox's reporter wrote it; nil when it did not (the
    /// sandbox never started the script, or everything was killed at once).
    static func reportedStatus(_ file: String) -> (exitCode: Int32?, signal: Int32?)? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        let fields = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        guard fields.count == 2, let number = Int32(fields[1]) else { return nil }
        switch fields[0] {
        case "exit": return (number, nil)
        case "signal": return (nil, number)
        default: return nil
        }
    }

    /// Gives the run directory to the script's user: its only writable place.
    static func hand(_ directory: String, to identity: ScriptIdentity) throws {
        var paths = [directory]
        if let enumerator = FileManager.default.enumerator(atPath: directory) {
            while let relative = enumerator.nextObject() as? String { paths.append(directory + "/" + relative) }
        }
        for path in paths where lchown(path, identity.uid, identity.gid) != 0 {
            throw ProcessLaunchError(executable: path, reason: "cannot give it to \(identity): \(String(cString: strerror(errno)))")
        }
        // bubblewrap, root without capabilities, must enter it to start the script there; the
        // data directory around it stays owner-only, and no other run's sandbox shows it.
        chmod(directory, 0o755)
    }

    /// Bytes the files below `directory` take on disk.
    static func diskUsage(of directory: String) -> Int {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return 0 }
        var total = 0
        while let relative = enumerator.nextObject() as? String {
            var info = stat()
            if lstat(directory + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
                total += Int(info.st_blocks) * 512
            }
        }
        return total
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
