import ArgumentParser
import Foundation
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerServer
import JobrunnerStages
import JobrunnerStore
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The whole flow on this machine: a throwaway bare repository with a TypeScript script, the
/// service on a loopback port with a temporary SQLite database, a signed push webhook, the
/// pipeline followed through PROCESS → EXECUTE → CLEANUP, and the resulting commit and log.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole flow against a throwaway local repository and show the committed log.",
        discussion: "Everything lives in a temporary directory (or --directory): a bare repository demo/ops.git, its clone, the database. The service and its dashboard stay up afterwards, with a printed sign-in token (Ctrl-C stops it), unless --exit is given.")

    @Flag(name: .long, help: "Exit when the pipeline is done instead of keeping the service up.") var exit = false
    @Option(name: .long, help: "Where to create the repository and data (default: a new temporary directory).")
    var directory: String?
    @Option(name: .long, help: "Loopback port for the service (default: a free one).") var port: Int?

    func run() async throws {
        let root = URL(fileURLWithPath: directory ?? NSTemporaryDirectory() + "jobrunner-demo-" + String(UUID().uuidString.prefix(8)))
            .standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        say("jobrunner demo in \(root)")

        // 1. A repository with a merged script.
        let bare = root + "/remotes/demo/ops.git"
        let work = root + "/work"
        try await git(["init", "--quiet", "--bare", "--initial-branch", "main", bare], in: root)
        try await git(["init", "--quiet", "--initial-branch", "main", work], in: root)
        try FileManager.default.createDirectory(atPath: work + "/jobs/lib", withIntermediateDirectories: true)
        try "# demo/ops\n\nScripts under jobs/ run once in production.\n".write(
            toFile: work + "/README.md", atomically: true, encoding: .utf8)
        try await git(["add", "-A"], in: work)
        try await git(["commit", "--quiet", "-m", "Initial commit"], in: work)
        try """
            export function greeting(name: string): string {
              return `Hello, ${name}! This ran through PROCESS, EXECUTE and CLEANUP.`;
            }

            """.write(toFile: work + "/jobs/lib/greeting.ts", atomically: true, encoding: .utf8)
        try """
            // jobrunner: timeout=1m
            import { greeting } from "./lib/greeting";

            const started = new Date();
            console.log(greeting(process.env.JOBRUNNER_REPOSITORY ?? "world"));
            console.log(`pipeline ${process.env.JOBRUNNER_PIPELINE_ID}, commit ${process.env.JOBRUNNER_COMMIT?.slice(0, 12)}`);
            console.error(`a line on stderr at ${started.toISOString()}`);

            """.write(toFile: work + "/jobs/hello-demo.ts", atomically: true, encoding: .utf8)
        try await git(["add", "-A"], in: work)
        try await git(["commit", "--quiet", "-m", "Add hello-demo script (#1)"], in: work)
        try await git(["push", "--quiet", bare, "HEAD:main"], in: work)
        let before = try await git(["rev-parse", "HEAD~1"], in: work)
        let commit = try await git(["rev-parse", "HEAD"], in: work)
        say("✓ repository demo/ops with jobs/hello-demo.ts at \(commit.prefix(12))")

        // 2. The service, in this process.
        var settings = Settings()
        settings.webhookSecrets = [(0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()]
        settings.repositories = [RepositoryName(rawValue: "demo/ops")!]
        settings.dataDirectory = root + "/data"
        settings.database = .sqlite(path: root + "/data/jobrunner.sqlite")
        settings.gitRemoteTemplate = root + "/remotes/{repository}.git"
        settings.httpPort = port ?? Self.freePort()
        settings.logLevel = .warning
        let dashboardToken = OperatorAuthenticator.randomToken()
        settings.dashboardTokens = [OperatorToken(name: "demo", token: dashboardToken)]
        LoggingSetup.bootstrap(settings)
        let logger = Logger(label: "jobrunner")
        var overrides = ServiceAssembly.Overrides()
        overrides.workerPool = WorkerPoolConfiguration(
            workers: 2, nodeName: ServiceAssembly.nodeName(), pollInterval: .milliseconds(200))
        let assembly = try await assemble(settings, role: .serve, logger: logger, overrides: overrides)
        let store = assembly.store
        let app = assembly.application()
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let service = Task { try await group.run() }
        say("✓ service on http://127.0.0.1:\(settings.httpPort) (database \(settings.database.redacted))")

        // 3. The push webhook GitHub would send after the merge.
        let body = try JSONSerialization.data(withJSONObject: [
            "ref": "refs/heads/main", "before": before, "after": commit, "created": false, "deleted": false,
            "forced": false,
            "commits": [[
                "id": commit, "message": "Add hello-demo script (#1)",
                "author": ["name": "Demo Engineer", "email": "engineer@demo.example", "username": "engineer"],
                "added": ["jobs/hello-demo.ts", "jobs/lib/greeting.ts"], "removed": [String](), "modified": [String](),
            ]],
            "head_commit": ["id": commit, "message": "Add hello-demo script (#1)", "author": ["name": "Demo Engineer"]],
            "repository": ["full_name": "demo/ops", "default_branch": "main"],
            "pusher": ["name": "engineer"], "sender": ["login": "engineer"],
        ])
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(settings.httpPort)/webhooks/github")!)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("push", forHTTPHeaderField: "X-GitHub-Event")
        request.setValue(UUID().uuidString, forHTTPHeaderField: "X-GitHub-Delivery")
        request.setValue(
            WebhookVerifier.signature(for: body, secret: settings.webhookSecrets[0]), forHTTPHeaderField: "X-Hub-Signature-256")
        var answer: (Data, URLResponse)?
        for _ in 0..<100 where answer == nil {
            answer = try? await URLSession.shared.data(for: request)
            if answer == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard let (data, response) = answer, (response as? HTTPURLResponse)?.statusCode == 202 else {
            printError("jobrunner demo: the webhook was not accepted")
            throw ExitCode(1)
        }
        say("✓ signed push webhook → 202 \(String(decoding: data, as: UTF8.self))")

        // 4. Follow the pipeline.
        let finished = try await follow(store, PipelineID(1))
        guard let finished, finished.summary.status == .succeeded else {
            printError("jobrunner demo: the pipeline did not succeed (see above)")
            await group.triggerGracefulShutdown()
            _ = try? await service.value
            throw ExitCode(1)
        }

        // 5. What landed in the repository.
        let logPath = ExecutionLogPath.path(for: finished.summary.pipeline, logsDirectory: settings.logsDirectory)
        say("\n✓ the branch now has the cleanup commit:\n")
        say(try await git(["--git-dir", bare, "log", "-1", "--stat", "--format=commit %H%nAuthor: %an <%ae>%n%n    %s%n", "main"], in: root))
        say("\n✓ \(logPath):\n")
        say(try await git(["--git-dir", bare, "show", "main:\(logPath)"], in: root))
        if exit {
            await group.triggerGracefulShutdown()
            try await service.value
            return
        }
        say(
            """

            The dashboard is up: http://127.0.0.1:\(settings.httpPort)/pipelines/1
            Sign in with the token \(dashboardToken)
            (or the API: curl -H 'Authorization: Bearer \(dashboardToken)' http://127.0.0.1:\(settings.httpPort)/api/v1/pipelines)
            Ctrl-C stops it.
            """)
        try await service.value
    }

    /// Prints each stage change until the pipeline ends (or two minutes pass).
    private func follow(_ store: any PipelineStore, _ id: PipelineID) async throws -> PipelineDetail? {
        var shown: [StageKind: StageState] = [:]
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let detail = try await store.pipeline(id) {
                for stage in detail.summary.stages where shown[stage.kind] != stage.state {
                    shown[stage.kind] = stage.state
                    let note = stage.summary ?? stage.lastError ?? ""
                    say("  \(stage.kind.displayName.padding(toLength: 8, withPad: " ", startingAt: 0)) \(stage.state.rawValue)\(note.isEmpty ? "" : " — " + note)")
                }
                if detail.summary.status.isAtRest { return detail }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    private func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    @discardableResult
    private func git(_ arguments: [String], in directory: String) async throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_AUTHOR_NAME"] = "Demo Engineer"
        environment["GIT_AUTHOR_EMAIL"] = "engineer@demo.example"
        environment["GIT_COMMITTER_NAME"] = "Demo Engineer"
        environment["GIT_COMMITTER_EMAIL"] = "engineer@demo.example"
        let result = try await SubprocessRunner().run(
            ProcessSpec(
                executable: "git", arguments: arguments, environment: environment, workingDirectory: directory,
                timeout: .seconds(60), outputLimit: 4 << 20))
        guard result.succeeded else {
            printError("jobrunner demo: git \(arguments.joined(separator: " ")) failed: \(String(decoding: result.stderr.bytes, as: UTF8.self))")
            throw ExitCode(1)
        }
        return String(decoding: result.stdout.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A port nothing listens on right now, from the kernel.
    static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
