import ArgumentParser
import Foundation
import JobrunnerCore
import JobrunnerServer
import JobrunnerStages

/// Builds like PROCESS, with the configured toolchains.
private func makeBuilder(_ settings: Settings) throws -> ScriptBuilder {
    ScriptBuilder(toolchains: try loadToolchains(settings), scratchDirectory: NSTemporaryDirectory())
}

/// Builds FILE or exits with the compiler's message (status 1). In a checkout the checkout is
/// the repository (imports of the application's modules resolve as in PROCESS).
private func build(_ file: String, settings: Settings) async throws -> (LocalScriptSource.Loaded, Artifact) {
    do {
        let builder = try makeBuilder(settings)
        let loaded = try await LocalScriptSource.load(
            file: file, scopes: SourceScopePolicy(settings: settings), toolchains: builder.toolchains)
        return (loaded, try await builder.build(loaded.source))
    } catch let error as BuildError {
        printError("jobrunner: \(error)")
        throw ExitCode(1)
    } catch let error as SourceReadError {
        printError("jobrunner: \(error)")
        throw ExitCode(1)
    }
}

struct TranspileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transpile",
        abstract: "Print or write the exact artifact PROCESS would build from FILE.",
        discussion: "In a checkout, the checkout is the repository: FILE is built at its path with the files PROCESS would read (for TypeScript/JavaScript the whole working tree, so imports of the application's modules resolve). Outside one, FILE is built as if it were in the jobs directory, next to the files of its own directory. The toolchain, version and SHA-256 go to standard error.")

    @OptionGroup var options: SettingsOptions
    @Argument(help: "The script, e.g. jobs/2026-11-backfill.ts.") var file: String
    @Option(name: .shortAndLong, help: "Write the artifact here instead of standard output.") var output: String?

    func run() async throws {
        let settings = try await options.load(for: .local)
        let (_, artifact) = try await build(file, settings: settings)
        if let output {
            try Data(artifact.content).write(to: URL(fileURLWithPath: output))
            if !artifact.isText {
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: output)
            }
        } else {
            FileHandle.standardOutput.write(Data(artifact.content))
        }
        printError("jobrunner: built with \(artifact.toolchainVersion): \(artifact.content.count) bytes, sha256 \(artifact.digest)")
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Build and run FILE locally exactly as EXECUTE would, then print the log CLEANUP would commit.",
        discussion: "Output streams live to the terminal while the script runs. The script gets the same environment as in production: the variables of JOBRUNNER_SCRIPT_ENV_FILE, those named in JOBRUNNER_SCRIPT_ENV, plus JOBRUNNER_* facts; secrets are masked. In a checkout it runs in the application directory (--app-dir, default the checkout's root), so packages installed there (npm ci, a .venv) resolve as in production. Exit status: the script's.")

    @OptionGroup var options: SettingsOptions
    @Argument(help: "The script to build and run.") var file: String
    @Flag(name: .long, help: "Build only; do not run.") var dryRun = false
    @Option(
        name: .customLong("app-dir"),
        help: "The application's directory the script runs in, with its node_modules and .venv (default: JOBRUNNER_APP_DIR, else the checkout's root).")
    var appDirectory: String?

    func run() async throws {
        let settings = try await options.load(for: .local)
        let (loaded, artifact) = try await build(file, settings: settings)
        let source = loaded.source
        printError("jobrunner: built with \(artifact.toolchainVersion): \(artifact.content.count) bytes, sha256 \(artifact.digest)")
        if dryRun { return }
        let environment = ProcessInfo.processInfo.environment
        var executorSettings = settings
        executorSettings.dataDirectory = NSTemporaryDirectory() + "jobrunner-run"
        executorSettings.appDirectory = (appDirectory ?? settings.appDirectory ?? loaded.checkout).map {
            URL(fileURLWithPath: $0).standardizedFileURL.path
        }
        let executor = ScriptExecutor(
            settings: executorSettings, environment: environment,
            secretValues: SettingsTable.secretValues(of: settings, environment: environment))
        let facts = RunFacts(pipelineID: "local", repository: "local", commit: "working-tree", scriptPath: source.path, attempt: 1)
        let progress = Locked((scanner: ProgressScanner(), report: ProgressReport?.none))
        let run = try await executor.execute(artifact, facts: facts) { stream, bytes in
            (stream == .stdout ? FileHandle.standardOutput : FileHandle.standardError).write(Data(bytes))
            guard stream == .stdout else { return }
            // `::progress` lines, as the dashboard shows them: done, rate, time left.
            for report in progress.withLock({ state -> [ProgressReport] in
                state.scanner.feed(bytes).map { line in
                    let now = Date()
                    let next = state.report?.updated(with: line, at: now)
                        ?? ProgressReport(done: line.done, total: line.total, unit: line.unit, firstDone: line.done, firstAt: now, at: now)
                    state.report = next
                    return next
                }
            }) {
                printError("jobrunner: progress " + ProgressText.describe(report))
            }
        }
        var record = ExecutionRecord(run, id: 0, pipelineID: PipelineID(0), attempt: 1)
        record.progress = progress.value.report
        let log = ExecutionLog(scriptPath: source.path, artifact: artifact, source: source.content, execution: record)
        print("\n----- execution log (what CLEANUP would commit) -----\n")
        print(log.render(masking: executor.currentMasker()))
        printError("jobrunner: \(run.summary)")
        if run.outcome != .succeeded { throw ExitCode(run.exitCode.map { $0 == 0 ? 1 : $0 } ?? 1) }
    }
}

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Pull-request guard: every added or changed script builds, and scripts are not mixed with other files.",
        discussion: "Run in a clone. Compares HEAD with --base (default: origin/HEAD, else main). Files in sub-folders of the jobs directory (support modules) may change together with scripts; anything else may not. Exit status 1 on any problem.")

    @OptionGroup var options: SettingsOptions
    @Option(name: .long, help: "The base to compare against (default: origin/HEAD, else main).") var base: String?
    @Option(name: .long, help: "Write each built artifact into this directory.") var outputDirectory: String?

    func run() async throws {
        let settings = try await options.load(for: .local)
        let base = try await resolveBase()
        let changes = try await gitLines(["diff", "--name-status", "--no-renames", "\(base)...HEAD"])
        var scripts: [String] = []
        var others: [String] = []
        let builder = try makeBuilder(settings)
        let detector = ScriptDetector(jobsDirectory: settings.jobsDirectory, supportedExtensions: builder.supportedExtensions)
        for line in changes {
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let status = parts[0]
            let path = String(parts[1])
            let detected = detector.detect([ScriptDetector.Commit(id: "HEAD", message: "", added: [path])])
            if !detected.scripts.isEmpty {
                if status != "D" { scripts.append(path) }
            } else if !path.hasPrefix(settings.jobsDirectory + "/") {
                others.append(path)
            }
        }
        var failed = false
        if !scripts.isEmpty && !others.isEmpty {
            failed = true
            print("✗ this change mixes scripts with other files; a script's pull request must contain only scripts (and modules in sub-folders of \(settings.jobsDirectory)/):")
            for path in others { print("    \(path)") }
        }
        for path in scripts {
            do {
                let source = try await LocalScriptSource.load(
                    file: path, scopes: SourceScopePolicy(settings: settings), toolchains: builder.toolchains
                ).source
                let artifact = try await builder.build(source)
                print("✓ \(path): \(artifact.toolchainVersion), \(artifact.content.count) bytes, sha256 \(artifact.digest)")
                if let outputDirectory {
                    try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
                    let name = (path as NSString).lastPathComponent + "." + artifact.fileName
                    try Data(artifact.content).write(to: URL(fileURLWithPath: outputDirectory + "/" + name))
                }
            } catch {
                failed = true
                print("✗ \(path): \(error)")
            }
        }
        if scripts.isEmpty { print("no scripts added or changed under \(settings.jobsDirectory)/ since \(base)") }
        if failed { throw ExitCode(1) }
    }

    private func resolveBase() async throws -> String {
        if let base { return base }
        let probe = try await SubprocessRunner().run(
            ProcessSpec(
                executable: "git", arguments: ["rev-parse", "--verify", "--quiet", "origin/HEAD"],
                environment: ProcessInfo.processInfo.environment, workingDirectory: FileManager.default.currentDirectoryPath,
                timeout: .seconds(30), outputLimit: 4096))
        return probe.succeeded ? "origin/HEAD" : "main"
    }

    private func gitLines(_ arguments: [String]) async throws -> [String] {
        let result = try await SubprocessRunner().run(
            ProcessSpec(
                executable: "git", arguments: arguments, environment: ProcessInfo.processInfo.environment,
                workingDirectory: FileManager.default.currentDirectoryPath, timeout: .seconds(60), outputLimit: 8 << 20))
        guard result.succeeded else {
            printError("jobrunner check: git \(arguments.joined(separator: " ")) failed: \(String(decoding: result.stderr.bytes, as: UTF8.self))")
            throw ExitCode(1)
        }
        return String(decoding: result.stdout.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
