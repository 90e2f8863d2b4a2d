import Foundation
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
import JobrunnerGit
import JobrunnerServer
import JobrunnerStages
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Logging
import ServiceLifecycle
import Testing

/// The dashboard in a real browser: headless Chromium signs in, opens a pipeline whose PROCESS
/// failed (its repository was unreachable), retries it, and watches it succeed and its log get
/// committed — against the real HTTP server, workers, libgit2 and a real bare repository.
@Suite("Dashboard in a browser", .serialized)
struct DashboardBrowserTests {
    /// Screenshots land here so a CI run can keep them.
    static let artifacts = DeploymentFilesTests.root.appendingPathComponent(".build/test-artifacts")

    @Test
    func anOperatorRetriesAFailedProcessAndWatchesTheLogGetCommitted() async throws {
        let directory = try TemporaryDirectory("browser")
        let git = try GitFixture()
        let commit = try git.commit(["jobs/hello.sh": "echo 'hello from the browser test'\n"], message: "Add hello (#7)")
        // The remote the service reads from does not exist yet: PROCESS fails.
        let remotes = directory.file("remotes")
        let remote = remotes + "/acme/ops.git"

        let store = try SQLitePipelineStore(
            path: directory.file("jobrunner.sqlite"), retryPolicy: RetryPolicy(maxAttempts: [.process: 1]))
        var settings = Settings(webhookSecrets: ["hook-secret"], repositories: [Fixtures.repository("acme/ops")])
        settings.dashboardTokens = [OperatorToken(name: "alice", token: OperatorHarness.aliceToken)]
        settings.gitRemoteTemplate = remotes + "/{repository}.git"
        settings.dataDirectory = directory.path
        settings.httpPort = 0
        // Wired as `jobrunner serve` wires it; only the store's retry policy and the intervals are the test's.
        var overrides = ServiceAssembly.Overrides()
        overrides.store = store
        overrides.environment = [:]
        overrides.workerPool = WorkerPoolConfiguration(workers: 2, nodeName: "browser-test", pollInterval: .milliseconds(50))
        overrides.liveInterval = .milliseconds(100)
        overrides.outputFlushInterval = .milliseconds(50)
        let assembly = try await ServiceAssembly.assemble(settings, role: .serve, logger: quietLogger, overrides: overrides)
        let workAvailable = assembly.workAvailable

        var pipeline = NewPipeline(
            repository: Fixtures.repository("acme/ops"), branch: "main", scriptPath: "jobs/hello.sh", commit: commit,
            pusher: "carol", pullRequest: 7, author: "carol")
        pipeline.blob = nil
        let id = try await store.recordDelivery(Fixtures.delivery("browser-1"), pipelines: [pipeline]).pipelines[0].id
        workAvailable.signal()

        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        try await assembly.application().test(.live) { client in
            let port = try #require(client.port)
            let site = "http://127.0.0.1:\(port)"
            try await eventually("PROCESS failed: the repository is unreachable") {
                try await store.stage(id, .process)?.state == .failed
            }

            let browser = try await WebDriverSession.start()
            do {
                // Signing in leads back to the page asked for.
                try await browser.open("\(site)/pipelines/\(id.rawValue)")
                #expect(try await browser.currentURL.contains("/login?next="))
                try await browser.type("#token", OperatorHarness.aliceToken)
                try await browser.click("#login button[type=submit]")
                try await eventually("the pipeline page after signing in") {
                    try await browser.currentURL == "\(site)/pipelines/\(id.rawValue)"
                }
                #expect(try await browser.text("#status") == "failed")
                #expect(try await browser.text("#stage-process .result")?.isEmpty == false, "the error is shown")
                try Self.save(try await browser.screenshot(), as: "dashboard-1-process-failed.png")

                // The repository is back; the operator retries PROCESS from the page.
                try FileManager.default.createDirectory(atPath: remotes + "/acme", withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: git.bare, toPath: remote)
                try await browser.type("#retry-process input[name=reason]", "GitHub is back")
                try await browser.click("#retry-process button[type=submit]")
                try await eventually("the notice of the retry") {
                    try await browser.text("#notice")?.contains("PROCESS was queued again") == true
                }

                // Live updates reload the page when the pipeline rests; reload anyway if they lag.
                try await eventually("the pipeline succeeded in the browser", timeout: .seconds(60)) {
                    if try await browser.text("#status") == "succeeded" { return true }
                    try await Task.sleep(for: .milliseconds(500))
                    if try await browser.text("#status") != "succeeded" {
                        try await browser.open("\(site)/pipelines/\(id.rawValue)")
                    }
                    return try await browser.text("#status") == "succeeded"
                }
                #expect(try await browser.text("#stdout") == "hello from the browser test")
                #expect(try await browser.text("#log")?.contains("(committed)") == true)
                #expect(try await browser.text(".actions-log")?.contains("alice retried PROCESS") == true)
                try Self.save(try await browser.screenshot(), as: "dashboard-2-succeeded.png")

                // The list shows it too.
                try await browser.open(site + "/?state=succeeded")
                #expect(try await browser.text("tr.pipeline[data-id=\"\(id.rawValue)\"] .script")?.contains("jobs/hello.sh") == true)
            } catch {
                print("browser test failed at \((try? await browser.currentURL) ?? "?"): \(error)")
                try? Self.save(try await browser.screenshot(), as: "dashboard-failure.png")
                await browser.quit()
                throw error
            }
            await browser.quit()
        }

        // The repository is the audit record: script gone, log committed with the operator's retry.
        let files = try GitFixture.git(["ls-tree", "-r", "--name-only", "main"], in: remote).split(separator: "\n")
        #expect(!files.contains("jobs/hello.sh"))
        let logPath = try #require(files.first { $0.hasPrefix("jobrunner-logs/") })
        let log = try GitFixture.git(["show", "main:\(logPath)"], in: remote)
        #expect(log.contains("hello from the browser test"))
        #expect(log.contains("alice"))
        #expect(log.contains("GitHub is back"))
    }

    static func save(_ png: Data, as name: String) throws {
        let url = artifacts.appendingPathComponent(name)
        try png.write(to: url)
        print("screenshot: \(url.path)")
    }
}
