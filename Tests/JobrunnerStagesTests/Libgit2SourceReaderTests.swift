import Foundation
import JobrunnerCore
import JobrunnerGit
import JobrunnerStages
import JobrunnerTestSupport
import Testing

/// libgit2 reading scripts from a real bare repository: in place when it is on a local path,
/// through a cached clone when it is served (the HTTP suite below).
@Suite("libgit2 source reader")
struct Libgit2SourceReaderTests {
    let repository = RepositoryName(rawValue: "acme/ops")!

    func reader(_ git: GitFixture, cache: TemporaryDirectory) -> Libgit2SourceReader {
        Libgit2SourceReader(remoteTemplate: "file://" + git.bare, cacheDirectory: cache.file("repos"))
    }

    @Test
    func readsTheWholeTreeWithoutTheLogsAndRefusesATreeOverTheLimit() async throws {
        let git = try GitFixture()
        let cache = try TemporaryDirectory("cache")
        let commit = try git.commit([
            "jobs/a.ts": "import { db } from '../src/db';\n", "src/db.ts": "export const db = 1;\n",
            "jobrunner-logs/2026-01-01-old-p1.md": String(repeating: "log ", count: 1000),
        ])
        let reader = reader(git, cache: cache)
        let tree = try await reader.read(
            repository: repository, commit: commit, path: "jobs/a.ts", scope: .repository(excluding: ["jobrunner-logs"], limit: 1 << 20))
        #expect(Set(tree.files.keys) == ["jobs/a.ts", "src/db.ts"])
        await #expect(throws: SourceReadError.treeTooLarge(repository: "acme/ops", commit: commit, limit: 40)) {
            _ = try await reader.read(
                repository: repository, commit: commit, path: "jobs/a.ts", scope: .repository(excluding: [], limit: 40))
        }
        #expect(SourceReadError.treeTooLarge(repository: "acme/ops", commit: commit, limit: 64 << 20).description
            .contains("JOBRUNNER_REPOSITORY_TREE_LIMIT"))
        // The deploy gate's question, answered from the history.
        let later = try git.commit(["jobs/b.sh": "echo b\n"])
        #expect(try await reader.contains(repository: repository, revision: later, commit: commit))
        #expect(try await reader.contains(repository: repository, revision: commit, commit: commit))
        #expect(try await !reader.contains(repository: repository, revision: commit, commit: later))
    }

    @Test
    func readsTheScriptAndItsDirectoryAtTheCommitInPlaceFromALocalPath() async throws {
        let git = try GitFixture()
        let cache = try TemporaryDirectory("cache")
        let first = try git.commit([
            "jobs/a.ts": "import { x } from './lib/x';\nconsole.log(x);\n", "jobs/lib/x.ts": "export const x = 1;\n",
            "src/other.ts": "not in jobs\n",
        ])
        let reader = reader(git, cache: cache)
        let source = try await reader.read(repository: repository, commit: first, path: "jobs/a.ts", scope: .jobsDirectory("jobs"))
        #expect(source.path == "jobs/a.ts")
        #expect(Set(source.files.keys) == ["jobs/a.ts", "jobs/lib/x.ts"])
        #expect(String(decoding: source.content, as: UTF8.self).hasPrefix("import { x }"))
        #expect(!FileManager.default.fileExists(atPath: cache.file("repos/acme/ops.git")), "read in place, no clone")

        // A commit pushed later is there at once; the old one still reads as it was.
        let second = try git.commit(["jobs/a.ts": "console.log('v2');\n"])
        let newer = try await reader.read(repository: repository, commit: second, path: "jobs/a.ts", scope: .jobsDirectory("jobs"))
        #expect(String(decoding: newer.content, as: UTF8.self) == "console.log('v2');\n")
        let older = try await reader.read(repository: repository, commit: first, path: "jobs/a.ts", scope: .jobsDirectory("jobs"))
        #expect(older == source)

        // Both readers agree byte for byte.
        let bare = git.bare
        let viaGit = try await GitRepositoryReader { _ in bare }.read(
            repository: repository, commit: first, path: "jobs/a.ts", scope: .jobsDirectory("jobs"))
        #expect(viaGit == source)
    }

    @Test
    func refusesWhatIsNotARegularFileAndReportsMissingCommits() async throws {
        let git = try GitFixture()
        let cache = try TemporaryDirectory("cache")
        let commit = try git.commit(["jobs/real.sh": "echo hi\n"], symlinks: ["jobs/link.sh": "real.sh"])
        let reader = reader(git, cache: cache)
        await #expect(throws: SourceReadError.symlink(path: "jobs/link.sh")) {
            _ = try await reader.read(repository: repository, commit: commit, path: "jobs/link.sh", scope: .jobsDirectory("jobs"))
        }
        await #expect(throws: SourceReadError.fileNotFound(repository: "acme/ops", commit: commit, path: "jobs/none.sh")) {
            _ = try await reader.read(repository: repository, commit: commit, path: "jobs/none.sh", scope: .jobsDirectory("jobs"))
        }
        let unknown = String(repeating: "ab", count: 20)
        await #expect {
            _ = try await reader.read(repository: repository, commit: unknown, path: "jobs/real.sh", scope: .jobsDirectory("jobs"))
        } throws: { error in
            (error as? SourceReadError) == .commitNotFound(repository: "acme/ops", commit: unknown)
                && (error as? SourceReadError)?.failureKind == .transient
        }
    }

    @Test
    func anUnreachableRemoteIsATypedTransientError() async throws {
        let cache = try TemporaryDirectory("cache")
        let reader = Libgit2SourceReader(remoteTemplate: "file:///nonexistent/{repository}.git", cacheDirectory: cache.path)
        await #expect {
            _ = try await reader.read(
                repository: repository, commit: String(repeating: "1", count: 40), path: "jobs/a.sh", scope: .jobsDirectory("jobs"))
        } throws: { error in
            guard let git = error as? GitError else { return false }
            return git.repository == "acme/ops" && git.operation.contains("fetching") && !git.message.isEmpty
                && git.failureKind == .transient
        }
    }

    @Test
    func concurrentReadsOfOneRepositoryShareTheCacheSafely() async throws {
        let git = try GitFixture()
        let cache = try TemporaryDirectory("cache")
        var commits: [String] = []
        for index in 0..<4 { commits.append(try git.commit(["jobs/s\(index).sh": "echo \(index)\n"])) }
        let reader = reader(git, cache: cache)
        let repository = repository
        let frozen = commits
        try await withThrowingTaskGroup(of: Void.self) { group in
            for round in 0..<3 {
                for (index, commit) in frozen.enumerated() {
                    group.addTask {
                        let source = try await reader.read(
                            repository: repository, commit: commit, path: "jobs/s\(index).sh", scope: .jobsDirectory("jobs"))
                        #expect(String(decoding: source.content, as: UTF8.self) == "echo \(index)\n", "round \(round)")
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// libgit2 fetching over authenticated smart HTTP from a real `git http-backend`.
@Suite("libgit2 over authenticated HTTP")
struct Libgit2HTTPTests {
    @Test
    func fetchesWithTheTokenAndIsRefusedWithoutIt() async throws {
        let git = try GitFixture()
        let commit = try git.commit(["jobs/over-http.sh": "echo served\n"])
        let root = try TemporaryDirectory("http-root")
        try FileManager.default.createDirectory(atPath: root.file("acme"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root.file("acme/ops.git"), withDestinationPath: git.bare)
        let host = try await GitHTTPHost.start(root: root.path, token: "t0ken-good")
        defer { host.stop() }
        let repository = RepositoryName(rawValue: "acme/ops")!
        let template = "http://127.0.0.1:\(host.port)/{repository}.git"

        let cache = try TemporaryDirectory("c1")
        let good = Libgit2SourceReader(remoteTemplate: template, cacheDirectory: cache.path, credentials: StaticToken("t0ken-good"))
        let source = try await good.read(repository: repository, commit: commit, path: "jobs/over-http.sh", scope: .jobsDirectory("jobs"))
        #expect(String(decoding: source.content, as: UTF8.self) == "echo served\n")
        #expect(FileManager.default.fileExists(atPath: cache.file("acme/ops.git/HEAD")), "a cached bare clone")

        // A commit pushed after the cache was made is fetched; the old one still reads as it was.
        let second = try git.commit(["jobs/over-http.sh": "echo v2\n"])
        let newer = try await good.read(repository: repository, commit: second, path: "jobs/over-http.sh", scope: .jobsDirectory("jobs"))
        #expect(String(decoding: newer.content, as: UTF8.self) == "echo v2\n")
        let older = try await good.read(repository: repository, commit: commit, path: "jobs/over-http.sh", scope: .jobsDirectory("jobs"))
        #expect(older == source)

        for token in ["t0ken-wrong", nil] as [String?] {
            let reader = Libgit2SourceReader(remoteTemplate: template, cacheDirectory: try TemporaryDirectory("c2").path, credentials: token.map { StaticToken($0) })
            await #expect {
                _ = try await reader.read(repository: repository, commit: commit, path: "jobs/over-http.sh", scope: .jobsDirectory("jobs"))
            } throws: { error in
                guard let git = error as? GitError else { return false }
                return git.operation.contains("fetching") && git.repository == "acme/ops"
            }
        }
    }
}
