import Foundation
import JobrunnerCore
import JobrunnerGit
import JobrunnerStages
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Logging
import Testing

/// PROCESS and EXECUTE through the worker pool, reading scripts from a real git repository.
@Suite("PROCESS and EXECUTE stages")
struct ProcessExecuteStageTests {
    struct Setup {
        let directory: TemporaryDirectory
        let store: SQLitePipelineStore
        let git: GitFixture
        let handlers: StageHandlers
    }

    func setup(executeTimeout: Duration = .seconds(60), grace: Duration = .seconds(30)) throws -> Setup {
        let directory = try TemporaryDirectory("stages")
        let store = try sqliteStore(directory)
        let git = try GitFixture()
        let bare = git.bare
        let handlers = StageHandlers([
            .process: BuildStageHandler(
                store: store, reader: GitRepositoryReader { _ in bare },
                builder: ScriptBuilder(scratchDirectory: directory.path), scopes: .test),
            .execute: ExecuteStageHandler(
                store: store,
                executor: ScriptExecutor(
                    scratchDirectory: directory.path, defaultTimeout: executeTimeout, gracePeriod: .milliseconds(200)),
                flushInterval: .milliseconds(20)),
            .cleanup: CleanupStageHandler(
                store: store,
                committer: Libgit2LogCommitter(remoteTemplate: "file://" + bare, cacheDirectory: directory.file("repos")),
                logsDirectory: "jobrunner-logs", masker: SecretMasker(values: [])),
        ])
        return Setup(directory: directory, store: store, git: git, handlers: handlers)
    }

    func record(_ setup: Setup, path: String, commit: String) async throws -> PipelineID {
        try await setup.store.recordDelivery(
            Fixtures.delivery(UUID().uuidString), pipelines: [Fixtures.pipeline(path, commit: commit)]
        ).pipelines[0].id
    }

    func pool(_ setup: Setup, grace: Duration = .seconds(30)) -> WorkerPool {
        WorkerPool(
            store: setup.store, handlers: setup.handlers, configuration: poolConfiguration(workers: 2, grace: grace),
            logger: quietLogger)
    }

    @Test
    func aCommittedTypeScriptScriptIsBuiltWithItsImportsAndRunOnce() async throws {
        let setup = try setup()
        let commit = try setup.git.commit([
            "jobs/backfill.ts": "import { total } from './lib/sum';\nconsole.log(`total=${total([1, 2, 3])}`);\nconsole.error('to stderr');\n",
            "jobs/lib/sum.ts": "export const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);\n",
            "README.md": "ops\n",
        ])
        let id = try await record(setup, path: "jobs/backfill.ts", commit: commit)
        let running = RunningPool.start(pool(setup))
        try await eventually("EXECUTE finished") { try await setup.store.stage(id, .execute)?.state == .succeeded }

        let artifact = try #require(try await setup.store.artifact(for: id))
        #expect(artifact.toolchain == "esbuild")
        #expect(String(decoding: artifact.content, as: UTF8.self).contains("reduce"), "the import is bundled")
        let executions = try await setup.store.executions(for: id)
        try #require(executions.count == 1)
        #expect(executions[0].outcome == .succeeded)
        #expect(executions[0].exitCode == 0)
        #expect(String(decoding: executions[0].stdout, as: UTF8.self) == "total=6\n")
        #expect(String(decoding: executions[0].stderr, as: UTF8.self) == "to stderr\n")
        #expect(executions[0].finishedAt != nil)
        let detail = try #require(try await setup.store.pipeline(id))
        #expect(detail.summary.stage(.process)?.summary?.contains("esbuild") == true)
        #expect(detail.summary.stage(.execute)?.summary?.hasPrefix("exit 0") == true)
        try await eventually("CLEANUP committed") { try await setup.store.status(id) == .succeeded }
        try await running.shutdown()
    }

    @Test
    func theWholeChainLeavesExactlyOneCommitWithTheLogAndWithoutTheScript() async throws {
        let setup = try setup()
        let commit = try setup.git.commit([
            "jobs/chain.sh": "echo 'rows updated: 42'\necho 'one warning' >&2\nexit 2\n", "README.md": "ops\n",
        ])
        let id = try await record(setup, path: "jobs/chain.sh", commit: commit)
        let running = RunningPool.start(pool(setup))
        try await eventually("the pipeline finished") { try await setup.store.stage(id, .cleanup)?.state == .succeeded }
        try await running.shutdown()
        let summary = try #require(try await setup.store.pipeline(id)).summary
        #expect(summary.status == .failed && summary.outcome == .exitedNonZero, "the script failed, and the pipeline says so")

        let bare = setup.git.bare
        func git(_ arguments: [String]) throws -> String {
            try GitFixture.git(["--git-dir", bare] + arguments, in: setup.directory.path)
        }
        #expect(try git(["rev-list", "--count", "\(commit)..main"]) == "1\n", "exactly one new commit")
        let files = try git(["ls-tree", "-r", "--name-only", "main"]).split(separator: "\n").map(String.init)
        #expect(!files.contains("jobs/chain.sh"), "the script is gone")
        let pipeline = try #require(try await setup.store.pipeline(id)).summary.pipeline
        let logPath = ExecutionLogPath.path(for: pipeline, logsDirectory: "jobrunner-logs")
        #expect(files == ["README.md", logPath])
        let log = try git(["show", "main:\(logPath)"])
        #expect(log.contains("exit_status: 2"))
        #expect(log.contains("outcome: failed"))
        #expect(log.contains("rows updated: 42"), "stdout is in the log")
        #expect(log.contains("one warning"), "stderr is in the log")
        #expect(log.contains("pipeline: \(id.rawValue)"))
        #expect(try await setup.store.stage(id, .cleanup)?.summary?.contains("script removed") == true)
    }

    @Test
    func aFailingScriptIsAScriptFailureAndTheStageStillSucceeds() async throws {
        let setup = try setup()
        let commit = try setup.git.commit(["jobs/fails.py": "import sys\nprint('partial work')\nsys.exit(5)\n"])
        let id = try await record(setup, path: "jobs/fails.py", commit: commit)
        let running = RunningPool.start(pool(setup))
        try await eventually("the pipeline finished") { try await setup.store.stage(id, .cleanup)?.state == .succeeded }
        try await running.shutdown()
        #expect(try await setup.store.status(id) == .failed)
        let execution = try #require(try await setup.store.executions(for: id).first)
        #expect(execution.outcome == .failed)
        #expect(execution.exitCode == 5)
        #expect(try await setup.store.stage(id, .execute)?.summary?.contains("script failure") == true)
        #expect(try await setup.store.stage(id, .cleanup)?.state == .succeeded, "CLEANUP still ran and committed the log")
    }

    @Test
    func aSyntaxErrorFailsPROCESSPermanentlyWithTheCompilersMessage() async throws {
        let setup = try setup()
        let commit = try setup.git.commit(["jobs/broken.ts": "const x: number = ;\n"])
        let id = try await record(setup, path: "jobs/broken.ts", commit: commit)
        let running = RunningPool.start(pool(setup))
        try await eventually("PROCESS failed") { try await setup.store.stage(id, .process)?.state == .failed }
        try await running.shutdown()
        let detail = try #require(try await setup.store.pipeline(id))
        #expect(detail.attempts.map(\.outcome) == [.failed], "not retried")
        let error = try #require(detail.summary.stage(.process)?.lastError)
        #expect(error.contains("Unexpected \";\""))
        #expect(error.contains("jobs/broken.ts:1"))
        #expect(detail.summary.stage(.execute) == nil)
    }

    @Test
    func symlinksAndMissingFilesAreRefused() async throws {
        let setup = try setup()
        let commit = try setup.git.commit(["jobs/real.sh": "echo real\n"], symlinks: ["jobs/link.sh": "real.sh"])
        let link = try await record(setup, path: "jobs/link.sh", commit: commit)
        let missing = try await record(setup, path: "jobs/missing.sh", commit: commit)
        let running = RunningPool.start(pool(setup))
        try await eventually("both failed") {
            let first = try await setup.store.stage(link, .process)?.state
            let second = try await setup.store.stage(missing, .process)?.state
            return first == .failed && second == .failed
        }
        try await running.shutdown()
        #expect(try await setup.store.stage(link, .process)?.lastError?.contains("symbolic link") == true)
        #expect(try await setup.store.stage(missing, .process)?.lastError?.contains("does not exist") == true)
    }

    @Test
    func outputIsInTheStoreWhileTheScriptStillRunsAndAStoppedRunIsInterrupted() async throws {
        let setup = try setup()
        let commit = try setup.git.commit(["jobs/slow.sh": "echo 'step 1 done'\nsleep 30\necho 'never'\n"])
        let id = try await record(setup, path: "jobs/slow.sh", commit: commit)
        let running = RunningPool.start(pool(setup, grace: .milliseconds(200)))
        try await eventually("partial output is visible") {
            let execution = try await setup.store.executions(for: id).first
            return execution?.outcome == .running && execution.map { String(decoding: $0.stdout, as: UTF8.self) } == "step 1 done\n"
        }
        #expect(try await setup.store.stage(id, .execute)?.state == .running)
        try await running.shutdown()
        let execution = try #require(try await setup.store.executions(for: id).first)
        #expect(execution.outcome == .cancelled)
        #expect(String(decoding: execution.stdout, as: UTF8.self) == "step 1 done\n")
        #expect(try await setup.store.stage(id, .execute)?.state == .interrupted, "never re-run by itself")
    }

    @Test
    func anOperatorsCancelKillsTheRunningScriptAndCleanupCommitsItsLog() async throws {
        let setup = try setup()
        let commit = try setup.git.commit([
            "jobs/long.sh": "echo \"pid $$\"\nsleep 60 &\necho \"child $!\"\nwait\necho 'never'\n"
        ])
        let id = try await record(setup, path: "jobs/long.sh", commit: commit)
        var configuration = poolConfiguration(workers: 2)
        configuration.cancelCheckInterval = .milliseconds(50)
        let running = RunningPool.start(
            WorkerPool(store: setup.store, handlers: setup.handlers, configuration: configuration, logger: quietLogger))
        let pids = Locked<[Int32]>([])
        try await eventually("the script and its child are running") {
            let output = try await setup.store.executions(for: id).first.map { String(decoding: $0.stdout, as: UTF8.self) }
            pids.withLock {
                $0 = (output ?? "").split(separator: "\n").compactMap { Int32($0.split(separator: " ").last ?? "") }
            }
            return pids.value.count == 2
        }
        // Asked through the store, as the dashboard or API on any node would.
        #expect(try await setup.store.cancel(pipeline: id, operatorName: "alice", reason: "wrong table") == .stopRequested)
        try await eventually("the log of the stopped run is committed") { try await setup.store.stage(id, .cleanup)?.state == .succeeded }
        try await running.shutdown()

        for pid in pids.value { #expect(!processIsRunning(pid), "process \(pid) was killed") }
        #expect(try await setup.store.stage(id, .execute)?.state == .cancelled)
        let execution = try #require(try await setup.store.executions(for: id).first)
        #expect(execution.outcome == .cancelled)
        #expect(!String(decoding: execution.stdout, as: UTF8.self).contains("never"))
        let files = try GitFixture.git(["ls-tree", "-r", "--name-only", "main"], in: setup.git.bare)
            .split(separator: "\n").map(String.init)
        #expect(!files.contains("jobs/long.sh"))
        let logPath = try #require(files.first { $0.hasPrefix("jobrunner-logs/") })
        let log = try GitFixture.git(["show", "main:" + logPath], in: setup.git.bare)
        #expect(log.contains("outcome: cancelled"))
        #expect(log.contains("alice"))
        #expect(log.contains("wrong table"))
    }
}
