import Foundation
import JobrunnerTestSupport
import Testing

/// Every example in examples/ builds and runs through `jobrunner run` — exactly what PROCESS and
/// EXECUTE would do — so the examples the README points to keep working.
@Suite("Example scripts")
struct ExampleScriptsTests {
    static let examples = DeploymentFilesTests.root.appendingPathComponent("examples").path

    @Test(arguments: [
        ("backfill-display-names.ts", "backfill done: 2 users to update (dry run)"),
        ("rotate-webhook-urls.mjs", "rotate done: 2 URLs rewritten"),
        ("archive-old-exports.sh", "archive done: 1 exports older than 30 days"),
        ("recount-orders.py", "recount done: 1 customers drifted (dry run)"),
        ("checksum-report.swift", "checksum done: 3 records"),
    ])
    func runsAsProductionWouldRunIt(file: String, marker: String) async throws {
        let directory = try TemporaryDirectory("examples")
        let result = try await JobrunnerBinary.run(
            ["run", Self.examples + "/" + file], environment: ["JOBRUNNER_DATA_DIR": directory.file("data")],
            directory: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect((result.stdout + result.stderr).contains(marker))
        #expect(result.stdout.contains("outcome: succeeded"), "the log CLEANUP would commit")
    }

    @Test
    func everyExampleIsCoveredAndNoneLivesInJobs() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.examples)
            .filter { !$0.hasSuffix(".md") && $0 != "lib" }.sorted()
        #expect(files == [
            "archive-old-exports.sh", "backfill-display-names.ts", "checksum-report.swift", "recount-orders.py",
            "rotate-webhook-urls.mjs",
        ])
        let jobs = try FileManager.default.contentsOfDirectory(
            atPath: DeploymentFilesTests.root.appendingPathComponent("jobs").path)
        #expect(jobs == ["README.md"], "anything merged into jobs/ runs in production")
    }
}
