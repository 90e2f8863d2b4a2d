import Foundation
import JobrunnerCore
import JobrunnerGit
import JobrunnerStages
import JobrunnerStore
import JobrunnerTestSupport
import Testing

/// CLEANUP against real repositories: what lands on the branch, checked with git.
@Suite("CLEANUP commits")
struct CleanupTests {
    let repository = RepositoryName(rawValue: "acme/ops")!

    func request(_ source: String, pipeline: Int = 9, script: String = "jobs/a.sh") -> CleanupRequest {
        CleanupRequest(
            repository: repository, branch: "main", scriptPath: script, sourceCommit: source,
            logPath: "jobrunner-logs/2026-11-22-a-p\(pipeline).md", logContent: "---\noutcome: succeeded\n---\n",
            message: CleanupCommitMessage.make(scriptPath: script, outcome: "succeeded", pipeline: PipelineID(Int64(pipeline))),
            authorName: "jobrunner[bot]", authorEmail: "bot@acme.example")
    }

    func bare(_ git: GitFixture, _ arguments: [String]) throws -> String {
        try GitFixture.git(["--git-dir", git.bare] + arguments, in: git.directory.path)
    }

    @Test
    func oneCommitRemovesTheScriptAndAddsTheLogAndARetryCommitsNothing() async throws {
        let git = try GitFixture()
        let source = try git.commit(["jobs/a.sh": "echo a\n", "jobs/keep.sh": "echo keep\n"])
        let committer = Libgit2LogCommitter(remoteTemplate: "file://" + git.bare, cacheDirectory: try TemporaryDirectory("c").path)
        let result = try await committer.commitCleanup(request(source))
        #expect(result.committed)
        #expect(result.script == .removed)
        #expect(try bare(git, ["rev-parse", "main"]).hasPrefix(result.commit))
        #expect(try bare(git, ["rev-list", "--count", "\(source)..main"]) == "1\n", "exactly one new commit")
        let files = try bare(git, ["ls-tree", "-r", "--name-only", "main"]).split(separator: "\n")
        #expect(files == ["jobrunner-logs/2026-11-22-a-p9.md", "jobs/keep.sh"])
        #expect(try bare(git, ["show", "main:jobrunner-logs/2026-11-22-a-p9.md"]) == "---\noutcome: succeeded\n---\n")
        let message = try bare(git, ["log", "-1", "--format=%an <%ae>%n%B", "main"])
        #expect(message.hasPrefix("jobrunner[bot] <bot@acme.example>\njobrunner: ran jobs/a.sh — succeeded (pipeline 9) [skip ci]"))
        #expect(BotCommitMarker.isBotCommit(message: message), "intake will ignore this push")
        #expect(!CleanupCommitMessage.make(scriptPath: "jobs/a.sh", outcome: "failed", pipeline: PipelineID(3), skipCI: false)
            .contains("[skip ci]"))

        // The acknowledgement was lost and CLEANUP runs again: nothing new.
        let again = try await committer.commitCleanup(request(source))
        #expect(!again.committed)
        #expect(again.commit == result.commit)
        #expect(try bare(git, ["rev-list", "--count", "\(source)..main"]) == "1\n")
    }

    @Test
    func aScriptThatChangedOrVanishedOnTheBranchIsNotDeleted() async throws {
        let git = try GitFixture()
        let source = try git.commit(["jobs/a.sh": "echo a\n", "jobs/b.sh": "echo b\n"])
        try git.commit(["jobs/a.sh": "echo a, edited later\n", "jobs/b.sh": nil])
        let committer = Libgit2LogCommitter(remoteTemplate: "file://" + git.bare, cacheDirectory: try TemporaryDirectory("c").path)
        let changed = try await committer.commitCleanup(request(source, pipeline: 1, script: "jobs/a.sh"))
        #expect(changed.script == .changedOnBranch)
        #expect(try bare(git, ["show", "main:jobs/a.sh"]) == "echo a, edited later\n", "the other version stays")
        #expect(try bare(git, ["show", "main:jobrunner-logs/2026-11-22-a-p1.md"]).contains("is not the version that ran"))
        let vanished = try await committer.commitCleanup(request(source, pipeline: 2, script: "jobs/b.sh"))
        #expect(vanished.script == .vanished)
        #expect(try bare(git, ["show", "main:jobrunner-logs/2026-11-22-a-p2.md"]).contains("no longer on `main`"))
    }

    @Test
    func overAuthenticatedHTTPAPushRaceIsRebuiltOnTheNewTip() async throws {
        let git = try GitFixture()
        let source = try git.commit(["jobs/a.sh": "echo a\n"])
        try GitFixture.git(["--git-dir", git.bare, "config", "receive.denyNonFastForwards", "true"], in: git.directory.path)
        try GitFixture.git(["--git-dir", git.bare, "config", "http.receivepack", "true"], in: git.directory.path)
        // Another person's commit, pushed the moment our push arrives.
        let other = try TemporaryDirectory("other")
        try GitFixture.git(["clone", "--quiet", git.bare, other.file("clone")], in: other.path)
        let race = """
            cd \(other.file("clone")) && echo late > late.txt && git add late.txt && \
            git -c user.name=Bob -c user.email=bob@acme.example commit --quiet -m 'a late commit' && git push --quiet origin HEAD:main
            """
        let root = try TemporaryDirectory("http-root")
        try FileManager.default.createDirectory(atPath: root.file("acme"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root.file("acme/ops.git"), withDestinationPath: git.bare)
        let host = try await GitHTTPHost.start(root: root.path, token: "good", race: race)
        defer { host.stop() }

        let committer = Libgit2LogCommitter(
            remoteTemplate: "http://127.0.0.1:\(host.port)/{repository}.git", cacheDirectory: try TemporaryDirectory("c").path,
            credentials: StaticToken("good"))
        let result = try await committer.commitCleanup(request(source))
        #expect(result.committed)
        #expect(result.retries == 1, "rejected once, rebuilt on the new tip")
        #expect(try bare(git, ["rev-list", "--count", "\(source)..main"]) == "2\n", "the late commit and ours")
        #expect(try bare(git, ["log", "-1", "--format=%P", "main"]).trimmingCharacters(in: .whitespacesAndNewlines)
            == bare(git, ["rev-parse", "main~1"]).trimmingCharacters(in: .whitespacesAndNewlines))
        let files = try bare(git, ["ls-tree", "-r", "--name-only", "main"]).split(separator: "\n")
        #expect(files == ["jobrunner-logs/2026-11-22-a-p9.md", "late.txt"], "nothing of the late commit was lost")
    }
}
