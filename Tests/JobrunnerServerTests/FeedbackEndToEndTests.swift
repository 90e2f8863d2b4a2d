import Foundation
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Feedback through `jobrunner serve` against the GitHub stand-in: the outbox never holds a
/// pipeline, survives a restart, keeps each pipeline's order; the one pull-request comment is
/// edited within its rate limit; Slack gets Block Kit messages of the documented shape.
@Suite("Feedback end to end", .serialized)
struct FeedbackEndToEndTests {
    static let webhookSecret = "feedback-webhook-secret"

    struct Service {
        var git: GitFixture
        var commit: String
        var directory: TemporaryDirectory
        var github: GitHubAPIStandIn
        var environment: [String: String]
    }

    /// acme/ops with `script` at jobs/hello.sh, merged from pull request #5 (approved by bob,
    /// merged by carol), and the environment of a `serve` whose feedback goes to the stand-in.
    static func service(script: String, extra: [String: String] = [:]) async throws -> Service {
        let git = try GitFixture()
        let commit = try git.commit(["jobs/hello.sh": script], message: "Add hello (#5)")
        let directory = try TemporaryDirectory("feedback-e2e")
        let pull: [String: Any] = [
            "number": 5, "title": "Say hello", "html_url": "https://github.example/acme/ops/pull/5", "state": "closed",
            "user": ["login": "alice"], "base": ["ref": "main"], "merged_at": "2026-11-22T10:00:00Z",
            "merge_commit_sha": commit, "merged_by": ["login": "carol"], "head": ["ref": "alice/hello", "sha": commit],
        ]
        let github = try await GitHubAPIStandIn.start(
            [
                "repositories": ["acme/ops": git.bare], "tokens": ["ghs_feedback"],
                "pulls": ["acme/ops": [
                    "by_commit": [commit: [5]], "pulls": ["5": pull],
                    "reviews": ["5": [["id": 2, "user": ["login": "bob"], "state": "APPROVED", "commit_id": commit]]],
                ]],
            ], in: directory)
        let environment = [
            "JOBRUNNER_WEBHOOK_SECRET": webhookSecret, "JOBRUNNER_REPOSITORIES": "acme/ops", "JOBRUNNER_WORKERS": "2",
            "JOBRUNNER_GIT_REMOTE": try JobrunnerBinary.remote(serving: git, in: directory),
            "JOBRUNNER_GITHUB_API_URL": github.baseURL, "JOBRUNNER_GITHUB_TOKEN": "ghs_feedback",
            "JOBRUNNER_PUBLIC_URL": "https://jobrunner.example", "JOBRUNNER_SLACK_WEBHOOK_URL": github.baseURL + "/callbacks/slack",
            "JOBRUNNER_SCRIPT_ISOLATION": "none",
        ].merging(extra) { _, new in new }
        return Service(git: git, commit: commit, directory: directory, github: github, environment: environment)
    }

    static func serve(_ service: Service) throws -> (process: Process, port: Int) {
        let port = TestPorts.free()
        var environment = service.environment
        environment["JOBRUNNER_HTTP_PORT"] = "\(port)"
        let process = try JobrunnerBinary.start(["serve"], environment: environment, directory: service.directory.path).process
        return (process, port)
    }

    static func waitFor(_ what: String, seconds: Int, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<(seconds * 20) {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for: \(what)")
    }

    @Test
    func aGitHubOutageNeverHoldsAPipelineAndItsFeedbackArrivesInOrderAfterARestart() async throws {
        let service = try await Self.service(script: "echo hello\necho 'oops' >&2\n", extra: ["JOBRUNNER_COMMENT_EDIT_INTERVAL": "1s"])
        defer { service.github.stop() }
        // GitHub and Slack answer 500 to everything.
        try await service.github.inject(
            ["GET", "POST", "PATCH"].map { ["method": $0, "path": "/repos/", "prefix": true, "status": 500, "times": 100_000] }
                + [["method": "POST", "path": "/callbacks/slack", "status": 500, "times": 100_000]])
        let first = try Self.serve(service)
        let push = try JobrunnerBinary.push([(service.commit, "jobs/hello.sh")])
        #expect(try await JobrunnerBinary.pushWebhook(push, port: first.port, secret: Self.webhookSecret, delivery: "outage-1") == 202)
        let store = try SQLitePipelineStore(path: service.directory.file("data/jobrunner.sqlite"))
        let id = PipelineID(1)
        // The pipeline finishes at its usual pace while every piece of its feedback is still undelivered.
        try await Self.waitFor("the pipeline to finish", seconds: 60) { try await store.pipeline(id)?.summary.status == .succeeded }
        #expect(try await store.outbox(for: id).allSatisfy { $0.state == .pending }, "nothing was delivered, and nothing waited for it")
        try await Self.waitFor("a failed delivery round", seconds: 30) { try await store.outbox(for: id).first?.lastError != nil }
        let waiting = try await store.outbox(for: id)
        #expect(waiting.first?.state == .pending && waiting.first?.event == .started)
        #expect(waiting.first?.lastError?.contains("500") == true, "the last error is kept: \(String(describing: waiting.first?.lastError))")
        #expect(waiting.map(\.event.name).contains("succeeded"))
        #expect(try await service.github.requests().allSatisfy { $0.status.map { $0 >= 500 } ?? true }, "nothing got through")
        // Operators see what waits, and why.
        let shown = try await JobrunnerBinary.run(["show", "1"], environment: service.environment, directory: service.directory.path)
        #expect(shown.stdout.contains("outbox   started: pending") && shown.stdout.contains("500"))
        try await JobrunnerBinary.stop(first.process)

        // The outage ends while the service is down; the restarted service delivers everything, in order.
        try await service.github.clearFaults()
        let before = try await service.github.requests().count
        let second = try Self.serve(service)
        defer { kill(second.process.processIdentifier, SIGTERM) }
        try await Self.waitFor("the outbox to be delivered", seconds: 90) {
            try await store.outbox(for: id).allSatisfy { $0.state == .delivered }
        }
        let delivered = try await service.github.requests().dropFirst(before).filter { ($0.status ?? 500) < 300 }
        let statuses = try delivered.filter { $0.path == "/repos/acme/ops/statuses/\(service.commit)" }.map { try $0.json()["state"] as? String }
        #expect(statuses == ["pending", "success"])
        let comments = delivered.filter { $0.path.hasPrefix("/repos/acme/ops/issues/") }
        #expect(comments.first?.method == "POST" && comments.first?.path == "/repos/acme/ops/issues/5/comments")
        #expect(comments.dropFirst().allSatisfy { $0.method == "PATCH" })
        let last = try #require(try comments.last?.json()["body"] as? String)
        #expect(last.contains("succeeded") && last.contains("jobrunner-logs/"))
        let slack = try delivered.filter { $0.path == "/callbacks/slack" }.map { try $0.json()["text"] as? String ?? "" }
        #expect(slack.count == 2 && slack[0].contains("started") && slack[1].contains("succeeded"), "\(slack)")
    }

    @Test
    func theCommentIsCreatedOnceEditedAsThePipelineMovesAndNoMoreOftenThanTheLimit() async throws {
        let script = """
            for i in $(seq 1 30); do echo "::progress $i/30 rows"; sleep 0.1; done
            echo 'token=s3cr3t-feedback-value' >&2
            echo 'last words' >&2
            exit 3

            """
        let service = try await Self.service(
            script: script,
            extra: ["JOBRUNNER_COMMENT_EDIT_INTERVAL": "2s", "JOBRUNNER_SECRETS": "OPS_TOKEN", "OPS_TOKEN": "s3cr3t-feedback-value"])
        defer { service.github.stop() }
        let started = try Self.serve(service)
        defer { kill(started.process.processIdentifier, SIGTERM) }
        let push = try JobrunnerBinary.push([(service.commit, "jobs/hello.sh")])
        #expect(try await JobrunnerBinary.pushWebhook(push, port: started.port, secret: Self.webhookSecret, delivery: "comment-1") == 202)
        let store = try SQLitePipelineStore(path: service.directory.file("data/jobrunner.sqlite"))
        try await Self.waitFor("the feedback to be delivered", seconds: 90) {
            let outbox = try await store.outbox(for: PipelineID(1))
            return try await store.pipeline(PipelineID(1))?.summary.status == .failed && !outbox.isEmpty
                && outbox.allSatisfy { $0.state == .delivered }
        }
        let requests = try await service.github.requests()
        let writes = requests.filter { $0.path.hasPrefix("/repos/acme/ops/issues/") }
        #expect(writes.filter { $0.method == "POST" }.count == 1, "one comment per pipeline")
        #expect(writes.first?.method == "POST")
        #expect(writes.count >= 2, "edited as the pipeline moved")
        let times = writes.compactMap(\.at)
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(later - earlier >= 1.9, "edits at least the limit apart: \(later - earlier) s")
        }
        let bodies = try writes.map { try $0.json()["body"] as? String ?? "" }
        #expect(bodies.contains { $0.contains("running") || $0.contains("building") }, "it showed the pipeline moving")
        let final = try #require(bodies.last)
        #expect(final.contains("failed") && final.contains("exit status 3"))
        #expect(final.contains("last words") && final.contains("token=***") && !final.contains("s3cr3t-feedback-value"))
        #expect(final.contains("https://jobrunner.example/pipelines/1") && final.contains("jobrunner-logs/"))

        // Slack: started and failed, each of the documented shape, naming who merged and approved.
        let slack = try requests.filter { $0.path == "/callbacks/slack" }.map { try $0.json() }
        #expect(slack.count == 2)
        for message in slack { #expect(SlackIncomingWebhookShape.problems(message).isEmpty, "\(SlackIncomingWebhookShape.problems(message))") }
        let failed = try #require(slack.last)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: failed, options: [.withoutEscapingSlashes]), as: UTF8.self)
        for fact in ["jobs/hello.sh", "acme/ops", "carol", "bob", "failed", "exit status 3", "https://jobrunner.example/pipelines/1", "pull/5"] {
            #expect(text.contains(fact), "the Slack message names \(fact)")
        }
        #expect(!text.contains("s3cr3t-feedback-value"))
    }
}

/// Slack's documented incoming-webhook message (api.slack.com/messaging/webhooks, Block Kit
/// reference): `text`, and `blocks` of known types within their limits.
enum SlackIncomingWebhookShape {
    static func problems(_ message: [String: Any]) -> [String] {
        var problems: [String] = []
        guard let text = message["text"] as? String, !text.isEmpty else { return ["text is missing"] }
        if text.count > 40_000 { problems.append("text longer than 40000") }
        guard let blocks = message["blocks"] as? [[String: Any]] else { return problems + ["blocks is not an array of objects"] }
        if blocks.isEmpty || blocks.count > 50 { problems.append("\(blocks.count) blocks (1...50)") }
        for (index, block) in blocks.enumerated() {
            let at = "blocks[\(index)]"
            switch block["type"] as? String {
            case "header":
                problems += textObject(block["text"], at: at + ".text", types: ["plain_text"], limit: 150)
            case "section":
                let fields = block["fields"] as? [Any] ?? []
                if block["text"] == nil && fields.isEmpty { problems.append("\(at): a section needs text or fields") }
                if fields.count > 10 { problems.append("\(at): more than 10 fields") }
                for (n, field) in fields.enumerated() { problems += textObject(field, at: "\(at).fields[\(n)]", types: ["mrkdwn", "plain_text"], limit: 2000) }
                if let text = block["text"] { problems += textObject(text, at: at + ".text", types: ["mrkdwn", "plain_text"], limit: 3000) }
            case "context":
                let elements = block["elements"] as? [Any] ?? []
                if elements.isEmpty || elements.count > 10 { problems.append("\(at): 1...10 elements") }
                for (n, element) in elements.enumerated() { problems += textObject(element, at: "\(at).elements[\(n)]", types: ["mrkdwn", "plain_text"], limit: 2000) }
            case "actions":
                let elements = block["elements"] as? [[String: Any]] ?? []
                if elements.isEmpty || elements.count > 25 { problems.append("\(at): 1...25 elements") }
                for (n, button) in elements.enumerated() {
                    if button["type"] as? String != "button" { problems.append("\(at).elements[\(n)]: not a button") }
                    problems += textObject(button["text"], at: "\(at).elements[\(n)].text", types: ["plain_text"], limit: 75)
                    if let url = button["url"] as? String, url.count > 3000 || URL(string: url)?.scheme == nil {
                        problems.append("\(at).elements[\(n)].url is not a URL of at most 3000 characters")
                    }
                }
            case "divider":
                break
            default:
                problems.append("\(at): unknown block type \(String(describing: block["type"]))")
            }
        }
        return problems
    }

    static func textObject(_ value: Any?, at: String, types: Set<String>, limit: Int) -> [String] {
        guard let object = value as? [String: Any], let type = object["type"] as? String, let text = object["text"] as? String else {
            return ["\(at): not a text object"]
        }
        var problems: [String] = []
        if !types.contains(type) { problems.append("\(at): type \(type) not allowed here") }
        if text.isEmpty || text.count > limit { problems.append("\(at): \(text.count) characters (1...\(limit))") }
        return problems
    }
}
