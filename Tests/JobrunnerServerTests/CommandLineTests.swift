import Foundation
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerStages
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The built `jobrunner` executable, run as a user would run it.
struct JobrunnerBinary {
    static var path: String { BuiltProduct.path("jobrunner") }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A started `jobrunner` whose stdout and stderr are read from the first moment, so a
    /// chatty child never blocks on a full pipe (a worker retrying a failing stage logs a lot).
    struct Started {
        let process: Process
        let stdout: Task<String, any Error>
        let stderr: Task<String, any Error>
    }

    /// - Parameter executable: another program that runs `jobrunner` (e.g. as another user).
    static func start(_ arguments: [String], environment: [String: String], directory: String, executable: String? = nil) throws
        -> Started
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? path)
        process.arguments = arguments
        process.environment = environment.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]) { mine, _ in mine }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return Started(process: process, stdout: Task { try await drain(out) }, stderr: Task { try await drain(err) })
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], directory: String) async throws -> Result {
        let started = try start(arguments, environment: environment, directory: directory)
        let (output, errors) = try await (started.stdout.value, started.stderr.value)
        try await onDedicatedThread { started.process.waitUntilExit() }
        return Result(status: started.process.terminationStatus, stdout: output, stderr: errors)
    }

    /// A process that outlived its stop signal.
    struct DidNotStop: Error, CustomStringConvertible {
        var signal: Int32
        var description: String { "the process did not exit within 30 s of signal \(signal); it was SIGKILLed" }
    }

    /// Stops a started process and waits for it — polling, since `waitUntilExit` spins on Linux
    /// off the main thread; a process still running after 30 s is killed and the test fails.
    static func stop(_ process: Process, signal: Int32 = SIGTERM) async throws {
        kill(process.processIdentifier, signal)
        for _ in 0..<600 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<100 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        throw DidNotStop(signal: signal)
    }

    /// POSTs a signed push webhook to a `serve` that may still be starting (retried until it
    /// answers, for up to a minute: a loaded CI machine can take long to start it); returns the
    /// status, or nil if nothing answered.
    static func pushWebhook(_ body: Data, port: Int, secret: String, delivery: String) async throws -> Int? {
        try await webhook(body, event: "push", port: port, secret: secret, delivery: delivery)?.statusCode
    }

    /// POSTs a signed webhook of any event, as `pushWebhook`; returns the whole answer.
    static func webhook(_ body: Data, event: String, port: Int, secret: String, delivery: String) async throws -> HTTPURLResponse? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/webhooks/github")!)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(event, forHTTPHeaderField: "X-GitHub-Event")
        request.setValue(delivery, forHTTPHeaderField: "X-GitHub-Delivery")
        request.setValue(WebhookVerifier.signature(for: body, secret: secret), forHTTPHeaderField: "X-Hub-Signature-256")
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let (_, response) = try? await URLSession.shared.data(for: request) {
                return response as? HTTPURLResponse
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// A GitHub-shaped push of `main` adding one file per commit, by alice.
    static func push(_ commits: [(id: String, added: String)], before: String = String(repeating: "1", count: 40)) throws -> Data {
        let commit = { (id: String, file: String) -> [String: Any] in
            ["id": id, "message": "add \(file)", "author": ["name": "Alice", "username": "alice"], "added": [file],
             "removed": [String](), "modified": [String]()]
        }
        let last = try #require(commits.last)
        return try JSONSerialization.data(withJSONObject: [
            "ref": "refs/heads/main", "before": before, "after": last.id, "created": false, "deleted": false, "forced": false,
            "commits": commits.map { commit($0.id, $0.added) }, "head_commit": commit(last.id, last.added),
            "repository": ["full_name": "acme/ops", "default_branch": "main"], "pusher": ["name": "alice"], "sender": ["login": "alice"],
        ])
    }

    /// A `JOBRUNNER_GIT_REMOTE` template under `directory` under which acme/ops is `git`'s bare repository.
    static func remote(serving git: GitFixture, in directory: TemporaryDirectory) throws -> String {
        let remotes = directory.file("remotes")
        try FileManager.default.createDirectory(atPath: remotes + "/acme", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: remotes + "/acme/ops.git", withDestinationPath: git.bare)
        return remotes + "/{repository}.git"
    }

    /// Everything a process wrote to a pipe until it closed.
    private static func drain(_ pipe: Pipe) async throws -> String {
        try await onDedicatedThread { String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
    }
}

@Suite("The jobrunner command")
struct CommandLineTests {
    @Test
    func helpDescribesEveryCommand() async throws {
        let directory = try TemporaryDirectory()
        let result = try await JobrunnerBinary.run(["--help"], directory: directory.path)
        #expect(result.status == 0)
        for command in ["serve", "worker", "transpile", "run", "check", "demo", "pipelines", "show", "retry", "cancel", "settings"] {
            #expect(result.stdout.contains("  \(command) "), "--help lists \(command)")
        }
    }

    @Test
    func serveRefusesToStartWithoutAWebhookSecretAndCreatesNothing() async throws {
        let directory = try TemporaryDirectory()
        let result = try await JobrunnerBinary.run(["serve"], environment: ["JOBRUNNER_REPOSITORIES": "acme/ops"], directory: directory.path)
        #expect(result.status == 78)
        #expect(result.stderr.contains("JOBRUNNER_WEBHOOK_SECRET"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("data")), "nothing started, nothing written")
    }

    @Test
    func everyConfigurationProblemIsReportedInOneMessageFilesIncluded() async throws {
        let directory = try TemporaryDirectory()
        let toolchains = directory.file("toolchains.json")
        try #"[{"name": "ruby", "extensions": ["rb"], "run": ["ruby", "{artifact}"], "artifact": "script.rb"}]"#
            .write(toFile: toolchains, atomically: true, encoding: .utf8)
        let key = directory.file("app.pem")
        try "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n"
            .write(toFile: key, atomically: true, encoding: .utf8)
        let result = try await JobrunnerBinary.run(
            ["serve"],
            environment: [
                "JOBRUNNER_WEBHOOK_SECRET": "a-secret-long-enough", "JOBRUNNER_REPOSITORIES": "acme/ops",
                "JOBRUNNER_TOOLCHAINS_FILE": toolchains, "JOBRUNNER_GITHUB_APP_ID": "42",
                "JOBRUNNER_GITHUB_APP_PRIVATE_KEY_PATH": key, "JOBRUNNER_HTTP_PORT": "http", "JOBRUNNER_LOG_LEVEL": "loud",
            ],
            directory: directory.path)
        #expect(result.status == 78)
        for problem in [
            "JOBRUNNER_TOOLCHAINS_FILE: \(toolchains): toolchain ruby needs exactly one of check or build",
            "JOBRUNNER_GITHUB_APP_PRIVATE_KEY_PATH:", "JOBRUNNER_HTTP_PORT: 'http' is not a whole number",
            "JOBRUNNER_LOG_LEVEL: 'loud' is not one of trace, debug, info",
        ] {
            #expect(result.stderr.contains(problem), "\(result.stderr)")
        }
        #expect(result.stderr.components(separatedBy: "invalid configuration").count == 2, "one message")
        #expect(!FileManager.default.fileExists(atPath: directory.file("data")), "nothing started, nothing written")
    }

    @Test
    func settingsListsEveryDeclaredSettingWithItsDefaultAndSecrecy() async throws {
        let directory = try TemporaryDirectory()
        let result = try await JobrunnerBinary.run(["settings"], directory: directory.path)
        #expect(result.status == 0)
        for name in Setting.allCases.map(\.rawValue) { #expect(result.stdout.contains(name)) }
        #expect(result.stdout.contains("JOBRUNNER_GITHUB_TOKEN (secret)"))
        #expect(result.stdout.contains("(default: 12h)"), "the session lifetime's default, from Settings()")
    }

    @Test
    func demoRunsTheWholeFlowAndShowsTheCommittedLog() async throws {
        let directory = try TemporaryDirectory("demo")
        let result = try await JobrunnerBinary.run(["demo", "--exit", "--directory", directory.path], directory: directory.path)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("CLEANUP  succeeded"))
        #expect(result.stdout.contains("jobrunner: ran jobs/hello-demo.ts — succeeded (pipeline 1) [skip ci]"))
        #expect(result.stdout.contains("Hello, demo/ops! This ran through PROCESS, EXECUTE and CLEANUP."))
        // The repository itself, read with git.
        let bare = directory.file("remotes/demo/ops.git")
        let files = try GitFixture.git(["--git-dir", bare, "ls-tree", "-r", "--name-only", "main"], in: directory.path)
            .split(separator: "\n").map(String.init)
        #expect(!files.contains("jobs/hello-demo.ts"), "the script is gone")
        #expect(files.contains("jobs/lib/greeting.ts"), "its support module stays")
        let log = try #require(files.first { $0.hasPrefix("jobrunner-logs/") && $0.hasSuffix("-hello-demo-p1.md") })
        let content = try GitFixture.git(["--git-dir", bare, "show", "main:\(log)"], in: directory.path)
        #expect(content.contains("exit_status: 0"))
        #expect(content.contains("a line on stderr"))
    }

    @Test
    func serveAnswersHealthAndStopsCleanlyOnSIGTERM() async throws {
        let directory = try TemporaryDirectory()
        let port = TestPorts.free()
        let serve = try JobrunnerBinary.start(
            ["serve"],
            environment: [
                "JOBRUNNER_WEBHOOK_SECRET": "health-check-secret", "JOBRUNNER_REPOSITORIES": "acme/ops",
                "JOBRUNNER_HTTP_PORT": "\(port)", "JOBRUNNER_LOG_FORMAT": "json",
                "JOBRUNNER_GIT_REMOTE": directory.file("no-such-remote/{repository}.git"),
            ],
            directory: directory.path)
        var ready = false
        for _ in 0..<300 where !ready {
            try await Task.sleep(for: .milliseconds(50))
            if let (data, response) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/readyz")!),
                (response as? HTTPURLResponse)?.statusCode == 200
            {
                ready = String(decoding: data, as: UTF8.self).contains("ready")
            }
        }
        #expect(ready, "serve became ready")

        // A signed push over real HTTP becomes a durable pipeline.
        let body = try Data(contentsOf: try #require(Bundle.module.url(forResource: "push-pr-merge", withExtension: "json", subdirectory: "Fixtures")))
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/webhooks/github")!)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("push", forHTTPHeaderField: "X-GitHub-Event")
        request.setValue("e2e-delivery", forHTTPHeaderField: "X-GitHub-Delivery")
        request.setValue(WebhookVerifier.signature(for: body, secret: "health-check-secret"), forHTTPHeaderField: "X-Hub-Signature-256")
        let (answer, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 202, "\(String(decoding: answer, as: UTF8.self))")
        var unsigned = request
        unsigned.setValue(nil, forHTTPHeaderField: "X-Hub-Signature-256")
        unsigned.setValue("e2e-unsigned", forHTTPHeaderField: "X-GitHub-Delivery")
        let (_, refused) = try await URLSession.shared.data(for: unsigned)
        #expect((refused as? HTTPURLResponse)?.statusCode == 401)

        try await JobrunnerBinary.stop(serve.process)
        #expect(serve.process.terminationStatus == 0)
        let log = try await serve.stderr.value
        let lines = log.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(
            lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil },
            "JOBRUNNER_LOG_FORMAT=json writes one JSON object per line")
        #expect(log.contains("worker pool stopped"))
        let listed = try await JobrunnerBinary.run(["pipelines"], directory: directory.path)
        #expect(listed.stdout.contains("jobs/2026-11-22-backfill-invoices.ts"), "\(listed.stdout)")
        #expect(listed.stdout.split(separator: "\n").count == 2, "one pipeline, the unsigned request created none")
    }

    @Test
    func operatorsRetryAndInspectPipelinesFromTheCommandLine() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
        let ids = try await store.recordDelivery(
            Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh", commit: "c1"), Fixtures.pipeline("jobs/b.sh", commit: "c2")]
        ).pipelines.map(\.id)
        let process = try #require(try await store.claimNext(owner: "w", kinds: [.process], leaseDuration: .seconds(60)))
        try await store.fail(process.lease, failure: .permanent("GitHub unreachable"))
        let secondProcess = try #require(try await store.claimNext(owner: "w", kinds: [.process], leaseDuration: .seconds(60)))
        try await store.complete(secondProcess.lease, summary: nil)
        let execute = try #require(try await store.claimNext(owner: "w", kinds: [.execute], leaseDuration: .seconds(60)))
        try await store.release(execute.lease, reason: "worker stopped")

        let list = try await JobrunnerBinary.run(["pipelines", "--status", "failed"], directory: directory.path)
        #expect(list.status == 0)
        #expect(list.stdout.contains("jobs/a.sh") && !list.stdout.contains("jobs/b.sh"))

        let retried = try await JobrunnerBinary.run(
            ["retry", "\(ids[0])", "--operator", "alice", "--reason", "GitHub is back"], directory: directory.path)
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(try await store.stage(ids[0], .process)?.state == .queued)

        let refused = try await JobrunnerBinary.run(["retry", "\(ids[1])", "--operator", "bob"], directory: directory.path)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--execute-again"))
        #expect(try await store.stage(ids[1], .execute)?.state == .interrupted, "not re-run without confirmation")

        let confirmed = try await JobrunnerBinary.run(
            ["retry", "\(ids[1])", "--operator", "bob", "--execute-again"], directory: directory.path)
        #expect(confirmed.status == 0)
        #expect(try await store.stage(ids[1], .execute)?.state == .queued)

        let shown = try await JobrunnerBinary.run(["show", "\(ids[0])"], directory: directory.path)
        #expect(shown.stdout.contains("retry process by alice"))
        #expect(shown.stdout.contains("GitHub is back"))

        let cancelled = try await JobrunnerBinary.run(["cancel", "\(ids[0])", "--operator", "carol"], directory: directory.path)
        #expect(cancelled.status == 0)
        #expect(try await store.status(ids[0]) == .cancelled)
    }
}

@Suite("Crash recovery by the jobrunner worker process")
struct WorkerRescueTests {
    static var probePath: String { BuiltProduct.path("jobrunner-store-probe") }

    @Test
    func aWorkerProcessRescuesTheLeasesOfASIGKILLedProcess() async throws {
        let directory = try TemporaryDirectory("rescue")
        let database = directory.file("jobrunner.sqlite")
        // The probe holds a PROCESS and an EXECUTE lease of 1 s, and is killed while writing.
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: Self.probePath)
        probe.arguments = [database, "1"]
        let output = Pipe()
        probe.standardOutput = output
        try probe.run()
        let seen = try await output.read(until: "HOLDING")
        try await JobrunnerBinary.stop(probe, signal: SIGKILL)
        #expect(seen.contains("HOLDING"))
        try await Task.sleep(for: .milliseconds(1500))  // the leases expire in real time

        let worker = try JobrunnerBinary.start(
            ["worker"],
            environment: [
                "JOBRUNNER_DATABASE_URL": database, "JOBRUNNER_WORKERS": "1", "JOBRUNNER_HTTP_PORT": "0",
                // PROCESS may run again after the rescue; keep it on this machine (and failing).
                "JOBRUNNER_GIT_REMOTE": directory.file("no-such-remote/{repository}.git"),
            ],
            directory: directory.path)
        let store = try SQLitePipelineStore(path: database)
        var rescued = false
        for _ in 0..<200 where !rescued {
            try await Task.sleep(for: .milliseconds(50))
            let states = try await store.pipelines(PipelineFilter(limit: 1000)).flatMap(\.stages).map(\.state)
            rescued = !states.contains(.running)
        }
        try await JobrunnerBinary.stop(worker.process)
        let log = try await worker.stderr.value
        #expect(rescued, "worker log:\n\(log)")
        #expect(worker.process.terminationStatus == 0)
        #expect(log.contains("rescued expired leases"))

        let first = try #require(try await store.pipeline(PipelineID(1)))
        #expect(first.summary.stage(.execute)?.state == .interrupted, "EXECUTE of the killed process: interrupted")
        let second = try #require(try await store.pipeline(PipelineID(2)))
        #expect(second.summary.stage(.process)?.state == .queued, "PROCESS of the killed process: queued again")
        #expect(second.attempts.first?.outcome == .abandoned, "rescued; the worker may have tried it again since")
        #expect(second.attempts.first?.worker == "probe/w1")
    }
}

@Suite("End to end through jobrunner serve")
struct ServeEndToEndTests {
    @Test
    func aSignedPushIsBuiltFromTheRepositoryAndRunOnce() async throws {
        // The repository acme/ops lives on this machine, where JOBRUNNER_GIT_REMOTE points.
        let git = try GitFixture()
        let commit = try git.commit(["jobs/hello.sh": "echo \"hello from $JOBRUNNER_SCRIPT at ${JOBRUNNER_COMMIT:0:7}\"\n"])
        let directory = try TemporaryDirectory("e2e")
        let remote = try JobrunnerBinary.remote(serving: git, in: directory)
        let port = TestPorts.free()
        let process = try JobrunnerBinary.start(
            ["serve"],
            environment: [
                "JOBRUNNER_WEBHOOK_SECRET": "e2e-webhook-secret", "JOBRUNNER_REPOSITORIES": "acme/ops",
                "JOBRUNNER_HTTP_PORT": "\(port)", "JOBRUNNER_GIT_REMOTE": remote,
                "JOBRUNNER_WORKERS": "2",
            ],
            directory: directory.path).process
        defer { kill(process.processIdentifier, SIGTERM) }
        let body = try JSONSerialization.data(withJSONObject: [
            "ref": "refs/heads/main", "before": String(repeating: "1", count: 40), "after": commit,
            "created": false, "deleted": false, "forced": false,
            "commits": [[
                "id": commit, "message": "Add hello (#5)", "author": ["name": "Alice", "username": "alice"],
                "added": ["jobs/hello.sh"], "removed": [String](), "modified": [String](),
            ]],
            "head_commit": ["id": commit, "message": "Add hello (#5)", "author": ["name": "Alice", "username": "alice"]],
            "repository": ["full_name": "acme/ops", "default_branch": "main"],
            "pusher": ["name": "alice"], "sender": ["login": "alice"],
        ])
        #expect(try await JobrunnerBinary.pushWebhook(body, port: port, secret: "e2e-webhook-secret", delivery: "e2e-1") == 202)

        let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
        var executed = false
        for _ in 0..<400 where !executed {
            try await Task.sleep(for: .milliseconds(50))
            executed = try await store.stage(PipelineID(1), .execute)?.state == .succeeded
        }
        #expect(executed)
        let execution = try #require(try await store.executions(for: PipelineID(1)).first)
        #expect(String(decoding: execution.stdout, as: UTF8.self) == "hello from jobs/hello.sh at \(commit.prefix(7))\n")
        #expect(try await store.executions(for: PipelineID(1)).count == 1, "ran exactly once")
        #expect(try await store.artifact(for: PipelineID(1))?.toolchain == "bash")
    }
}
