import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Dry runs before merge, through `jobrunner serve`: real-shaped `pull_request` and
/// `pull_request_review` deliveries, the GitHub stand-in answering the pull request, its reviews
/// and its files from a real repository, real git, real subprocesses.
@Suite("Dry runs of pull requests, end to end")
struct DryRunEndToEndTests {
    static let secret = "dry-run-webhook-secret"
    static let token = "dry-run-operator-token-0123"
    static let ops = RepositoryName(rawValue: "acme/ops")!

    /// A repository acme/ops with a base commit on main, read in place; the settings files.
    struct World {
        let git: GitFixture
        let base: String
        let directory: TemporaryDirectory
        let github: GitHubAPIStandIn
        let remote: String

        init(pulls: [String: Any] = [:]) async throws {
            git = try GitFixture()
            base = try git.commit(["README.md": "ops\n"], message: "start")
            directory = try TemporaryDirectory("dry-run-e2e")
            github = try await GitHubAPIStandIn.start(
                ["repositories": ["acme/ops": git.bare], "tokens": ["ghs_dry"], "pulls": ["acme/ops": pulls]], in: directory)
            let remotes = directory.file("remotes")
            try FileManager.default.createDirectory(atPath: remotes + "/acme", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: remotes + "/acme/ops.git", withDestinationPath: git.bare)
            remote = remotes + "/{repository}.git"
            try "DATABASE_URL=postgres://rw-user@db.internal/app\nREAL_ONLY=from-the-real-file\n"
                .write(toFile: directory.file("real.env"), atomically: true, encoding: .utf8)
            try "DATABASE_URL=postgres://readonly@replica.internal/app\nDB_PASSWORD=dry-pa55word-123\n"
                .write(toFile: directory.file("dry.env"), atomically: true, encoding: .utf8)
        }

        /// `jobrunner serve` with dry runs on; `extra` adds or replaces settings.
        func serve(_ extra: [String: String] = [:]) throws -> (process: Process, port: Int) {
            let port = TestPorts.free()
            let environment = [
                "JOBRUNNER_WEBHOOK_SECRET": DryRunEndToEndTests.secret, "JOBRUNNER_REPOSITORIES": "acme/ops",
                "JOBRUNNER_HTTP_PORT": "\(port)", "JOBRUNNER_WORKERS": "2", "JOBRUNNER_GIT_REMOTE": remote,
                "JOBRUNNER_GITHUB_API_URL": github.baseURL, "JOBRUNNER_GITHUB_TOKEN": "ghs_dry",
                "JOBRUNNER_DASHBOARD_TOKEN": "ops:\(DryRunEndToEndTests.token)", "JOBRUNNER_LOG_LEVEL": "warning",
                "JOBRUNNER_PUBLIC_URL": "https://jobrunner.example", "JOBRUNNER_COMMENT_EDIT_INTERVAL": "1s",
                "JOBRUNNER_DRY_RUN": "true", "JOBRUNNER_DRY_RUN_ENV": "DRY_TOKEN", "JOBRUNNER_DRY_RUN_ENV_FILE": directory.file("dry.env"),
                "JOBRUNNER_SCRIPT_ENV": "REAL_TOKEN", "JOBRUNNER_SCRIPT_ENV_FILE": directory.file("real.env"),
                "REAL_TOKEN": "real-token-value", "DRY_TOKEN": "dry-token-value",
            ].merging(extra) { $1 }
            let process = try JobrunnerBinary.start(["serve"], environment: environment, directory: directory.path).process
            return (process, port)
        }

        /// Commits `files` on `branch` (made from main's base when new), returns the commit.
        func commit(on branch: String, _ files: [String: String?], message: String = "change") throws -> String {
            let exists = (try? GitFixture.git(["rev-parse", "--verify", "--quiet", branch], in: git.work)) != nil
            try GitFixture.git(exists ? ["checkout", "--quiet", branch] : ["checkout", "--quiet", "-b", branch, base], in: git.work)
            defer { _ = try? GitFixture.git(["checkout", "--quiet", "main"], in: git.work) }
            return try git.commit(files, message: message)
        }

        var store: SQLitePipelineStore {
            get throws { try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite")) }
        }
    }

    /// A pull request as GitHub's REST API answers it.
    static func pull(_ number: Int, head: String, base: String, from repository: String = "acme/ops", state: String = "open")
        -> [String: Any]
    {
        [
            "number": number, "title": "Migrate #\(number)", "html_url": "https://github.example/acme/ops/pull/\(number)",
            "state": state, "user": ["login": "alice"], "merged_at": NSNull(), "merge_commit_sha": NSNull(),
            "head": ["ref": "feature-\(number)", "sha": head, "repo": ["full_name": repository]],
            "base": ["ref": "main", "sha": base, "repo": ["full_name": "acme/ops"]],
        ]
    }

    static func review(_ id: Int, by login: String, on commit: String, association: String, state: String = "APPROVED") -> [String: Any] {
        ["id": id, "user": ["login": login], "state": state, "commit_id": commit, "author_association": association]
    }

    /// A `pull_request` (or, with `review`, a `pull_request_review`) delivery as GitHub sends it.
    static func event(
        _ action: String, number: Int, head: String, base: String, from repository: String = "acme/ops", state: String = "open",
        review: [String: Any]? = nil
    ) throws -> Data {
        var payload: [String: Any] = [
            "action": action, "number": number,
            "pull_request": pull(number, head: head, base: base, from: repository, state: state),
            "repository": ["full_name": "acme/ops", "default_branch": "main"], "sender": ["login": "alice"],
        ]
        if let review { payload["review"] = review }
        return try JSONSerialization.data(withJSONObject: payload)
    }

    static func deliver(_ body: Data, event: String, port: Int, delivery: String) async throws -> HTTPURLResponse {
        try #require(try await JobrunnerBinary.webhook(body, event: event, port: port, secret: secret, delivery: delivery))
    }

    static func statuses(_ github: GitHubAPIStandIn, _ commit: String) async throws -> [[String: Any]] {
        try await github.requests().filter { $0.method == "POST" && $0.path == "/repos/acme/ops/statuses/\(commit)" }
            .map { try $0.json() }.filter { $0["context"] as? String == "jobrunner/dry-run" }
    }

    static func comment(_ github: GitHubAPIStandIn, on number: Int) async throws -> String? {
        try await github.comments().values.filter { $0.issue == number }.map(\.body).first
    }

    static let script = """
        #!/bin/sh
        echo "dry=$JOBRUNNER_DRY_RUN id=${JOBRUNNER_DRY_RUN_ID:-none} db=$DATABASE_URL"
        echo "real-token=${REAL_TOKEN:-absent} real-file=${REAL_ONLY:-absent} dry-token=${DRY_TOKEN:-absent}"
        echo "password=$DB_PASSWORD"
        echo "::progress 5/10 rows"
        echo "would rename 5 rows" >&2

        """

    @Test
    func anApprovedPullRequestIsDryRunOncePerHeadWithTheDryRunEnvironmentOnly() async throws {
        let world = try await World()
        let head = try world.commit(on: "feature-7", ["jobs/migrate.sh": Self.script], message: "Add migrate")
        try await world.github.updatePulls(["acme/ops": [
            "pulls": ["7": Self.pull(7, head: head, base: world.base)], "reviews": ["7": [[String: Any]]()],
            "commits": ["7": [["sha": head, "author": ["login": "alice"], "committer": ["login": "alice"]]]],
        ]])
        let (process, port) = try world.serve()
        defer { kill(process.processIdentifier, SIGTERM) }
        let store = try world.store
        let mainBefore = try GitFixture.git(["--git-dir", world.git.bare, "rev-parse", "main"], in: world.git.work)

        // Opened without approval: nothing runs; the pull request is told what it waits for.
        let opened = try await Self.deliver(
            try Self.event("opened", number: 7, head: head, base: world.base), event: "pull_request", port: port, delivery: "pr-1")
        #expect(opened.statusCode == 202)
        try await eventually("the pull request is looked at", timeout: .seconds(60)) {
            try await store.dryRunPullRequest(repository: Self.ops, number: 7)?.status?.contains("waiting for 1 more") == true
        }
        try await eventually("the status says it waits") {
            try await Self.statuses(world.github, head).last?["state"] as? String == "pending"
        }
        #expect(try await store.dryRuns(DryRunFilter()).isEmpty)

        // An approval by someone without write access does not count.
        try await world.github.updatePulls(["acme/ops": [
            "reviews": ["7": [Self.review(1, by: "carol", on: head, association: "CONTRIBUTOR")]],
        ]])
        let reviewsBefore = try await world.github.requests().filter { $0.path == "/repos/acme/ops/pulls/7/reviews" }.count
        _ = try await Self.deliver(
            try Self.event("submitted", number: 7, head: head, base: world.base, review: Self.review(1, by: "carol", on: head, association: "CONTRIBUTOR")),
            event: "pull_request_review", port: port, delivery: "pr-2")
        try await eventually("carol's review is read") {
            let reviews = try await world.github.requests().filter { $0.path == "/repos/acme/ops/pulls/7/reviews" }.count
            let pull = try await store.dryRunPullRequest(repository: Self.ops, number: 7)
            return reviews > reviewsBefore && pull?.evaluateAt == nil
        }
        #expect(try await store.dryRuns(DryRunFilter()).isEmpty, "a contributor's approval is not enough")

        // A member approves: the dry run runs, with the dry-run environment only.
        let approvals = [Self.review(1, by: "carol", on: head, association: "CONTRIBUTOR"), Self.review(2, by: "bob", on: head, association: "MEMBER")]
        try await world.github.updatePulls(["acme/ops": ["reviews": ["7": approvals]]])
        _ = try await Self.deliver(
            try Self.event("submitted", number: 7, head: head, base: world.base, review: approvals[1]),
            event: "pull_request_review", port: port, delivery: "pr-3")
        try await eventually("the dry run finished", timeout: .seconds(90)) {
            try await store.dryRuns(DryRunFilter()).first?.state == .finished
        }
        let run = try #require(try await store.dryRuns(DryRunFilter()).first)
        #expect(run.succeeded && run.headCommit == head && run.scriptPath == "jobs/migrate.sh" && run.approvers == ["bob"])
        #expect(run.stdout.contains("dry=1 id=\(run.id) db=postgres://readonly@replica.internal/app"), "\(run.stdout)")
        #expect(run.stdout.contains("real-token=absent real-file=absent dry-token=dry-token-value"), "the real environment never reaches a dry run")
        #expect(run.stdout.contains("password=***") && !run.stdout.contains("dry-pa55word-123"), "the dry-run file's secrets are masked")
        #expect(run.stderr.contains("would rename 5 rows"))
        #expect(run.progress?.done == 5 && run.progress?.total == 10)

        // The answer on the pull request: the status and the one comment.
        try await eventually("the status says it succeeded") {
            try await Self.statuses(world.github, head).last?["state"] as? String == "success"
        }
        try await eventually("the comment shows the result") {
            try await Self.comment(world.github, on: 7)?.contains("succeeded") == true
        }
        let comment = try #require(try await Self.comment(world.github, on: 7))
        #expect(comment.contains("`jobs/migrate.sh`") && comment.contains("5/10 rows") && comment.contains("would rename 5 rows"))
        #expect(comment.contains("https://jobrunner.example/dry-runs/\(run.id)"))
        #expect(!comment.contains("dry-pa55word-123"))
        #expect(try await world.github.comments().values.filter { $0.issue == 7 }.count == 1)

        // A dry run is not a pipeline: nothing committed, nothing executed.
        #expect(try await store.pipelines(PipelineFilter(limit: 10)).isEmpty)
        #expect(try GitFixture.git(["--git-dir", world.git.bare, "rev-parse", "main"], in: world.git.work) == mainBefore)

        // A redelivery, and a new delivery about the same head, run nothing again.
        let again = try await Self.deliver(
            try Self.event("submitted", number: 7, head: head, base: world.base, review: approvals[1]),
            event: "pull_request_review", port: port, delivery: "pr-3")
        #expect(again.statusCode == 202 && again.value(forHTTPHeaderField: "X-Jobrunner-Outcome") == "redelivery")
        _ = try await Self.deliver(
            try Self.event("edited", number: 7, head: head, base: world.base), event: "pull_request", port: port, delivery: "pr-4")
        try await eventually("the edit is looked at") {
            try await store.dryRunPullRequest(repository: Self.ops, number: 7)?.evaluateAt == nil
        }
        #expect(try await store.dryRuns(DryRunFilter()).count == 1, "at most once per head and script")

        // A new push to the pull request: the result is outdated; the stale approval runs nothing.
        let second = try world.commit(on: "feature-7", ["jobs/migrate.sh": Self.script + "echo second version\n"], message: "v2")
        try await world.github.updatePulls(["acme/ops": [
            "pulls": ["7": Self.pull(7, head: second, base: world.base)],
            "commits": ["7": [
                ["sha": head, "author": ["login": "alice"], "committer": ["login": "alice"]],
                ["sha": second, "author": ["login": "alice"], "committer": ["login": "alice"]],
            ]],
        ]])
        _ = try await Self.deliver(
            try Self.event("synchronize", number: 7, head: second, base: world.base), event: "pull_request", port: port, delivery: "pr-5")
        try await eventually("the old result is outdated and the new head waits") {
            let old = try await store.dryRun(run.id)
            let pull = try await store.dryRunPullRequest(repository: Self.ops, number: 7)
            return old?.outdated == true && pull?.headCommit == second && pull?.evaluateAt == nil
                && pull?.status?.contains("waiting") == true
        }
        #expect(try await store.dryRuns(DryRunFilter()).count == 1, "an approval of the old head is stale")
        try await eventually("the comment marks the old result outdated") {
            let comment = try await Self.comment(world.github, on: 7) ?? ""
            return comment.contains("Outdated results") && comment.contains(String(second.prefix(12)))
        }

        // Approved again on the new head: a second dry run, of the new content.
        try await world.github.updatePulls(["acme/ops": ["reviews": ["7": approvals + [Self.review(3, by: "bob", on: second, association: "MEMBER")]]]])
        _ = try await Self.deliver(
            try Self.event("submitted", number: 7, head: second, base: world.base, review: Self.review(3, by: "bob", on: second, association: "MEMBER")),
            event: "pull_request_review", port: port, delivery: "pr-6")
        try await eventually("the new head's dry run finished", timeout: .seconds(90)) {
            try await store.dryRuns(DryRunFilter(headCommit: second)).first?.state == .finished
        }
        let rerun = try #require(try await store.dryRuns(DryRunFilter(headCommit: second)).first)
        #expect(rerun.stdout.contains("second version") && rerun.blob != run.blob)
        try await eventually("the new head's status succeeded") {
            try await Self.statuses(world.github, second).last?["state"] as? String == "success"
        }
        #expect(try await world.github.comments().values.filter { $0.issue == 7 }.count == 1, "one comment, edited")

        // A pull request from a fork is not dry-run, approved or not.
        let fork = try world.commit(on: "fork-8", ["jobs/fork.sh": "echo from a fork\n"], message: "fork")
        try await world.github.updatePulls(["acme/ops": [
            "pulls": ["8": Self.pull(8, head: fork, base: world.base, from: "mallory/ops")],
            "reviews": ["8": [Self.review(4, by: "bob", on: fork, association: "MEMBER")]],
            "commits": ["8": [["sha": fork, "author": ["login": "mallory"], "committer": ["login": "mallory"]]]],
        ]])
        _ = try await Self.deliver(
            try Self.event("opened", number: 8, head: fork, base: world.base, from: "mallory/ops"), event: "pull_request", port: port,
            delivery: "pr-7")
        try await eventually("the fork is refused") {
            try await Self.statuses(world.github, fork).last?["state"] as? String == "error"
        }
        #expect(try await store.dryRuns(DryRunFilter(pullRequest: 8)).isEmpty)
        #expect(try await store.dryRunPullRequest(repository: Self.ops, number: 8)?.status?.contains("fork") == true)

        // The API shows dry runs apart from pipelines, with their output.
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/dry-runs/\(run.id)")!)
        request.setValue("Bearer \(Self.token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let shown = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["dry_run"] as? [String: Any])
        #expect(shown["state"] as? String == "finished" && shown["outdated"] as? Bool == true)
        #expect((shown["stdout"] as? String)?.contains("dry=1") == true)
        var unsigned = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/dry-runs")!)
        unsigned.httpMethod = "GET"
        let (_, refused) = try await URLSession.shared.data(for: unsigned)
        #expect((refused as? HTTPURLResponse)?.statusCode == 401, "dry runs are behind the operator token")
    }

    @Test
    func withTheRequirementOnlyContentThatHadASuccessfulDryRunRunsUnlessAnOperatorOverrides() async throws {
        let world = try await World()
        let reviewed = "echo merged content ran\n"
        let head = try world.commit(on: "feature-3", ["jobs/reviewed.sh": reviewed], message: "reviewed")
        let slow = try world.commit(on: "feature-4", ["jobs/slow.sh": "sleep 30\necho slow done\n"], message: "slow")
        try await world.github.updatePulls(["acme/ops": [
            "pulls": ["3": Self.pull(3, head: head, base: world.base), "4": Self.pull(4, head: slow, base: world.base)],
            "reviews": [
                "3": [Self.review(1, by: "bob", on: head, association: "COLLABORATOR")],
                "4": [Self.review(2, by: "bob", on: slow, association: "OWNER")],
            ],
            "commits": ["3": [[String: Any]](), "4": [[String: Any]]()],
        ]])
        let (process, port) = try world.serve(["JOBRUNNER_REQUIRE_DRY_RUN": "true"])
        defer { kill(process.processIdentifier, SIGTERM) }
        let store = try world.store
        _ = try await Self.deliver(
            try Self.event("opened", number: 3, head: head, base: world.base), event: "pull_request", port: port, delivery: "req-1")
        try await eventually("the reviewed script's dry run succeeded", timeout: .seconds(90)) {
            try await store.dryRuns(DryRunFilter(pullRequest: 3)).first?.succeeded == true
        }
        let dryRun = try #require(try await store.dryRuns(DryRunFilter(pullRequest: 3)).first)
        // A slow dry run holds the dry-run worker while the merged scripts go through their pipelines.
        _ = try await Self.deliver(
            try Self.event("opened", number: 4, head: slow, base: world.base), event: "pull_request", port: port, delivery: "req-2")
        try await eventually("the slow dry run is running") {
            try await store.dryRuns(DryRunFilter(pullRequest: 4)).first?.state == .running
        }

        // Merged: the same content as dry-run, and content that never was.
        let merged = try world.git.commit(
            ["jobs/reviewed.sh": reviewed, "jobs/unreviewed.sh": "echo unreviewed ran\n"], message: "Merge pull request #3")
        let push = try JSONSerialization.data(withJSONObject: [
            "ref": "refs/heads/main", "before": world.base, "after": merged, "created": false, "deleted": false, "forced": false,
            "commits": [[
                "id": merged, "message": "Merge pull request #3", "author": ["name": "Alice", "username": "alice"],
                "added": ["jobs/reviewed.sh", "jobs/unreviewed.sh"], "removed": [String](), "modified": [String](),
            ]],
            "repository": ["full_name": "acme/ops", "default_branch": "main"], "pusher": ["name": "alice"],
        ])
        #expect(try await JobrunnerBinary.pushWebhook(push, port: port, secret: Self.secret, delivery: "req-push") == 202)
        let pipelines = try await store.pipelines(PipelineFilter(limit: 10))
        let reviewedID = try #require(pipelines.first { $0.pipeline.source.scriptPath == "jobs/reviewed.sh" }?.pipeline.id)
        let unreviewedID = try #require(pipelines.first { $0.pipeline.source.scriptPath == "jobs/unreviewed.sh" }?.pipeline.id)
        try await eventually("the dry-run content ran and its log is committed", timeout: .seconds(90)) {
            try await store.stage(reviewedID, .cleanup)?.state == .succeeded
        }
        try await eventually("the other content waits for a dry run") {
            try await store.stage(unreviewedID, .execute)?.waitReason?.contains("waiting for a successful dry run") == true
        }
        #expect(try await store.dryRuns(DryRunFilter(pullRequest: 4)).first?.state == .running, "a dry run never blocks a pipeline")
        #expect(try await store.executions(for: unreviewedID).isEmpty)
        func bare(_ arguments: [String]) throws -> String {
            try GitFixture.git(["--git-dir", world.git.bare] + arguments, in: world.git.work)
        }
        let files = try bare(["ls-tree", "-r", "--name-only", "main"]).split(separator: "\n").map(String.init)
        let reviewedLog = try bare(["show", "main:" + (try #require(files.first { $0.contains("-reviewed-p") }))])
        #expect(reviewedLog.contains("dry_run: \(dryRun.id)") && reviewedLog.contains("dry_run_url: \"https://jobrunner.example/dry-runs/\(dryRun.id)\""))

        // Without a reason the override is refused; with one, the script runs and the log says who.
        func override(_ body: [String: Any]) async throws -> Int? {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/pipelines/\(unreviewedID.rawValue)/override-dry-run")!)
            request.httpMethod = "POST"
            request.setValue("Bearer \(Self.token)", forHTTPHeaderField: "Authorization")
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            return (try await URLSession.shared.data(for: request).1 as? HTTPURLResponse)?.statusCode
        }
        #expect(try await override([:]) == 422)
        #expect(try await store.executions(for: unreviewedID).isEmpty)
        #expect(try await override(["reason": "hotfix reviewed on a call"]) == 202)
        try await eventually("the overridden script ran and its log is committed", timeout: .seconds(90)) {
            try await store.stage(unreviewedID, .cleanup)?.state == .succeeded
        }
        let after = try bare(["ls-tree", "-r", "--name-only", "main"]).split(separator: "\n").map(String.init)
        let overriddenLog = try bare(["show", "main:" + (try #require(after.first { $0.contains("-unreviewed-p") }))])
        #expect(overriddenLog.contains("action: override-dry-run") && overriddenLog.contains("by: \"ops\""))
        #expect(overriddenLog.contains("hotfix reviewed on a call") && overriddenLog.contains("unreviewed ran"))
        #expect(try await override(["reason": "again"]) == 409, "nothing waits any more")
    }
}
