import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerServer
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Logging
import NIOCore
import Testing

/// Webhook intake through the real HTTP server, with GitHub-shaped fixtures and a real SQLite store.
@Suite("Webhook intake")
struct WebhookIntakeTests {
    static let secret = "It's a Secret to Everybody"

    // MARK: - Harness

    final class Harness: Sendable {
        let directory: TemporaryDirectory
        let store: SQLitePipelineStore
        let settings: Settings

        init(settings configure: (inout Settings) -> Void = { _ in }) throws {
            directory = try TemporaryDirectory("intake")
            store = try SQLitePipelineStore(path: directory.file("jobrunner.sqlite"))
            var settings = Settings(webhookSecrets: [WebhookIntakeTests.secret], repositories: [Fixtures.repository("acme/ops")])
            settings.httpPort = 0
            configure(&settings)
            self.settings = settings
        }

        func app(github: (any GitHubAPI)? = nil) -> some ApplicationProtocol {
            buildApplication(
                ApplicationContext(settings: settings, store: store, github: github, logger: quietLogger))
        }

        func pipelines() async throws -> [PipelineSummary] {
            try await store.pipelines(PipelineFilter(limit: 1000)).reversed()
        }
    }

    static func fixture(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    static func mutated(_ name: String, _ change: (inout [String: Any]) -> Void) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: fixture(name)) as? [String: Any])
        change(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func headers(
        _ body: Data, event: String? = "push", delivery: String? = UUID().uuidString,
        secret: String = secret, contentType: String = "application/json", signed: Bool = true
    ) -> HTTPFields {
        var fields = HTTPFields()
        fields[.contentType] = contentType
        fields[.userAgent] = "GitHub-Hookshot/7c5ba5e"
        if let event { fields[HTTPField.Name("X-GitHub-Event")!] = event }
        if let delivery { fields[HTTPField.Name("X-GitHub-Delivery")!] = delivery }
        if signed { fields[HTTPField.Name("X-Hub-Signature-256")!] = WebhookVerifier.signature(for: body, secret: secret) }
        return fields
    }

    struct Answer: Decodable {
        struct Pipeline: Decodable {
            var id: Int64
            var path: String
            var created: Bool
        }
        struct Skipped: Decodable {
            var path: String
            var reason: String
        }
        var delivery: String
        var outcome: String
        var reason: String?
        var message: String
        var redelivery: Bool
        var pipelines: [Pipeline]
        var skipped: [Skipped]
    }

    static func post(
        _ client: some TestClientProtocol, _ body: Data, headers: HTTPFields
    ) async throws -> (HTTPResponse.Status, Answer?, String) {
        try await client.execute(uri: "/webhooks/github", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
            let text = String(buffer: response.body)
            return (response.status, try? JSONDecoder().decode(Answer.self, from: Data(text.utf8)), text)
        }
    }

    // MARK: - Push rules, with fixtures

    @Test
    func aPullRequestMergeAddingOneScriptBecomesOneDurablePipeline() async throws {
        let harness = try Harness()
        let body = try Self.fixture("push-pr-merge")
        try await harness.app().test(.live) { client in
            let (status, answer, text) = try await Self.post(client, body, headers: Self.headers(body, delivery: "d-merge"))
            #expect(status == .accepted, "\(text)")
            let decoded = try #require(answer)
            #expect(decoded.outcome == "accepted")
            #expect(decoded.pipelines.map(\.path) == ["jobs/2026-11-22-backfill-invoices.ts"])
        }
        let pipelines = try await harness.pipelines()
        try #require(pipelines.count == 1)
        let source = pipelines[0].pipeline.source
        #expect(source.repository.rawValue == "acme/ops")
        #expect(source.branch == "main")
        #expect(source.scriptPath == "jobs/2026-11-22-backfill-invoices.ts")
        #expect(source.commit == "5b35595db3a4e0e268ef5cd40048fdd8edf1c90c", "the merge commit: the merged content")
        #expect(source.pullRequest == 42)
        #expect(source.pusher == "carol-merges")
        #expect(source.author == "alice", "who added the script")
        #expect(pipelines[0].stages.map(\.state) == [.queued])
        let delivery = try #require(try await harness.store.delivery(DeliveryID("d-merge")))
        #expect(delivery.delivery.outcome == .accepted)
        #expect(delivery.delivery.sender == "carol-merges")
        #expect(delivery.pipelineIDs == [pipelines[0].pipeline.id])
    }

    @Test
    func everyCommitOfAMultiCommitPushCountsAndOnlyScriptsDirectlyInJobsRun() async throws {
        let harness = try Harness()
        let body = try Self.fixture("push-multi-commit")
        try await harness.app().test(.live) { client in
            let (status, answer, _) = try await Self.post(client, body, headers: Self.headers(body))
            #expect(status == .accepted)
            let skipped = Dictionary(uniqueKeysWithValues: (answer?.skipped ?? []).map { ($0.path, $0.reason) })
            #expect(skipped["jobs/lib/db.ts"]?.contains("sub-folder") == true)
            #expect(skipped["jobs/README.md"]?.contains("unsupported extension") == true)
            #expect(skipped["jobs/notes.txt"]?.contains("unsupported extension") == true)
        }
        let pipelines = try await harness.pipelines()
        #expect(pipelines.map(\.pipeline.source.scriptPath) == ["jobs/cleanup-users.sh", "jobs/recount.py"], "arrival order")
        #expect(pipelines[0].pipeline.source.commit != pipelines[1].pipeline.source.commit, "each from its own commit")
        #expect(pipelines.allSatisfy { $0.pipeline.source.pullRequest == 57 })
        #expect(pipelines.map(\.pipeline.source.author) == ["alice", "bob"])
    }

    @Test
    func aScriptRemovedLaterInThePushDoesNotRunAndAModifiedOneRunsItsLastVersion() async throws {
        let harness = try Harness()
        let body = try Self.fixture("push-add-then-remove")
        let document = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let after = try #require(document["after"] as? String)
        try await harness.app().test(.live) { client in
            let (status, _, _) = try await Self.post(client, body, headers: Self.headers(body))
            #expect(status == .accepted)
        }
        let pipelines = try await harness.pipelines()
        #expect(pipelines.map(\.pipeline.source.scriptPath) == ["jobs/keep.sh"])
        #expect(pipelines.first?.pipeline.source.commit == after)
    }

    /// A push that is not for us, made from the merge fixture, and the reason intake must give.
    static func notForUs(_ name: String) throws -> (Data, String) {
        switch name {
        case "other branch":
            return (try mutated("push-pr-merge") { $0["ref"] = "refs/heads/feature/backfill" }, "is not the branch main")
        case "tag":
            return (try mutated("push-pr-merge") { $0["ref"] = "refs/tags/v1.0.0" }, "is not the branch main")
        case "other repository":
            return (
                try mutated("push-pr-merge") { object in
                    var repository = object["repository"] as! [String: Any]
                    repository["full_name"] = "acme/website"
                    object["repository"] = repository
                }, "acme/website is not configured"
            )
        default:
            return (
                try mutated("push-pr-merge") { object in
                    object["deleted"] = true
                    object["after"] = PushEvent.zeroCommit
                    object["commits"] = [Any]()
                    object["head_commit"] = NSNull()
                }, "branch deletion"
            )
        }
    }

    @Test(arguments: ["other branch", "tag", "other repository", "branch deletion"])
    func pushesThatAreNotForUsAreRecordedAsIgnoredAndCreateNothing(name: String) async throws {
        let harness = try Harness()
        let (body, reason) = try Self.notForUs(name)
        let deliveryID = "d-" + name.replacingOccurrences(of: " ", with: "-")
        try await harness.app().test(.live) { client in
            let (status, answer, text) = try await Self.post(client, body, headers: Self.headers(body, delivery: deliveryID))
            #expect(status == .accepted, "\(text)")
            #expect(answer?.outcome == "ignored")
            #expect(answer?.message.hasPrefix("ignored: ") == true)
            #expect(answer?.reason?.contains(reason) == true, "\(answer?.reason ?? "")")
        }
        #expect(try await harness.pipelines().isEmpty)
        let delivery = try #require(try await harness.store.delivery(DeliveryID(deliveryID)))
        #expect(delivery.delivery.outcome == .ignored)
        #expect(delivery.delivery.reason?.contains(reason) == true)
    }

    @Test
    func theConfiguredBranchOverridesTheDefaultBranch() async throws {
        let harness = try Harness { $0.branch = "release" }
        let onMain = try Self.fixture("push-pr-merge")
        let onRelease = try Self.mutated("push-pr-merge") { $0["ref"] = "refs/heads/release" }
        try await harness.app().test(.live) { client in
            let result1 = try await Self.post(client, onMain, headers: Self.headers(onMain))
            #expect(result1.1?.outcome == "ignored")
            let result2 = try await Self.post(client, onRelease, headers: Self.headers(onRelease))
            #expect(result2.1?.outcome == "accepted")
        }
        #expect(try await harness.pipelines().map(\.pipeline.source.branch) == ["release"])
    }

    @Test
    func theBotsOwnCleanupCommitStartsNothing() async throws {
        let harness = try Harness()
        let body = try Self.fixture("push-bot-cleanup")
        try await harness.app().test(.live) { client in
            let (status, answer, _) = try await Self.post(client, body, headers: Self.headers(body))
            #expect(status == .accepted)
            #expect(answer?.reason == "only the bot's own commits")
        }
        #expect(try await harness.pipelines().isEmpty)
    }

    @Test
    func aFormEncodedBodyIsReadFromItsPayloadField() async throws {
        let harness = try Harness()
        let json = try Self.fixture("push-pr-merge")
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = String(decoding: json, as: UTF8.self).addingPercentEncoding(withAllowedCharacters: allowed)!
        let body = Data("payload=\(encoded)".utf8)
        try await harness.app().test(.live) { client in
            let (status, answer, text) = try await Self.post(
                client, body, headers: Self.headers(body, contentType: "application/x-www-form-urlencoded"))
            #expect(status == .accepted, "\(text)")
            #expect(answer?.pipelines.map(\.path) == ["jobs/2026-11-22-backfill-invoices.ts"])
        }
        #expect(try await harness.pipelines().count == 1)
    }

    // MARK: - Events and signatures

    @Test
    func pingIsAnsweredAndOtherEventsAreIgnoredWithAReason() async throws {
        let harness = try Harness()
        let ping = Data(#"{"zen":"Design for failure.","hook_id":12345678,"hook":{"type":"Repository","active":true}}"#.utf8)
        let issue = Data(#"{"action":"opened","issue":{"number":1}}"#.utf8)
        try await harness.app().test(.live) { client in
            let pong = try await Self.post(client, ping, headers: Self.headers(ping, event: "ping", delivery: "d-ping"))
            #expect(pong.0 == .ok)
            #expect(pong.1?.reason == "Design for failure.")
            let other = try await Self.post(client, issue, headers: Self.headers(issue, event: "issues", delivery: "d-issues"))
            #expect(other.0 == .accepted)
            #expect(other.1?.message == "ignored: event issues is not handled")
        }
        #expect(try await harness.store.delivery(DeliveryID("d-issues"))?.delivery.outcome == .ignored)
        #expect(try await harness.store.delivery(DeliveryID("d-ping"))?.delivery.event == "ping")
    }

    @Test
    func pullRequestEventsAreRecordedForDryRunsOnlyWhenTheyAreOnAndWellFormed() async throws {
        let head = String(repeating: "a", count: 40)
        let base = String(repeating: "b", count: 40)
        @Sendable func event(base ref: String = "main", head sha: String = head, action: String = "opened") throws -> Data {
            try JSONSerialization.data(withJSONObject: [
                "action": action, "number": 7,
                "pull_request": [
                    "number": 7, "state": "open", "title": "Migrate", "html_url": "https://github.com/acme/ops/pull/7",
                    "head": ["ref": "feature", "sha": sha], "base": ["ref": ref, "sha": base],
                ],
                "repository": ["full_name": "acme/ops", "default_branch": "main"],
            ])
        }
        let minimal = Data(#"{"action":"opened"}"#.utf8)
        // Off: any pull-request event is recorded as ignored, saying why, whatever its shape.
        let off = try Harness()
        try await off.app().test(.live) { client in
            let answer = try await Self.post(client, minimal, headers: Self.headers(minimal, event: "pull_request", delivery: "off-1"))
            #expect(answer.0 == .accepted)
            #expect(answer.1?.message.contains("dry runs are off") == true)
        }
        #expect(try await off.store.dryRunPullRequest(repository: Fixtures.repository("acme/ops"), number: 7) == nil)

        let on = try Harness { $0.dryRun = true }
        try await on.app().test(.live) { client in
            let malformed = try await Self.post(client, minimal, headers: Self.headers(minimal, event: "pull_request", delivery: "on-1"))
            #expect(malformed.0 == .badRequest)
            let badHead = try event(head: "not-a-commit")
            #expect(try await Self.post(client, badHead, headers: Self.headers(badHead, event: "pull_request", delivery: "on-2")).0 == .badRequest)
            let other = try event(base: "release")
            let ignored = try await Self.post(client, other, headers: Self.headers(other, event: "pull_request", delivery: "on-3"))
            #expect(ignored.0 == .accepted && ignored.1?.outcome == "ignored")
            let unsigned = try event()
            var headers = Self.headers(unsigned, event: "pull_request", delivery: "on-4")
            headers[HTTPField.Name("X-Hub-Signature-256")!] = "sha256=" + String(repeating: "0", count: 64)
            #expect(try await Self.post(client, unsigned, headers: headers).0 == .unauthorized)
            #expect(try await on.store.dryRunPullRequest(repository: Fixtures.repository("acme/ops"), number: 7) == nil, "nothing refused creates work")
            let valid = try event()
            let accepted = try await Self.post(client, valid, headers: Self.headers(valid, event: "pull_request", delivery: "on-5"))
            #expect(accepted.0 == .accepted && accepted.1?.outcome == "accepted")
        }
        let pull = try #require(try await on.store.dryRunPullRequest(repository: Fixtures.repository("acme/ops"), number: 7))
        #expect(pull.headCommit == head && pull.isOpen && pull.evaluateAt != nil)
        #expect(try await on.store.delivery(DeliveryID("on-5"))?.delivery.event == "pull_request")
    }

    @Test
    func githubsPublishedVectorVerifiesBeforeTheBodyIsParsed() async throws {
        let harness = try Harness()
        let body = Data("Hello, World!".utf8)
        let published = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        try await harness.app().test(.live) { client in
            var headers = Self.headers(body, event: "ping", signed: false)
            headers[HTTPField.Name("X-Hub-Signature-256")!] = published
            let verified = try await Self.post(client, body, headers: headers)
            #expect(verified.0 == .badRequest, "signature accepted, then the body is refused as JSON")
            #expect(verified.2.contains("not valid JSON"))
            var tampered = headers
            tampered[HTTPField.Name("X-Hub-Signature-256")!] = published.replacingOccurrences(of: "757107", with: "757108")
            let result3 = try await Self.post(client, body, headers: tampered)
            #expect(result3.0 == .unauthorized)
        }
    }

    @Test
    func aRotatedOutSecretIsStillAcceptedWhileConfigured() async throws {
        let harness = try Harness { $0.webhookSecrets = ["new-secret", "old-secret"] }
        let body = try Self.fixture("push-pr-merge")
        try await harness.app().test(.live) { client in
            let result4 = try await Self.post(client, body, headers: Self.headers(body, secret: "old-secret"))
            #expect(result4.0 == .accepted)
            let result5 = try await Self.post(client, body, headers: Self.headers(body, secret: "new-secret"))
            #expect(result5.0 == .accepted)
            let result6 = try await Self.post(client, body, headers: Self.headers(body, secret: "older-secret"))
            #expect(result6.0 == .unauthorized)
        }
    }

    @Test
    func unsignedAndMalformedRequestsGet4xxAndCreateNothing() async throws {
        let harness = try Harness()
        let good = try Self.fixture("push-pr-merge")
        var cases: [(String, Data, HTTPFields, HTTPResponse.Status)] = []
        cases.append(("unsigned", good, Self.headers(good, delivery: "m1", signed: false), .unauthorized))
        cases.append(("wrong secret", good, Self.headers(good, delivery: "m2", secret: "guess"), .unauthorized))
        var sha1Only = Self.headers(good, delivery: "m3", signed: false)
        sha1Only[HTTPField.Name("X-Hub-Signature")!] = "sha1=7d38cdd689735b008b3c702edd92eea23791c5f6"
        cases.append(("sha1 only", good, sha1Only, .unauthorized))
        var truncated = Self.headers(good, delivery: "m4")
        truncated[HTTPField.Name("X-Hub-Signature-256")!] = String(truncated[HTTPField.Name("X-Hub-Signature-256")!]!.dropLast(2))
        cases.append(("truncated signature", good, truncated, .unauthorized))
        var nonHex = Self.headers(good, delivery: "m5")
        nonHex[HTTPField.Name("X-Hub-Signature-256")!] = "sha256=" + String(repeating: "zz", count: 32)
        cases.append(("non-hex signature", good, nonHex, .unauthorized))
        let tamperedBody = good + Data(" ".utf8)
        cases.append(("tampered body", tamperedBody, Self.headers(good, delivery: "m6"), .unauthorized))
        let notJSON = Data("{\"ref\": ".utf8)
        cases.append(("truncated JSON", notJSON, Self.headers(notJSON, delivery: "m7"), .badRequest))
        let missingRepository = try Self.mutated("push-pr-merge") { $0["repository"] = nil }
        cases.append(("missing field", missingRepository, Self.headers(missingRepository, delivery: "m8"), .badRequest))
        let wrongType = try Self.mutated("push-pr-merge") { $0["commits"] = "many" }
        cases.append(("wrong type", wrongType, Self.headers(wrongType, delivery: "m9"), .badRequest))
        cases.append(("no event header", good, Self.headers(good, event: nil, delivery: "m10"), .badRequest))
        cases.append(("no delivery header", good, Self.headers(good, delivery: nil), .badRequest))
        cases.append(("xml", good, Self.headers(good, delivery: "m12", contentType: "application/xml"), .unsupportedMediaType))
        let form = Data("other=1".utf8)
        cases.append(("form without payload", form, Self.headers(form, delivery: "m13", contentType: "application/x-www-form-urlencoded"), .badRequest))
        // Commit ids go into git, API paths and file names: only object ids are accepted.
        let traversal = try Self.mutated("push-pr-merge") { $0["after"] = "../../../etc/passwd" }
        cases.append(("after not a commit id", traversal, Self.headers(traversal, delivery: "m14"), .badRequest))
        let shortID = try Self.mutated("push-pr-merge") { push in
            var commits = push["commits"] as? [[String: Any]] ?? []
            commits[0]["id"] = "5b35595"
            push["commits"] = commits
        }
        cases.append(("abbreviated commit id", shortID, Self.headers(shortID, delivery: "m15"), .badRequest))

        let allCases = cases
        try await harness.app().test(.live) { client in
            for round in 0..<3 {
                for (name, body, headers, expected) in allCases {
                    let (status, _, text) = try await Self.post(client, body, headers: headers)
                    #expect(status == expected, "round \(round), \(name): \(text)")
                }
            }
            let missing = try await Self.post(client, missingRepository, headers: Self.headers(missingRepository))
            #expect(missing.2.contains("missing field repository"), "the problem is named: \(missing.2)")
            let short = try await Self.post(client, shortID, headers: Self.headers(shortID))
            #expect(short.2.contains("commits[0].id is not a commit id"), "\(short.2)")
        }
        #expect(try await harness.pipelines().isEmpty)
        for id in (1...15).map({ "m\($0)" }) {
            #expect(try await harness.store.delivery(DeliveryID(id)) == nil, "\(id) stored nothing")
        }
    }

    @Test
    func anUnsignedRequestIsRefusedBeforeItsBodyIsRead() async throws {
        let harness = try Harness { $0.webhookMaxBodySize = 4096 }
        let body = try Self.mutated("push-pr-merge") { $0["padding"] = String(repeating: "x", count: 8192) }
        var unsigned = Self.headers(body, delivery: "unsigned")
        unsigned[HTTPField.Name("X-Hub-Signature-256")!] = nil
        let headers = unsigned
        try await harness.app().test(.live) { client in
            let (status, _, _) = try await Self.post(client, body, headers: headers)
            #expect(status == .unauthorized, "refused for the missing signature, not for the size it never read")
        }
        #expect(try await harness.store.delivery(DeliveryID("unsigned")) == nil)
        #expect(Settings().webhookMaxBodySize >= 25 * 1000 * 1000, "GitHub's 25 MB payloads are accepted by default")
    }

    @Test
    func anOversizedBodyIsRefusedWith413() async throws {
        let harness = try Harness { $0.webhookMaxBodySize = 4096 }
        let body = try Self.mutated("push-pr-merge") { $0["padding"] = String(repeating: "x", count: 8192) }
        try await harness.app().test(.live) { client in
            let (status, _, _) = try await Self.post(client, body, headers: Self.headers(body, delivery: "big"))
            #expect(status == .contentTooLarge)
        }
        #expect(try await harness.store.delivery(DeliveryID("big")) == nil)
        #expect(try await harness.pipelines().isEmpty)
    }

    // MARK: - Durability and idempotency

    @Test
    func aRedeliveryCreatesNothingAndAnswersWithTheSamePipelines() async throws {
        let harness = try Harness()
        let body = try Self.fixture("push-multi-commit")
        try await harness.app().test(.live) { client in
            let first = try #require(try await Self.post(client, body, headers: Self.headers(body, delivery: "d-1")).1)
            let again = try #require(try await Self.post(client, body, headers: Self.headers(body, delivery: "d-1")).1)
            #expect(again.redelivery)
            #expect(again.pipelines.map(\.id) == first.pipelines.map(\.id))
            #expect(again.pipelines.map(\.path) == first.pipelines.map(\.path))
            #expect(again.pipelines.allSatisfy { !$0.created })
            // The same push under another delivery id (a second webhook) matches, never duplicates.
            let other = try #require(try await Self.post(client, body, headers: Self.headers(body, delivery: "d-2")).1)
            #expect(!other.redelivery)
            #expect(other.pipelines.map(\.id) == first.pipelines.map(\.id))
            #expect(other.pipelines.allSatisfy { !$0.created })
        }
        #expect(try await harness.pipelines().count == 2)
    }

    @Test
    func concurrentDeliveriesAreAllRecorded() async throws {
        let harness = try Harness()
        let bodies = try (0..<40).map { index in
            try Self.mutated("push-pr-merge") { object in
                var commits = object["commits"] as! [[String: Any]]
                for position in commits.indices {
                    commits[position]["id"] = String(format: "%040x", index * 10 + position + 1)
                    commits[position]["added"] = ["jobs/script-\(index).sh"]
                }
                object["commits"] = commits
                object["head_commit"] = commits.last
                object["after"] = commits.last?["id"]
            }
        }
        try await harness.app().test(.live) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for (index, body) in bodies.enumerated() {
                    group.addTask { try await Self.post(client, body, headers: Self.headers(body, delivery: "c-\(index)")).0 }
                }
                for try await status in group { #expect(status == .accepted) }
            }
        }
        let pipelines = try await harness.pipelines()
        #expect(pipelines.count == 40)
        #expect(Set(pipelines.map(\.pipeline.source.scriptPath)).count == 40)
        for index in 0..<40 {
            #expect(try await harness.store.delivery(DeliveryID("c-\(index)"))?.pipelineIDs.count == 1)
        }
    }

    // MARK: - Incomplete payloads and the compare API

    static func forcedComparison(_ standIn: GitHubStandIn, commits: Int = 2, files: [(String, String)]? = nil) throws {
        let document = try #require(try JSONSerialization.jsonObject(with: fixture("push-forced")) as? [String: Any])
        let before = try #require(document["before"] as? String)
        let after = try #require(document["after"] as? String)
        standIn.setComparison(
            repository: "acme/ops", base: before, head: after,
            GitHubStandIn.StoredComparison(
                commits: (0..<commits).map { (String(format: "%040x", $0 + 1), "commit \($0)", "dave") },
                files: files ?? [
                    ("jobs/listed.sh", "added"), ("jobs/only-in-compare.py", "added"), ("README.md", "modified"),
                    ("jobs/gone.sh", "removed"),
                ]))
    }

    @Test
    func aForcedPushIsListedThroughTheCompareAPI() async throws {
        let standIn = GitHubStandIn()
        try Self.forcedComparison(standIn, commits: 3)
        let harness = try Harness()
        let body = try Self.fixture("push-forced")
        try await standIn.application.test(.live) { github in
            let client = RESTGitHubClient(
                // As intake is wired in production (`GitHubAccess.intakeAPI`).
                requester: .forIntake(baseURL: "http://127.0.0.1:\(try #require(github.port))"), credentials: StaticToken(standIn.token))
            try await harness.app(github: client).test(.live) { jobrunner in
                let (status, answer, text) = try await Self.post(jobrunner, body, headers: Self.headers(body))
                #expect(status == .accepted, "\(text)")
                #expect(answer?.pipelines.map(\.path) == ["jobs/listed.sh", "jobs/only-in-compare.py"])
            }
        }
        let pipelines = try await harness.pipelines()
        #expect(pipelines.map(\.pipeline.source.commit).allSatisfy { $0 == "3e313bce77b8e11251a7c54d70dbba375c68d7c2" })
        #expect(pipelines.first?.pipeline.source.pullRequest == 61)
        let requests = standIn.requests.value
        #expect(requests.count == 1)
        #expect(requests.allSatisfy { $0.authorization == "Bearer \(standIn.token)" })
    }

    @Test
    func a2048CommitPushReadsEveryPageOfTheComparison() async throws {
        let standIn = GitHubStandIn()
        let harness = try Harness()
        let commits: [[String: Any]] = (0..<2048).map { index in
            [
                "id": String(format: "%040x", index + 1), "tree_id": String(repeating: "e", count: 40), "distinct": true,
                "message": "commit \(index)", "timestamp": "2026-11-22T09:00:00Z",
                "url": "https://github.com/acme/ops/commit/\(index)",
                "author": ["name": "Bulk Importer", "email": "bulk@acme.example", "username": "bulk"],
                "committer": ["name": "Bulk Importer", "email": "bulk@acme.example", "username": "bulk"],
                "added": [String](), "removed": [String](), "modified": ["data/\(index).csv"],
            ]
        }
        let body = try Self.mutated("push-pr-merge") { object in
            object["commits"] = commits
            object["head_commit"] = commits.last
            object["after"] = commits.last?["id"]
        }
        let document = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        standIn.setComparison(
            repository: "acme/ops", base: document["before"] as! String, head: document["after"] as! String,
            GitHubStandIn.StoredComparison(
                commits: (0..<2300).map { (String(format: "%040x", $0 + 1), "commit \($0)", "bulk") },
                files: [("jobs/after-bulk-import.sh", "added")]))
        try await standIn.application.test(.live) { github in
            let client = RESTGitHubClient(
                // As intake is wired in production (`GitHubAccess.intakeAPI`).
                requester: .forIntake(baseURL: "http://127.0.0.1:\(try #require(github.port))"), credentials: StaticToken(standIn.token))
            try await harness.app(github: client).test(.live) { jobrunner in
                let (status, answer, text) = try await Self.post(jobrunner, body, headers: Self.headers(body))
                #expect(status == .accepted, "\(text)")
                #expect(answer?.pipelines.map(\.path) == ["jobs/after-bulk-import.sh"])
            }
        }
        let pages = standIn.requests.value.map(\.uri)
        #expect(pages.count == 23, "2300 commits at 100 per page")
        #expect(pages.last?.contains("page=23") == true)
    }

    @Test
    func withoutAPIAccessAnIncompletePushIsRecordedAsFailedAndARedeliveryLaterSucceeds() async throws {
        let harness = try Harness()
        let body = try Self.fixture("push-forced")
        try await harness.app(github: nil).test(.live) { client in
            let (status, answer, _) = try await Self.post(client, body, headers: Self.headers(body, delivery: "d-forced"))
            #expect(status == .unprocessableContent)
            #expect(answer?.outcome == "failed")
            #expect(answer?.reason?.contains("JOBRUNNER_GITHUB_TOKEN") == true)
        }
        #expect(try await harness.pipelines().isEmpty, "never guess from an incomplete payload")
        #expect(try await harness.store.delivery(DeliveryID("d-forced"))?.delivery.outcome == .failed)

        // The operator configures a token and redelivers from GitHub: the same delivery id now works.
        let standIn = GitHubStandIn()
        try Self.forcedComparison(standIn)
        try await standIn.application.test(.live) { github in
            let client = RESTGitHubClient(
                // As intake is wired in production (`GitHubAccess.intakeAPI`).
                requester: .forIntake(baseURL: "http://127.0.0.1:\(try #require(github.port))"), credentials: StaticToken(standIn.token))
            try await harness.app(github: client).test(.live) { jobrunner in
                let (status, answer, _) = try await Self.post(jobrunner, body, headers: Self.headers(body, delivery: "d-forced"))
                #expect(status == .accepted)
                #expect(answer?.redelivery == false)
                #expect(answer?.pipelines.count == 2)
            }
        }
        #expect(try await harness.store.delivery(DeliveryID("d-forced"))?.delivery.outcome == .accepted)
    }

    @Test(arguments: [
        (HTTPResponse.Status.badGateway, [String: String](), HTTPResponse.Status.badGateway, "502"),
        (.forbidden, ["X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1795340000"], .badGateway, "rate limit"),
        (.notFound, [:], .unprocessableContent, "404"),
    ])
    func compareFailuresAreRecordedAndTransientOnesTellGitHubToRetry(
        failure: HTTPResponse.Status, headers: [String: String], expected: HTTPResponse.Status, reason: String
    ) async throws {
        let standIn = GitHubStandIn()
        standIn.failure.withLock { $0 = GitHubStandIn.Failure(status: failure, headers: headers, message: "upstream trouble") }
        let harness = try Harness()
        let body = try Self.fixture("push-forced")
        try await standIn.application.test(.live) { github in
            let client = RESTGitHubClient(
                // As intake is wired in production (`GitHubAccess.intakeAPI`).
                requester: .forIntake(baseURL: "http://127.0.0.1:\(try #require(github.port))"), credentials: StaticToken(standIn.token))
            try await harness.app(github: client).test(.live) { jobrunner in
                let (status, answer, text) = try await Self.post(jobrunner, body, headers: Self.headers(body, delivery: "d-f"))
                #expect(status == expected, "\(text)")
                #expect(answer?.reason?.contains(reason) == true, "\(text)")
            }
        }
        #expect(try await harness.pipelines().isEmpty)
        #expect(try await harness.store.delivery(DeliveryID("d-f"))?.delivery.outcome == .failed)
    }

    @Test
    func aComparisonAtGitHubsFileLimitIsRefusedRatherThanGuessed() async throws {
        let standIn = GitHubStandIn()
        try Self.forcedComparison(standIn, files: (0..<300).map { ("jobs/s\($0).sh", "added") })
        let harness = try Harness()
        let body = try Self.fixture("push-forced")
        try await standIn.application.test(.live) { github in
            let client = RESTGitHubClient(
                // As intake is wired in production (`GitHubAccess.intakeAPI`).
                requester: .forIntake(baseURL: "http://127.0.0.1:\(try #require(github.port))"), credentials: StaticToken(standIn.token))
            try await harness.app(github: client).test(.live) { jobrunner in
                let (status, answer, _) = try await Self.post(jobrunner, body, headers: Self.headers(body))
                #expect(status == .unprocessableContent)
                #expect(answer?.reason?.contains("300") == true)
            }
        }
        #expect(try await harness.pipelines().isEmpty)
    }
}
