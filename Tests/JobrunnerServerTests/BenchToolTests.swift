import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStorePostgres
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// The benchmark tool measures what it says: every stage of every pipeline really went through
/// a claim and a completion, every spawn ran the probe script, every push landed a log commit.
/// (The figures themselves belong to `bench/run`, not to tests.)
@Suite("Benchmark tool")
struct BenchToolTests {
    func bench(_ arguments: [String], in directory: TemporaryDirectory) async throws -> [String: Any] {
        let result = try await onDedicatedThread {
            try runToCompletion([BuiltProduct.path("jobrunner-bench")] + arguments, in: directory.path)
        }
        #expect(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
        let line = try #require(String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test
    func theQueueBenchmarkTakesEveryStageThroughAClaimAndACompletionOnSQLite() async throws {
        let directory = try TemporaryDirectory("bench-queue")
        let path = directory.file("queue.sqlite")
        let result = try await bench(
            ["queue", "--database", path, "--pipelines", "30", "--repositories", "4", "--workers", "3"], in: directory)
        #expect(result["transitions"] as? Int == 30 * 3 * 2)
        let store = try SQLitePipelineStore(path: path)
        let pipelines = try await store.pipelines(PipelineFilter(limit: 100))
        #expect(pipelines.count == 30)
        #expect(pipelines.allSatisfy { $0.status == .succeeded })
    }

    @Test(.enabled(if: TestPostgres.url != nil))
    func theQueueBenchmarkTakesEveryStageThroughAClaimAndACompletionOnPostgreSQL() async throws {
        let directory = try TemporaryDirectory("bench-queue")
        let url = try await TestPostgres.freshDatabase()
        let result = try await bench(
            ["queue", "--database", url, "--pipelines", "30", "--repositories", "4", "--workers", "4"], in: directory)
        #expect(result["transitions"] as? Int == 30 * 3 * 2)
        let store = try await PostgresPipelineStore.connect(url: url)
        defer { store.close() }
        let pipelines = try await store.pipelines(PipelineFilter(limit: 100))
        #expect(pipelines.count == 30)
        #expect(pipelines.allSatisfy { $0.status == .succeeded })
    }

    @Test
    func spawnAndPushAloneRunTheProbeAndLandEveryLogCommit() async throws {
        let directory = try TemporaryDirectory("bench-parts")
        let spawn = try await bench(["spawn", "--count", "5", "--directory", directory.path], in: directory)
        let toStart = try #require(spawn["to_script_start"] as? [String: Any])
        let toExit = try #require(spawn["to_exit"] as? [String: Any])
        #expect(toStart["count"] as? Int == 5)
        let startP50 = try #require(toStart["p50"] as? Double)
        #expect(startP50 > 0 && startP50 <= (toExit["p50"] as? Double ?? 0))

        let push = try await bench(["push", "--count", "3", "--directory", directory.path], in: directory)
        #expect(push["count"] as? Int == 3)
        let remote = directory.file("push-bench/remote.git")
        let logs = try GitFixture.git(["ls-tree", "--name-only", "main", "jobrunner-logs/"], in: remote)
        #expect(logs.split(separator: "\n").count == 3)
        let scripts = try GitFixture.git(["ls-tree", "--name-only", "main", "jobs/"], in: remote)
        #expect(scripts.isEmpty, "every pushed commit removed its script")
    }

    /// `bench/run --only history` at a small size: each database really holds the pipelines it
    /// says, in the mix it says (their stored status agreeing with the status derived from their
    /// stages), and every request and delivery was answered and measured.
    @Test
    func theHistoryBenchmarkFillsTheDatabasesAndMeasuresEveryRequest() async throws {
        let directory = try TemporaryDirectory("bench-history")
        var arguments = [
            "python3", DeploymentFilesTests.root.appendingPathComponent("bench/harness/history.py").path,
            "--jobrunner", BuiltProduct.path("jobrunner"), "--work", directory.path, "--pipelines", "400", "--rounds", "2",
            "--deliveries", "5",
        ]
        if let url = TestPostgres.url { arguments += ["--postgres-url", url] }
        let finalArguments = arguments
        let result = try await onDedicatedThread { try runToCompletion(finalArguments, in: directory.path) }
        #expect(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self).suffix(3000))")
        let line = try #require(String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").last)
        let drivers = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String: Any]])
        #expect(Set(drivers.keys) == (TestPostgres.url == nil ? ["sqlite"] : ["sqlite", "postgres"]))
        for (driver, measured) in drivers {
            #expect(measured["pipelines"] as? Int == 400, "\(driver)")
            let requests = try #require(measured["requests"] as? [String: [String: Any]])
            #expect(requests.count == 20 && requests.values.allSatisfy { $0["count"] as? Int == 2 }, "\(driver)")
            let status = try #require(measured["status_counts"] as? [String: Int], "\(driver)")
            // 400 pipelines: 4 live at the end (every 4th running), then by number: 2% failed, 1% cancelled, …
            #expect(status["running"] == 1 && status["queued"] == 3, "\(driver): \(status)")
            #expect(status["failed"] == 8 && status["cancelled"] == 4 && status["discarded"] == 4 && status["superseded"] == 4, "\(driver): \(status)")
            #expect(status.values.reduce(0, +) == 400 && status["succeeded"] == 400 - 4 - 8 - 4 - 4 - 4, "\(driver): \(status)")
            let intake = try #require(measured["intake"] as? [String: Any])
            // Three rounds of 5, each durable before its answer; the median round's rate.
            #expect(intake["deliveries"] as? Int == 15 && (intake["round_rates"] as? [Double])?.count == 3, "\(driver): \(intake)")
        }
    }
}
