import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport

/// Several `jobrunner` processes sharing one PostgreSQL database, as on several machines: each
/// has its own data directory (clone cache, work space); the repositories are local bare
/// repositories the git remote template points at. Scripts append `start`/`end` lines with
/// their repository and pipeline id to one journal, so a test sees what ran, how often, and
/// whether two runs of one repository overlapped.
final class ScaleOutCluster: Sendable {
    let directory: TemporaryDirectory
    let databaseURL: String
    let secret = "scale-out-secret"
    let repositories: [String]
    let fixtures: [GitFixture]
    let journal: String

    /// The script every job is: quick, but slow enough that runs would overlap if exclusion
    /// failed; a process started with `SCRIPT_PAUSE` runs it as slowly as that says.
    static let script = """
        echo "start $JOBRUNNER_REPOSITORY $JOBRUNNER_PIPELINE_ID" >> "$JOURNAL"
        sleep "${SCRIPT_PAUSE:-0.15}"
        echo "end $JOBRUNNER_REPOSITORY $JOBRUNNER_PIPELINE_ID" >> "$JOURNAL"

        """

    /// - Parameter server: a PostgreSQL server of the test's own (`TestPostgres.PrivateServer`);
    ///   default the shared one.
    init(repositories count: Int, server: String? = nil) async throws {
        directory = try TemporaryDirectory("scale-out")
        databaseURL = try await TestPostgres.freshDatabase(on: server)
        repositories = (0..<count).map { "acme/r\($0)" }
        fixtures = try (0..<count).map { _ in
            let fixture = try GitFixture()
            try fixture.commit(["README.md": "operations scripts\n"], message: "Start")
            return fixture
        }
        try FileManager.default.createDirectory(atPath: directory.file("remotes/acme"), withIntermediateDirectories: true)
        for (name, fixture) in zip(repositories, fixtures) {
            try FileManager.default.createSymbolicLink(
                atPath: directory.file("remotes/\(name).git"), withDestinationPath: fixture.bare)
        }
        // In a directory shared into the scripts' sandbox (JOBRUNNER_SCRIPT_SHARED_DIRS).
        try FileManager.default.createDirectory(atPath: directory.file("shared"), withIntermediateDirectories: true)
        journal = directory.file("shared/journal")
        FileManager.default.createFile(atPath: journal, contents: nil)
    }

    /// Starts `jobrunner serve` or `jobrunner worker` with `workers` workers.
    func start(
        _ command: String, name: String, workers: Int, port: Int = 0, scriptPause: String? = nil
    ) throws -> JobrunnerBinary.Started {
        let data = directory.file("node-\(name)")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        return try JobrunnerBinary.start(
            [command],
            environment: [
                "JOBRUNNER_DATABASE_URL": databaseURL, "JOBRUNNER_DATA_DIR": data,
                "JOBRUNNER_WEBHOOK_SECRET": secret, "JOBRUNNER_REPOSITORIES": repositories.joined(separator: ","),
                "JOBRUNNER_GIT_REMOTE": directory.file("remotes") + "/{repository}.git",
                "JOBRUNNER_WORKERS": "\(workers)", "JOBRUNNER_HTTP_PORT": "\(port)",
                "JOBRUNNER_LEASE_DURATION": "3s", "JOBRUNNER_SHUTDOWN_GRACE_PERIOD": "5s",
                "JOBRUNNER_SCRIPT_ENV": "JOURNAL,SCRIPT_PAUSE", "JOURNAL": journal,
                "JOBRUNNER_SCRIPT_SHARED_DIRS": directory.file("shared"), "JOBRUNNER_LOG_LEVEL": ProcessInfo.processInfo.environment["SCALEOUT_LOG_LEVEL"] ?? "warning",
            ].merging(scriptPause.map { ["SCRIPT_PAUSE": $0] } ?? [:]) { $1 },
            directory: data)
    }

    /// Commits `commits` commits of `scriptsPerCommit` new scripts to every repository and
    /// returns one push payload per repository.
    func commitScripts(commits: Int, scriptsPerCommit: Int, round: Int = 0) throws -> [(repository: String, body: Data)] {
        var pushes: [(String, Data)] = []
        for (name, fixture) in zip(repositories, fixtures) {
            // CLEANUP has pushed logs since: build on the branch as it is now.
            try GitFixture.git(["fetch", "--quiet", "origin"], in: fixture.work)
            try GitFixture.git(["reset", "--quiet", "--hard", "origin/main"], in: fixture.work)
            let before = try GitFixture.git(["rev-parse", "HEAD"], in: fixture.work).trimmingCharacters(in: .whitespacesAndNewlines)
            var entries: [[String: Any]] = []
            for commit in 0..<commits {
                let paths = (0..<scriptsPerCommit).map { String(format: "jobs/r%d-c%02d-s%02d.sh", round, commit, $0) }
                let sha = try Self.commitRacingCleanup(
                    fixture, Dictionary(uniqueKeysWithValues: paths.map { ($0, Self.script as String?) }),
                    message: "Add scripts \(round)-\(commit) (#\(commit + 1))")
                entries.append([
                    "id": sha, "message": "Add scripts \(round)-\(commit) (#\(commit + 1))",
                    "author": ["name": "Alice", "username": "alice"],
                    "added": paths, "removed": [String](), "modified": [String](),
                ])
            }
            let head = entries.last!
            pushes.append((
                name,
                try JSONSerialization.data(withJSONObject: [
                    "ref": "refs/heads/main", "before": before, "after": head["id"]!, "created": false, "deleted": false,
                    "forced": false, "commits": entries, "head_commit": head,
                    "repository": ["full_name": name, "default_branch": "main"],
                    "pusher": ["name": "alice"], "sender": ["login": "alice"],
                ])
            ))
        }
        return pushes
    }

    /// Commits and pushes while CLEANUP pushes logs to the same branch: a rejected push is
    /// rebased onto the branch and pushed again, as a person would.
    static func commitRacingCleanup(_ fixture: GitFixture, _ files: [String: String?], message: String) throws -> String {
        do {
            return try fixture.commit(files, message: message)
        } catch {
            for attempt in 1...10 {
                do {
                    try GitFixture.git(["pull", "--quiet", "--rebase", "origin", "main"], in: fixture.work)
                    try GitFixture.git(["push", "--quiet", "origin", "HEAD"], in: fixture.work)
                    break
                } catch where attempt < 10 {
                    continue
                }
            }
            return try GitFixture.git(["rev-parse", "HEAD"], in: fixture.work).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// The journal's lines as (event, repository, pipeline).
    func journalEntries() throws -> [(event: String, repository: String, pipeline: Int64)] {
        try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, let id = Int64(parts[2]) else { return nil }
            return (String(parts[0]), String(parts[1]), id)
        }
    }

    /// Waits until nothing is queued or running any more.
    func waitUntilAtRest(_ store: any PipelineStore, expecting count: Int, timeout: Duration) async throws {
        do {
            try await eventually("all \(count) pipelines at rest", timeout: timeout) {
                let summaries = try await store.pipelines(PipelineFilter(limit: 1000))
                guard summaries.count == count else { return false }
                try await Task.sleep(for: .milliseconds(200))
                return summaries.allSatisfy { $0.stages.allSatisfy { $0.state != .queued && $0.state != .running } }
            }
        } catch {
            // Say what is still moving, so a failure here can be diagnosed from the log alone.
            let summaries = (try? await store.pipelines(PipelineFilter(limit: 1000))) ?? []
            progress("\(summaries.count) of \(count) pipelines recorded; not at rest:")
            for summary in summaries where !summary.status.isAtRest {
                let stages = summary.stages.map {
                    "\($0.kind)=\($0.state) attempt \($0.attempt)/\($0.maxAttempts) runAfter \($0.runAfter.formatted(.iso8601)) lease \($0.leaseOwner ?? "-") \($0.leaseExpiresAt.map { $0.formatted(.iso8601) } ?? "-") \($0.lastError ?? "")"
                }
                progress("  pipeline \(summary.pipeline.id) \(summary.pipeline.source.scriptPath): \(stages.joined(separator: "; "))")
            }
            throw error
        }
    }
}
