import Foundation
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
import JobrunnerServer
import JobrunnerStages
import JobrunnerStore
import JobrunnerTestSupport
import Testing

/// What people see of a script: its outcome where they look first, and the progress of a long
/// one while it runs — through the service wired as `serve` wires it, real scripts and git.
@Suite("A script's outcome and progress", .serialized)
struct ScriptOutcomeAndProgressTests {
    /// `jobrunner serve`, in process, over a bare repository holding `scripts`.
    struct Service {
        let git: GitFixture
        let directory: TemporaryDirectory
        let assembly: ServiceAssembly
        var store: any PipelineStore { assembly.store }

        /// - Parameter sharedDirectories: host directories the scripts may write (outside the data directory).
        init(_ scripts: [String: String], sharedDirectories: [String] = []) async throws {
            git = try GitFixture()
            directory = try TemporaryDirectory("life")
            let remotes = directory.file("remotes")
            try FileManager.default.createDirectory(atPath: remotes + "/acme", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: remotes + "/acme/ops.git", withDestinationPath: git.bare)
            var settings = Settings(webhookSecrets: ["hook-secret"], repositories: [Fixtures.repository("acme/ops")])
            settings.dashboardTokens = [OperatorToken(name: "alice", token: OperatorHarness.aliceToken)]
            settings.gitRemoteTemplate = remotes + "/{repository}.git"
            settings.dataDirectory = directory.path
            settings.scriptSharedDirectories = sharedDirectories
            settings.httpPort = 0
            var overrides = ServiceAssembly.Overrides()
            overrides.environment = [:]
            overrides.workerPool = WorkerPoolConfiguration(workers: 2, nodeName: "life", pollInterval: .milliseconds(50))
            overrides.liveInterval = .milliseconds(100)
            overrides.outputFlushInterval = .milliseconds(50)
            assembly = try await ServiceAssembly.assemble(settings, role: .serve, logger: quietLogger, overrides: overrides)
            for (path, content) in scripts.sorted(by: { $0.key < $1.key }) {
                let commit = try git.commit([path: content])
                _ = try await store.recordDelivery(
                    Fixtures.delivery("d-\(path)"), pipelines: [Fixtures.pipeline(path, commit: commit)])
            }
            assembly.workAvailable.signal()
        }
    }

    static func api(_ client: some TestClientProtocol, _ uri: String) async throws -> [String: Any] {
        try OperatorHarness.json(try await client.execute(uri: uri, method: .get, headers: OperatorHarness.bearer(OperatorHarness.aliceToken)))
    }

    @Test
    func aScriptExitingThreeIsAFailureInTheListTheAPIAndTheFilter() async throws {
        let service = try await Service(["jobs/exits.sh": "echo about to fail\nexit 3\n", "jobs/fine.sh": "echo fine\n"])
        try await service.assembly.application().test(.live) { client in
            try await eventually("both logs are committed", timeout: .seconds(60)) {
                let first = try await service.store.stage(PipelineID(1), .cleanup)?.state
                let second = try await service.store.stage(PipelineID(2), .cleanup)?.state
                return first == .succeeded && second == .succeeded
            }
            let failed = try await Self.api(client, "/api/v1/pipelines?state=failed")
            let listed = try #require((failed["pipelines"] as? [[String: Any]])?.first)
            #expect((failed["pipelines"] as? [[String: Any]])?.count == 1)
            #expect(listed["script"] as? String == "jobs/exits.sh")
            #expect(listed["status"] as? String == "failed")
            #expect(listed["outcome"] as? String == "exited-non-zero")
            #expect(listed["exit_status"] as? Int == 3)
            let stages = try #require(listed["stages"] as? [[String: Any]])
            #expect(stages.allSatisfy { $0["state"] as? String == "succeeded" }, "the stages did their part")
            let succeeded = try await Self.api(client, "/api/v1/pipelines?state=succeeded")
            #expect((succeeded["pipelines"] as? [[String: Any]])?.map { $0["script"] as? String } == ["jobs/fine.sh"])

            let browser = try await OperatorHarness.signIn(client)
            let page = String(buffer: try await client.execute(uri: "/?state=failed", method: .get, headers: browser.headers).body)
            #expect(page.contains("jobs/exits.sh") && page.contains("exit 3") && !page.contains("jobs/fine.sh"))
        }
        let shown = try await JobrunnerBinary.run(
            ["pipelines", "--status", "failed"], environment: ["JOBRUNNER_DATA_DIR": service.directory.path],
            directory: service.directory.path)
        #expect(shown.stdout.contains("failed\texited-non-zero (3)"), "\(shown.stdout)")
    }

    @Test
    func progressLinesShowAsABarWithRateAndTimeLeftInTheBrowserAndTheAPIAndTheLog() async throws {
        let script = """
            for i in 1 2 3 4 5 6; do echo "::progress $i/10 rows"; echo "batch $i"; sleep 1; done
            sleep 2
            echo "::progress 10/10 rows"

            """
        let service = try await Service(["jobs/backfill.sh": script])
        try await service.assembly.application().test(.live) { client in
            let site = "http://127.0.0.1:\(try #require(client.port))"
            try await eventually("EXECUTE runs", timeout: .seconds(60)) {
                try await service.store.stage(PipelineID(1), .execute)?.state == .running
            }
            // The API, while it runs.
            try await eventually("the API reports progress with a rate", timeout: .seconds(20)) {
                let detail = try await Self.api(client, "/api/v1/pipelines/1")
                guard let progress = (detail["executions"] as? [[String: Any]])?.last?["progress"] as? [String: Any] else { return false }
                return (progress["done"] as? Double ?? 0) >= 2 && progress["total"] as? Double == 10 && progress["unit"] as? String == "rows"
                    && (progress["rate_per_second"] as? Double ?? 0) > 0 && progress["seconds_left"] is Double
            }
            // The dashboard's bar, live.
            let browser = try await WebDriverSession.start()
            do {
                try await browser.open("\(site)/login?next=/pipelines/1")
                try await browser.type("#token", OperatorHarness.aliceToken)
                try await browser.click("#login button[type=submit]")
                try await eventually("the bar moves", timeout: .seconds(20)) {
                    let value = try await browser.property("#progress", "value") as? Double ?? 0
                    let max = try await browser.property("#progress", "max") as? Double ?? 0
                    let text = try await browser.text("#progress-text") ?? ""
                    return value >= 3 && max == 10 && text.contains("rows/s") && text.contains("left")
                }
                try DashboardBrowserTests.save(try await browser.screenshot(), as: "dashboard-3-progress.png")
            } catch {
                try? DashboardBrowserTests.save(try await browser.screenshot(), as: "dashboard-progress-failure.png")
                await browser.quit()
                throw error
            }
            await browser.quit()
            try await eventually("the log is committed", timeout: .seconds(60)) {
                try await service.store.stage(PipelineID(1), .cleanup)?.state == .succeeded
            }
        }
        let execution = try #require(try await service.store.executions(for: PipelineID(1)).last)
        #expect(execution.progress?.done == 10 && execution.progress?.total == 10)
        #expect(String(decoding: execution.stdout, as: UTF8.self).contains("::progress 10/10 rows"), "the line stays in the output")
        let files = try GitFixture.git(["ls-tree", "-r", "--name-only", "main"], in: service.git.bare).split(separator: "\n")
        let logPath = try #require(files.first { $0.hasPrefix("jobrunner-logs/") })
        let log = try GitFixture.git(["show", "main:\(logPath)"], in: service.git.bare)
        #expect(log.contains("progress: \"10/10 rows\""))
        #expect(log.contains("progress_rate_per_second: "))
    }
}
