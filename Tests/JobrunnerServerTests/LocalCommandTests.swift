import Foundation
import JobrunnerCore
import JobrunnerStages
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Logging
import Testing

/// `jobrunner transpile`, `run` and `check` as engineers use them.
@Suite("Local commands")
struct LocalCommandTests {
    @Test(arguments: ["jobs/report.ts", "jobs/tool.swift", "jobs/fix.py"])
    func transpileIsByteIdenticalToThePROCESSArtifact(path: String) async throws {
        let sources = [
            "jobs/report.ts": "import { label } from './lib/label';\nconsole.log(label('x'));\n",
            "jobs/tool.swift": "print(\"tool\")\n",
            "jobs/fix.py": "print('fix')\n",
        ]
        let git = try GitFixture()
        let commit = try git.commit([
            path: sources[path]!, "jobs/lib/label.ts": "export const label = (s: string): string => `[${s}]`;\n",
        ])
        // PROCESS, exactly as the worker runs it.
        let directory = try TemporaryDirectory("transpile")
        let store = try SQLitePipelineStore(path: directory.file("jobrunner.sqlite"))
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline(path, commit: commit)])
            .pipelines[0].id
        let claimed = try #require(try await store.claimNext(owner: "w", kinds: [.process], leaseDuration: .seconds(600)))
        let bare = git.bare
        _ = try await BuildStageHandler(
            store: store, reader: GitRepositoryReader { _ in bare }, builder: ScriptBuilder(scratchDirectory: directory.path),
            scopes: .test
        ).run(claimed, logger: quietLogger)
        let artifact = try #require(try await store.artifact(for: id))

        // transpile, from the engineer's clone.
        let output = directory.file("artifact")
        let result = try await JobrunnerBinary.run(["transpile", path, "-o", output], directory: git.work)
        #expect(result.status == 0, "\(result.stderr)")
        let transpiled = try #require(FileManager.default.contents(atPath: output))
        #expect([UInt8](transpiled) == artifact.content)
        #expect(result.stderr.contains(artifact.digest))
    }

    @Test
    func runStreamsOutputPrintsTheLogAndExitsWithTheScriptsStatus() async throws {
        let directory = try TemporaryDirectory("run")
        try FileManager.default.createDirectory(atPath: directory.file("jobs"), withIntermediateDirectories: true)
        try "echo \"key=$API_KEY\"\necho problem >&2\nexit 3\n".write(toFile: directory.file("jobs/x.sh"), atomically: true, encoding: .utf8)
        let result = try await JobrunnerBinary.run(
            ["run", "jobs/x.sh"],
            environment: ["API_KEY": "hunter2-secret", "JOBRUNNER_SCRIPT_ENV": "API_KEY", "JOBRUNNER_SECRETS": "API_KEY"],
            directory: directory.path)
        #expect(result.status == 3)
        #expect(result.stdout.hasPrefix("key=***\n"), "streamed live, masked")
        #expect(result.stdout.contains("exit_status: 3"))
        #expect(result.stdout.contains("## stderr"))
        #expect(!result.stdout.contains("hunter2-secret") && !result.stderr.contains("hunter2-secret"))

        let dry = try await JobrunnerBinary.run(["run", "--dry-run", "jobs/x.sh"], directory: directory.path)
        #expect(dry.status == 0)
        #expect(!dry.stdout.contains("key="))
    }

    @Test
    func checkGuardsScriptPullRequests() async throws {
        let git = try GitFixture()
        try git.commit(["README.md": "ops\n"])
        try GitFixture.git(["checkout", "--quiet", "-b", "only-script"], in: git.work)
        try git.commit(["jobs/ok.sh": "echo ok\n", "jobs/lib/helper.sh": "true\n"])
        let clean = try await JobrunnerBinary.run(["check", "--base", "main"], directory: git.work)
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("✓ jobs/ok.sh"))

        try GitFixture.git(["checkout", "--quiet", "-b", "mixed", "main"], in: git.work)
        try git.commit(["jobs/mixed.sh": "echo mixed\n", "src/app.ts": "export {}\n"])
        let mixed = try await JobrunnerBinary.run(["check", "--base", "main"], directory: git.work)
        #expect(mixed.status == 1)
        #expect(mixed.stdout.contains("mixes scripts with other files"))
        #expect(mixed.stdout.contains("src/app.ts"))

        try GitFixture.git(["checkout", "--quiet", "-b", "broken", "main"], in: git.work)
        try git.commit(["jobs/broken.py": "def (:\n"])
        let broken = try await JobrunnerBinary.run(["check", "--base", "main"], directory: git.work)
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("✗ jobs/broken.py"))
        #expect(broken.stdout.contains("SyntaxError"))
    }
}
