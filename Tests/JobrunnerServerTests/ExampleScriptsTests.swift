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

    /// A copy of an application example as a checkout (a git repository), as an engineer has it.
    static func checkout(_ example: String) throws -> (directory: TemporaryDirectory, root: String) {
        let directory = try TemporaryDirectory("app-example")
        let root = directory.file("app")
        try FileManager.default.copyItem(atPath: examples + "/app-context/" + example, toPath: root)
        try "node_modules/\n.venv/\n".write(toFile: root + "/.gitignore", atomically: true, encoding: .utf8)
        for arguments in [["init", "--quiet"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@x", "commit", "--quiet", "-m", "app"]] {
            try GitFixture.git(arguments, in: root)
        }
        return (directory, root)
    }

    @Test
    func theApplicationContextExamplesRunWithTheApplicationsModulesAndPackages() async throws {
        // node: the driver the application installed, written here (no registry).
        let node = try Self.checkout("node")
        let driver = node.root + "/node_modules/pg"
        try FileManager.default.createDirectory(atPath: driver, withIntermediateDirectories: true)
        try #"{ "name": "pg", "type": "module", "exports": "./index.js" }"#.write(
            toFile: driver + "/package.json", atomically: true, encoding: .utf8)
        try """
            class Client {
              async connect() {}
              async query() { return { rows: [{ id: 1, email: " Ada@Example.COM " }, { id: 2, email: "bob@example.com" }] }; }
              async end() {}
            }
            export default { Client };

            """.write(toFile: driver + "/index.js", atomically: true, encoding: .utf8)
        let ts = try await JobrunnerBinary.run(["run", "jobs/2026-11-normalize-emails.ts"], directory: node.root)
        #expect(ts.status == 0, "\(ts.stderr)")
        #expect(ts.stdout.contains("normalize done: 1 of 2 emails (dry run)"), "\(ts.stdout)")

        // python: the driver in the application's virtualenv.
        let python = try Self.checkout("python")
        let venv = python.root + "/.venv"
        let made = try runToCompletion(["python3", "-m", "venv", "--without-pip", venv], in: python.root)
        #expect(made.status == 0, "\(String(decoding: made.stderr, as: UTF8.self))")
        let library = try #require(try FileManager.default.contentsOfDirectory(atPath: venv + "/lib").first { $0.hasPrefix("python") })
        try """
            class _Result:
                def __init__(self, rows):
                    self.rows = rows
                def fetchall(self):
                    return self.rows
            class _Connection:
                def __enter__(self):
                    return self
                def __exit__(self, *exc):
                    return False
                def execute(self, sql, params=None):
                    return _Result([(1, 10, [{"quantity": 2, "unit_price": 5}]), (2, 99, [{"quantity": 1, "unit_price": 7}])])
            def connect(url):
                return _Connection()

            """.write(toFile: venv + "/lib/" + library + "/site-packages/psycopg.py", atomically: true, encoding: .utf8)
        let py = try await JobrunnerBinary.run(["run", "jobs/2026-11-recount-totals.py"], directory: python.root)
        #expect(py.status == 0, "\(py.stderr)")
        #expect(py.stdout.contains("recount done: 1 of 2 orders drifted (dry run)"), "\(py.stdout)")
    }

    @Test
    func everyExampleIsCoveredAndNoneLivesInJobs() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.examples)
            .filter { !$0.hasSuffix(".md") && $0 != "lib" }.sorted()
        #expect(files == [
            "app-context", "archive-old-exports.sh", "backfill-display-names.ts", "checksum-report.swift", "recount-orders.py",
            "rotate-webhook-urls.mjs",
        ])
        let jobs = try FileManager.default.contentsOfDirectory(
            atPath: DeploymentFilesTests.root.appendingPathComponent("jobs").path)
        #expect(jobs == ["README.md"], "anything merged into jobs/ runs in production")
    }
}
