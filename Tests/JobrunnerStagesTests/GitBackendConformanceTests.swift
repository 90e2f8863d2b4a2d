import Foundation
import JobrunnerCore
import JobrunnerGit
import JobrunnerGitHub
import JobrunnerTestSupport
import Testing

/// Both `GitBackend`s against the same real repository, held to the same contract: libgit2 on a
/// cached clone (file://), and the GitHub API backend against the stand-in that applies the Git
/// Data API to the bare repository. Everything is checked with git afterwards.
@Suite("Git backends: one contract")
struct GitBackendConformanceTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case libgit2, githubAPI
        var testDescription: String { rawValue }
    }

    /// A backend on `git`'s bare repository, and the stand-in behind it if any.
    struct Harness {
        var backend: any GitBackend
        var standIn: GitHubAPIStandIn?
        func stop() { standIn?.stop() }
    }

    static let repository = RepositoryName(rawValue: "acme/ops")!
    static let token = "ghs_conformance"

    static func harness(_ kind: Kind, _ git: GitFixture, race: String? = nil, clock: any JobClock = SystemClock()) async throws
        -> Harness
    {
        switch kind {
        case .libgit2:
            return Harness(
                backend: Libgit2Backend(remoteTemplate: "file://" + git.bare, cacheDirectory: try TemporaryDirectory("cache").path),
                standIn: nil)
        case .githubAPI:
            var configuration: [String: Any] = ["repositories": [repository.rawValue: git.bare], "tokens": [token]]
            if let race { configuration["race"] = race }
            let standIn = try await GitHubAPIStandIn.start(configuration, in: git.directory)
            let backend = GitHubAPIBackend(
                requester: GitHubRequester(baseURL: standIn.baseURL, clock: clock), credentials: StaticToken(token))
            return Harness(backend: backend, standIn: standIn)
        }
    }

    func request(_ source: String, pipeline: Int = 9, script: String = "jobs/a.sh") -> CleanupRequest {
        CleanupRequest(
            repository: Self.repository, branch: "main", scriptPath: script, sourceCommit: source,
            logPath: "jobrunner-logs/2026-11-22-a-p\(pipeline).md", logContent: "---\noutcome: succeeded\n---\n```\nout\n```\n",
            message: CleanupCommitMessage.make(scriptPath: script, outcome: "succeeded", pipeline: PipelineID(Int64(pipeline))),
            authorName: "jobrunner[bot]", authorEmail: "bot@acme.example")
    }

    func bare(_ git: GitFixture, _ arguments: [String]) throws -> String {
        try GitFixture.git(["--git-dir", git.bare] + arguments, in: git.directory.path)
    }

    @Test(arguments: Kind.allCases)
    func readsFilesWithTheirModeAndBlobIDAndScriptsWithTheirNeighbours(_ kind: Kind) async throws {
        let git = try GitFixture()
        let commit = try git.commit(
            ["jobs/a.ts": "import { x } from './lib/x';\n", "jobs/lib/x.ts": "export const x = 1;\n", "src/app.ts": "no\n"],
            symlinks: ["jobs/link.sh": "a.ts"])
        try GitFixture.git(["update-index", "--chmod=+x", "jobs/lib/x.ts"], in: git.work)
        try GitFixture.git(["commit", "--quiet", "-m", "executable"], in: git.work)
        try GitFixture.git(["push", "--quiet", "origin", "HEAD"], in: git.work)
        let second = try GitFixture.git(["rev-parse", "HEAD"], in: git.work).trimmingCharacters(in: .whitespacesAndNewlines)
        let harness = try await Self.harness(kind, git)
        defer { harness.stop() }
        let backend = harness.backend

        let file = try await backend.file(repository: Self.repository, commit: second, path: "jobs/lib/x.ts")
        #expect(file.mode == .executable)
        #expect(file.blobID == (try bare(git, ["rev-parse", "\(second):jobs/lib/x.ts"]).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(String(decoding: file.content, as: UTF8.self) == "export const x = 1;\n")
        let link = try await backend.file(repository: Self.repository, commit: commit, path: "jobs/link.sh")
        #expect(link.mode == .symlink)
        #expect(String(decoding: link.content, as: UTF8.self) == "a.ts")

        let script = try await backend.read(repository: Self.repository, commit: commit, path: "jobs/a.ts", scope: .jobsDirectory("jobs"))
        #expect(Set(script.files.keys) == ["jobs/a.ts", "jobs/lib/x.ts"], "the jobs directory, without links or other folders")
        #expect(script.blobID == (try bare(git, ["rev-parse", "\(commit):jobs/a.ts"]).trimmingCharacters(in: .whitespacesAndNewlines)))

        await #expect(throws: SourceReadError.symlink(path: "jobs/link.sh")) {
            _ = try await backend.read(repository: Self.repository, commit: commit, path: "jobs/link.sh", scope: .jobsDirectory("jobs"))
        }
        await #expect(throws: SourceReadError.fileNotFound(repository: "acme/ops", commit: commit, path: "jobs/none.sh")) {
            _ = try await backend.read(repository: Self.repository, commit: commit, path: "jobs/none.sh", scope: .jobsDirectory("jobs"))
        }
        let unknown = String(repeating: "ab", count: 20)
        await #expect(throws: SourceReadError.commitNotFound(repository: "acme/ops", commit: unknown)) {
            _ = try await backend.file(repository: Self.repository, commit: unknown, path: "jobs/a.ts")
        }
    }

    @Test(arguments: Kind.allCases)
    func theFilesOfTheJobsDirectoryAtTheBranchTipAreListed(_ kind: Kind) async throws {
        let git = try GitFixture()
        let first = try git.commit(["jobs/a.sh": "echo a\n", "jobs/lib/x.sh": "x\n", "README.md": "r\n"], symlinks: ["jobs/l.sh": "a.sh"])
        let tip = try git.commit(["jobs/b.py": "print(1)\n", "jobs/a.sh": nil])
        let harness = try await Self.harness(kind, git)
        defer { harness.stop() }
        let listed = try await harness.backend.filesAtTip(repository: Self.repository, branch: "main", directory: "jobs")
        #expect(listed.commit == tip && listed.commit != first)
        #expect(listed.paths == ["jobs/b.py"], "regular files directly in the directory, at the tip")
        #expect(listed.blobs["jobs/b.py"] == (try bare(git, ["rev-parse", "\(tip):jobs/b.py"]).trimmingCharacters(in: .whitespacesAndNewlines)))
        let none = try await harness.backend.filesAtTip(repository: Self.repository, branch: "main", directory: "scripts")
        #expect(none.paths.isEmpty)
    }

    @Test(arguments: Kind.allCases)
    func oneCommitRemovesTheScriptAndAddsTheLogAndARetryCommitsNothing(_ kind: Kind) async throws {
        let git = try GitFixture()
        let source = try git.commit(["jobs/a.sh": "echo a\n", "jobs/keep.sh": "echo keep\n"])
        let harness = try await Self.harness(kind, git)
        defer { harness.stop() }

        let result = try await harness.backend.commitCleanup(request(source))
        #expect(result.committed)
        #expect(result.script == .removed)
        #expect(try bare(git, ["rev-parse", "main"]).hasPrefix(result.commit))
        #expect(try bare(git, ["rev-list", "--count", "\(source)..main"]) == "1\n", "exactly one new commit")
        #expect(try bare(git, ["log", "-1", "--format=%P", "main"]).hasPrefix(source), "on the tip, not forced")
        let files = try bare(git, ["ls-tree", "-r", "--name-only", "main"]).split(separator: "\n")
        #expect(files == ["jobrunner-logs/2026-11-22-a-p9.md", "jobs/keep.sh"])
        #expect(try bare(git, ["show", "main:jobrunner-logs/2026-11-22-a-p9.md"]) == request(source).logContent)
        let message = try bare(git, ["log", "-1", "--format=%an <%ae>|%cn <%ce>%n%B", "main"])
        #expect(message.hasPrefix(
            "jobrunner[bot] <bot@acme.example>|jobrunner[bot] <bot@acme.example>\njobrunner: ran jobs/a.sh — succeeded (pipeline 9) [skip ci]"))
        #expect(BotCommitMarker.isBotCommit(message: message), "intake will ignore this push")

        let again = try await harness.backend.commitCleanup(request(source))
        #expect(!again.committed)
        #expect(again.commit == result.commit)
        #expect(try bare(git, ["rev-list", "--count", "\(source)..main"]) == "1\n")
    }

    @Test(arguments: Kind.allCases)
    func aLogForgedAheadAtThePathIsAConflictNotTheRunsLog(_ kind: Kind) async throws {
        let git = try GitFixture()
        // Merged before the run, at the predictable path: looks like a log, is not this run's.
        var forgedRequest = request("")
        forgedRequest.logContent = "---\npipeline: 9\nstarted_at: \"2026-11-22T10:00:00.000Z\"\nartifact_sha256: \"abc\"\n---\nall fine\n"
        let source = try git.commit(["jobs/a.sh": "echo a\n", "jobrunner-logs/2026-11-22-a-p9.md": forgedRequest.logContent])
        let harness = try await Self.harness(kind, git)
        defer { harness.stop() }
        var real = request(source)
        real.logContent = "---\npipeline: 9\nstarted_at: \"2026-11-22T10:00:03.123Z\"\nartifact_sha256: \"abc\"\n---\nthe real run\n"
        await #expect(throws: LogPathTaken.self) { try await harness.backend.commitCleanup(real) }
        #expect(try bare(git, ["rev-parse", "main"]).hasPrefix(source), "nothing committed")
        #expect(try bare(git, ["show", "main:jobs/a.sh"]) == "echo a\n", "the script is still there, the stage failed saying why")

        // The run's own log (same run, e.g. an operator action recorded since) is accepted as committed.
        let own = try git.commit(["jobrunner-logs/2026-11-22-a-p9.md": real.logContent + "operator note\n"])
        var retried = real
        retried.sourceCommit = own
        let again = try await harness.backend.commitCleanup(retried)
        #expect(!again.committed)
    }

    @Test(arguments: Kind.allCases)
    func aScriptThatChangedOrVanishedOnTheBranchIsNotDeleted(_ kind: Kind) async throws {
        let git = try GitFixture()
        let source = try git.commit(["jobs/a.sh": "echo a\n", "jobs/b.sh": "echo b\n"])
        try git.commit(["jobs/a.sh": "echo a, edited later\n", "jobs/b.sh": nil])
        let harness = try await Self.harness(kind, git)
        defer { harness.stop() }

        let changed = try await harness.backend.commitCleanup(request(source, pipeline: 1, script: "jobs/a.sh"))
        #expect(changed.script == .changedOnBranch)
        #expect(try bare(git, ["show", "main:jobs/a.sh"]) == "echo a, edited later\n", "the other version stays")
        #expect(try bare(git, ["show", "main:jobrunner-logs/2026-11-22-a-p1.md"]).contains("is not the version that ran"))
        let vanished = try await harness.backend.commitCleanup(request(source, pipeline: 2, script: "jobs/b.sh"))
        #expect(vanished.script == .vanished)
        #expect(try bare(git, ["show", "main:jobrunner-logs/2026-11-22-a-p2.md"]).contains("no longer on `main`"))
        #expect(try bare(git, ["ls-tree", "-r", "--name-only", "main"]).split(separator: "\n") == [
            "jobrunner-logs/2026-11-22-a-p1.md", "jobrunner-logs/2026-11-22-a-p2.md", "jobs/a.sh",
        ])
    }

    @Test(arguments: Kind.allCases)
    func concurrentCleanupsAndReadsOfOneRepositoryAllLandAndLeaveTheCacheSound(_ kind: Kind) async throws {
        let git = try GitFixture()
        let scripts = (1...4).map { "jobs/s\($0).sh" }
        let source = try git.commit(Dictionary(uniqueKeysWithValues: scripts.map { ($0, "echo \($0)\n") }))
        let harness = try await Self.harness(kind, git)
        defer { harness.stop() }
        let backend = harness.backend
        let results = try await withThrowingTaskGroup(of: CleanupResult?.self) { group in
            for (index, script) in scripts.enumerated() {
                let request = request(source, pipeline: index + 1, script: script)
                group.addTask { try await backend.commitCleanup(request) }
                group.addTask {
                    _ = try await backend.read(repository: Self.repository, commit: source, path: script, scope: .jobsDirectory("jobs"))
                    return nil
                }
            }
            return try await group.reduce(into: [CleanupResult]()) { if let result = $1 { $0.append(result) } }
        }
        #expect(results.count == 4 && results.allSatisfy { $0.committed && $0.script == .removed })
        #expect(try bare(git, ["rev-list", "--count", "\(source)..main"]) == "4\n", "one commit each, none lost")
        let files = try bare(git, ["ls-tree", "-r", "--name-only", "main"]).split(separator: "\n")
        #expect(files.map(String.init) == (1...4).map { "jobrunner-logs/2026-11-22-a-p\($0).md" })
        _ = try bare(git, ["fsck", "--strict"])
        if kind == .libgit2, let cache = (backend as? Libgit2Backend)?.reader.cacheDirectory {
            _ = try GitFixture.git(["--git-dir", cache + "/acme/ops.git", "fsck", "--strict"], in: git.directory.path)
        }
    }

    @Test
    func theAPIBackendRebuildsWhenTheRefUpdateIsNotAFastForward() async throws {
        let git = try GitFixture()
        let source = try git.commit(["jobs/a.sh": "echo a\n"])
        let other = try TemporaryDirectory("other")
        try GitFixture.git(["clone", "--quiet", git.bare, other.file("clone")], in: other.path)
        let race = """
            cd \(other.file("clone")) && echo late > late.txt && git add late.txt && \
            git -c user.name=Bob -c user.email=bob@acme.example commit --quiet -m 'a late commit' && git push --quiet origin HEAD:main
            """
        let harness = try await Self.harness(.githubAPI, git, race: race)
        defer { harness.stop() }

        let result = try await harness.backend.commitCleanup(request(source))
        #expect(result.committed)
        #expect(result.retries == 1, "refused once (422 not a fast forward), rebuilt on the new tip")
        #expect(try bare(git, ["rev-list", "--count", "\(source)..main"]) == "2\n", "the late commit and ours")
        #expect(try bare(git, ["log", "-1", "--format=%s", "main~1"]) == "a late commit\n")
        let files = try bare(git, ["ls-tree", "-r", "--name-only", "main"]).split(separator: "\n")
        #expect(files == ["jobrunner-logs/2026-11-22-a-p9.md", "late.txt"], "nothing of the late commit was lost")
        let updates = try await harness.standIn!.requests().filter { $0.method == "PATCH" }
        #expect(updates.count == 2)
        #expect(try updates.allSatisfy { try $0.json()["force"] as? Bool == false }, "never forced")
    }

    @Test
    func theAPIBackendIsIdempotentWhenTheRefUpdateAcknowledgementIsLost() async throws {
        let git = try GitFixture()
        let source = try git.commit(["jobs/a.sh": "echo a\n"])
        let clock = ElapsingClock()
        let harness = try await Self.harness(.githubAPI, git, clock: clock)
        defer { harness.stop() }
        // The branch moves, but every answer to the update is lost (502 after the work is done).
        try await harness.standIn!.inject([
            ["method": "PATCH", "path": "/repos/acme/ops/git/refs/heads/main", "status": 502, "times": 4, "apply": true]
        ])
        await #expect(throws: GitHubAPIError.self) { _ = try await harness.backend.commitCleanup(request(source)) }
        #expect(clock.sleeps == [.seconds(1), .seconds(4), .seconds(10)], "backed off between the tries")
        #expect(try bare(git, ["rev-list", "--count", "\(source)..main"]) == "1\n")

        // CLEANUP is retried: the log is on the branch, nothing is committed twice.
        let retried = try await harness.backend.commitCleanup(request(source))
        #expect(!retried.committed)
        #expect(try bare(git, ["rev-list", "--count", "\(source)..main"]) == "1\n")
        #expect(try bare(git, ["rev-parse", "main"]).hasPrefix(retried.commit))
    }
}
