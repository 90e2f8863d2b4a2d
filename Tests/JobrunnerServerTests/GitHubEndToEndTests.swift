import Foundation
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// The whole chain through `jobrunner serve` with `JOBRUNNER_GIT_BACKEND=github-api`, the
/// approval policy and every feedback channel, against the GitHub stand-in on a real repository.
@Suite("End to end through the GitHub API")
struct GitHubEndToEndTests {
    @Test
    func anApprovedScriptRunsOnceAndItsLogIsCommittedWhileAnUnapprovedOneNeverRuns() async throws {
        let git = try GitFixture()
        let base = try git.commit(["README.md": "ops\n"])
        let approved = try git.commit(
            ["jobs/hello.sh": "echo \"hello from $JOBRUNNER_SCRIPT\"\necho 'a warning' >&2\necho 'token=s3cr3t-value'\n"],
            message: "Merge pull request #5 from alice/hello")
        let direct = try git.commit(["jobs/direct.sh": "echo 'must not run'\n"], message: "pushed straight to main")
        let pull: [String: Any] = [
            "number": 5, "title": "Say hello", "html_url": "https://github.example/acme/ops/pull/5", "state": "closed",
            "user": ["login": "alice"], "base": ["ref": "main"], "merged_at": "2026-11-22T10:00:00Z",
            "merge_commit_sha": approved, "merged_by": ["login": "carol"], "head": ["ref": "alice/hello", "sha": approved],
        ]
        let directory = try TemporaryDirectory("gh-e2e")
        let github = try await GitHubAPIStandIn.start(
            [
                "repositories": ["acme/ops": git.bare], "tokens": ["ghs_e2e"],
                "pulls": ["acme/ops": [
                    "by_commit": [approved: [5]], "pulls": ["5": pull],
                    "reviews": ["5": [
                        ["id": 1, "user": ["login": "alice"], "state": "APPROVED", "commit_id": approved],
                        ["id": 2, "user": ["login": "bob"], "state": "APPROVED", "commit_id": approved],
                    ]],
                ]],
            ], in: directory)
        defer { github.stop() }

        let port = TestPorts.free()
        let environment = [
            "JOBRUNNER_WEBHOOK_SECRET": "e2e-webhook-secret", "JOBRUNNER_REPOSITORIES": "acme/ops", "JOBRUNNER_HTTP_PORT": "\(port)",
            "JOBRUNNER_WORKERS": "2", "JOBRUNNER_GIT_BACKEND": "github-api", "JOBRUNNER_GITHUB_API_URL": github.baseURL,
            "JOBRUNNER_GITHUB_TOKEN": "ghs_e2e", "JOBRUNNER_REQUIRED_APPROVALS": "1",
            "JOBRUNNER_CALLBACK_URLS": github.baseURL + "/callbacks/ops", "JOBRUNNER_CALLBACK_SECRET": "callback-secret",
            "JOBRUNNER_PUBLIC_URL": "https://jobrunner.example", "JOBRUNNER_SECRETS": "OPS_TOKEN", "OPS_TOKEN": "s3cr3t-value",
            "JOBRUNNER_COMMENT_EDIT_INTERVAL": "1s",
            // Never the network: a libgit2 fallback would have nowhere to go.
            "JOBRUNNER_GIT_REMOTE": directory.file("nowhere") + "/{repository}.git",
        ]
        let process = try JobrunnerBinary.start(["serve"], environment: environment, directory: directory.path).process
        defer { kill(process.processIdentifier, SIGTERM) }

        let commit = { (id: String, message: String, file: String) -> [String: Any] in
            ["id": id, "message": message, "author": ["name": "Alice", "username": "alice"], "added": [file],
             "removed": [String](), "modified": [String]()]
        }
        let body = try JSONSerialization.data(withJSONObject: [
            "ref": "refs/heads/main", "before": base, "after": direct, "created": false, "deleted": false, "forced": false,
            "commits": [
                commit(approved, "Merge pull request #5 from alice/hello", "jobs/hello.sh"),
                commit(direct, "pushed straight to main", "jobs/direct.sh"),
            ],
            "head_commit": commit(direct, "pushed straight to main", "jobs/direct.sh"),
            "repository": ["full_name": "acme/ops", "default_branch": "main"],
            "pusher": ["name": "alice"], "sender": ["login": "alice"],
        ])
        #expect(try await JobrunnerBinary.pushWebhook(body, port: port, secret: "e2e-webhook-secret", delivery: "gh-e2e-1") == 202)

        let store = try SQLitePipelineStore(path: directory.file("data/jobrunner.sqlite"))
        let hello = PipelineID(1)
        let unapproved = PipelineID(2)
        #expect(try await store.pipeline(hello)?.summary.pipeline.source.scriptPath == "jobs/hello.sh")
        var settled = false
        for _ in 0..<600 where !settled {
            try await Task.sleep(for: .milliseconds(50))
            let cleaned = try await store.stage(hello, .cleanup)?.state == .succeeded
            let refused = try await store.stage(unapproved, .process)?.state == .failed
            let outboxDone = try await store.outbox(for: hello).allSatisfy { $0.state == .delivered }
            let helloFed = try await store.feedback(for: hello).contains { $0.channel == "callback" } && outboxDone
            let refusalFed = try await store.feedback(for: unapproved).contains { $0.channel == "callback" }
            settled = cleaned && refused && helloFed && refusalFed
        }
        #expect(settled)

        // The branch: exactly one new commit, by the bot, removing the script and adding the log.
        func bare(_ arguments: [String]) throws -> String {
            try GitFixture.git(["--git-dir", git.bare] + arguments, in: git.directory.path)
        }
        #expect(try bare(["rev-list", "--count", "\(direct)..main"]) == "1\n")
        #expect(try bare(["log", "-1", "--format=%an", "main"]) == "jobrunner[bot]\n")
        let files = try bare(["ls-tree", "-r", "--name-only", "main"]).split(separator: "\n").map(String.init)
        #expect(!files.contains("jobs/hello.sh"))
        #expect(files.contains("jobs/direct.sh"), "the refused script stays for people to deal with")
        let logPath = try #require(files.first { $0.hasPrefix("jobrunner-logs/") && $0.hasSuffix("-hello-p1.md") })
        let log = try bare(["show", "main:\(logPath)"])
        #expect(log.contains("hello from jobs/hello.sh"))
        #expect(log.contains("a warning"))
        #expect(log.contains("exit_status: 0"))
        #expect(log.contains("pull_request: 5"))
        #expect(log.contains("approved_by: [\"bob\"]"), "the author's own approval does not count")
        #expect(log.contains("merged_by: \"carol\""))
        #expect(!log.contains("s3cr3t-value") && log.contains("token=***"), "secrets are masked in the committed log")
        #expect(try await store.executions(for: hello).count == 1, "ran exactly once")

        // The unapproved script never ran, and says why.
        #expect(try await store.executions(for: unapproved).isEmpty)
        #expect(try await store.stage(unapproved, .process)?.lastError?.contains("did not come from a merged pull request") == true)

        // Feedback: statuses on both commits, a comment on #5, signed callbacks.
        let requests = try await github.requests()
        let states = { (sha: String) throws -> [String] in
            try requests.filter { $0.path == "/repos/acme/ops/statuses/\(sha)" }.map { try $0.json()["state"] as? String ?? "" }
        }
        #expect(try states(approved) == ["pending", "success"])
        #expect(try states(direct) == ["pending", "error"])
        // One comment on #5, edited as the pipeline moved; its last version links the log.
        #expect(requests.filter { $0.path == "/repos/acme/ops/issues/5/comments" }.count == 1)
        let edits = requests.filter { $0.method == "PATCH" && $0.path.hasPrefix("/repos/acme/ops/issues/comments/") }
        #expect(!edits.isEmpty)
        let comment = try #require(try edits.last?.json())
        #expect((comment["body"] as? String)?.contains(logPath) == true)
        #expect((comment["body"] as? String)?.contains("succeeded") == true)
        let callbacks = requests.filter { $0.path == "/callbacks/ops" }
        #expect(callbacks.count == 2)
        for callback in callbacks {
            try WebhookVerifier(secrets: ["callback-secret"]).verify(
                body: callback.body, signature: callback.header("X-Hub-Signature-256"))
        }
        let events = try callbacks.map { try $0.json()["event"] as? String ?? "" }.sorted()
        #expect(events == ["pipeline.failed", "pipeline.succeeded"])
        #expect(try await store.feedback(for: hello).allSatisfy { $0.error == nil })

        // Operators see the deliveries.
        let shown = try await JobrunnerBinary.run(["show", "1"], environment: environment, directory: directory.path)
        #expect(shown.stdout.contains("feedback pull-request-comment (succeeded)"))
    }
}
