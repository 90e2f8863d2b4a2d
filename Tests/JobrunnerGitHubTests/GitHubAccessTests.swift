import Foundation
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerFeedback
import JobrunnerTestSupport
import Testing
import _CryptoExtras

/// The REST side of GitHub against the local stand-in: backoff, App authentication, the
/// approval policy, commit statuses, pull request comments and signed callbacks.
@Suite("GitHub API: auth, retries, approval, feedback")
struct GitHubAccessTests {
    static let repository = RepositoryName(rawValue: "acme/ops")!
    static let token = "ghs_static"
    static let commit = String(repeating: "c", count: 40)
    /// The pull requests' final head commit: the approvals that count are given on it.
    static let head = String(repeating: "f", count: 40)

    func pipeline(commit: String = GitHubAccessTests.commit, pullRequest: Int? = nil) -> PipelineRecord {
        PipelineRecord(
            id: PipelineID(7),
            source: NewPipeline(
                repository: Self.repository, branch: "main", scriptPath: "jobs/fix.ts", commit: commit, pullRequest: pullRequest),
            deliveryID: DeliveryID("d-1"), createdAt: Date())
    }

    static func pull(_ number: Int, author: String, merged: Bool = true, mergedBy: String? = "carol", base: String = "main")
        -> [String: Any]
    {
        [
            "number": number, "title": "Fix the data", "html_url": "https://github.example/acme/ops/pull/\(number)",
            "state": "closed", "user": ["login": author], "base": ["ref": base, "sha": String(repeating: "b", count: 40)],
            "head": ["ref": "fix", "sha": head],
            "merged_at": merged ? "2026-11-22T10:00:00Z" : NSNull(), "merge_commit_sha": commit,
            "merged_by": mergedBy.map { ["login": $0] as Any } ?? NSNull(),
        ]
    }

    static func review(_ id: Int, _ login: String, _ state: String, on commit: String = head) -> [String: Any] {
        ["id": id, "user": ["login": login], "state": state, "body": "", "submitted_at": "2026-11-22T09:00:00Z", "commit_id": commit]
    }

    static func pullCommit(_ sha: String, author: String?, committer: String?) -> [String: Any] {
        [
            "sha": sha, "commit": ["message": "change"],
            "author": author.map { ["login": $0] as Any } ?? NSNull(), "committer": committer.map { ["login": $0] as Any } ?? NSNull(),
        ]
    }

    func standIn(pulls: [String: Any] = [:], app: [String: Any]? = nil, in directory: TemporaryDirectory) async throws
        -> GitHubAPIStandIn
    {
        let git = try GitFixture()
        var configuration: [String: Any] = [
            "repositories": [Self.repository.rawValue: git.bare], "tokens": [Self.token],
            "pulls": [Self.repository.rawValue: pulls],
        ]
        if let app { configuration["app"] = app }
        return try await GitHubAPIStandIn.start(configuration, in: directory)
    }

    func client(_ standIn: GitHubAPIStandIn, clock: any JobClock = ElapsingClock()) -> RESTGitHubClient {
        RESTGitHubClient(requester: GitHubRequester(baseURL: standIn.baseURL, clock: clock), credentials: StaticToken(Self.token))
    }

    // MARK: Retries

    @Test
    func serverErrorsAndShortRateLimitsAreRetriedWithBackoffAndLongOnesAreLeftToTheStage() async throws {
        let directory = try TemporaryDirectory("gh")
        let github = try await standIn(pulls: ["pulls": ["5": Self.pull(5, author: "alice")]], in: directory)
        defer { github.stop() }
        let clock = ElapsingClock()
        let api = client(github, clock: clock)
        let path = "/repos/acme/ops/pulls/5"
        let reset = Int(clock.now().timeIntervalSince1970) + 30
        try await github.inject([
            ["method": "GET", "path": path, "status": 502, "times": 2],
            ["method": "GET", "path": path, "status": 403, "times": 1,
             "headers": ["X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "\(reset)"]],
        ])
        let pull = try await api.pullRequest(5, in: Self.repository)
        #expect(pull.number == 5 && pull.mergedBy?.login == "carol")
        #expect(clock.sleeps.count == 3)
        #expect(Array(clock.sleeps.prefix(2)) == [.seconds(1), .seconds(4)], "backoff after each 502")
        // The reset was 30 s away when the first try began; 5 s of backoff have passed since.
        #expect(clock.sleeps.last! >= .seconds(25) && clock.sleeps.last! <= .seconds(27), "until the rate limit resets")

        // A reset an hour away is not waited for here: the stage retries later.
        try await github.inject([
            ["method": "GET", "path": path, "status": 429, "times": 1,
             "headers": ["X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "\(reset + 3600)"]]
        ])
        await #expect {
            _ = try await api.pullRequest(5, in: Self.repository)
        } throws: { error in
            guard let error = error as? GitHubAPIError, case .rateLimited = error else { return false }
            return error.failureKind == .transient
        }
        // A 404 is an answer, not something to retry.
        let before = clock.sleeps.count
        await #expect {
            _ = try await api.pullRequest(404, in: Self.repository)
        } throws: { ($0 as? GitHubAPIError)?.status == 404 && ($0 as? GitHubAPIError)?.failureKind == .permanent }
        #expect(clock.sleeps.count == before)
        let requests = try await github.requests()
        #expect(requests.allSatisfy { $0.authorization == "Bearer \(Self.token)" && $0.apiVersion == "2022-11-28" })
    }

    // MARK: GitHub App

    @Test
    func aGitHubAppMintsInstallationTokensWithASignedJWTAndCachesThem() async throws {
        let directory = try TemporaryDirectory("gh")
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let github = try await standIn(
            pulls: ["pulls": ["5": Self.pull(5, author: "alice")]],
            app: ["id": "4242", "installation_id": 77, "token_lifetime": 3600], in: directory)
        defer { github.stop() }
        let clock = ElapsingClock()
        let credentials = try GitHubAppCredentials(
            appID: "4242", privateKeyPEM: key.pemRepresentation,
            requester: GitHubRequester(baseURL: github.baseURL, clock: clock), clock: clock)
        let api = RESTGitHubClient(requester: GitHubRequester(baseURL: github.baseURL, clock: clock), credentials: credentials)

        _ = try await api.pullRequest(5, in: Self.repository)
        _ = try await api.pullRequest(5, in: Self.repository)
        var requests = try await github.requests()
        #expect(requests.map(\.path) == [
            "/repos/acme/ops/installation", "/app/installations/77/access_tokens", "/repos/acme/ops/pulls/5",
            "/repos/acme/ops/pulls/5",
        ], "one installation lookup and one token for both calls")
        let minted = requests[2].authorization
        #expect(minted?.hasPrefix("Bearer ghs_") == true)
        #expect(requests[3].authorization == minted, "the cached token")

        // The JWT: RS256 over header.claims with the App's key, issued by the App, ≤ 10 minutes.
        let jwt = try #require(requests[1].authorization?.dropFirst("Bearer ".count)).split(separator: ".")
        #expect(jwt.count == 3)
        let signatureBytes = try #require(Self.base64URL(String(jwt[2])))
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureBytes)
        #expect(key.publicKey.isValidSignature(
            signature, for: Data("\(jwt[0]).\(jwt[1])".utf8), padding: .insecurePKCS1v1_5))
        let claimBytes = try #require(Self.base64URL(String(jwt[1])))
        let claims = try #require(try JSONSerialization.jsonObject(with: claimBytes) as? [String: Any])
        #expect(claims["iss"] as? String == "4242")
        let expires = try #require(claims["exp"] as? Int)
        let issued = try #require(claims["iat"] as? Int)
        let lifetime = expires - issued
        #expect(lifetime > 0 && lifetime <= 600)

        // Shortly before it expires, a new token is minted.
        clock.advance(by: .seconds(3600 - 200))
        _ = try await api.pullRequest(5, in: Self.repository)
        requests = try await github.requests()
        #expect(requests.filter { $0.path.hasSuffix("/access_tokens") }.count == 2)
        #expect(requests.last?.authorization != minted)

        // An App that is not installed on a repository says so.
        await #expect(throws: GitHubAppError.notInstalled(appID: "4242", repository: "acme/elsewhere")) {
            _ = try await credentials.token(for: RepositoryName(rawValue: "acme/elsewhere")!)
        }
        #expect(throws: GitHubAppError.self) {
            _ = try GitHubAppCredentials(appID: "1", privateKeyPEM: "not a key", requester: GitHubRequester(baseURL: github.baseURL))
        }
    }

    static func base64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    // MARK: Approval policy

    @Test
    func theApprovalPolicyCountsEachReviewersLatestDecisionAndNeverTheAuthor() async throws {
        let directory = try TemporaryDirectory("gh")
        let other = String(repeating: "d", count: 40)
        let unmerged = String(repeating: "e", count: 40)
        // 120 reviews so they span two pages; only the last word of each reviewer counts.
        var reviews: [[String: Any]] = (1...116).map { Self.review($0, "commenter\($0 % 3)", "COMMENTED") }
        reviews += [
            Self.review(200, "alice", "APPROVED"),  // the author: never counts
            Self.review(201, "bob", "APPROVED"),
            Self.review(202, "dave", "APPROVED"),
            Self.review(203, "dave", "CHANGES_REQUESTED"),  // withdrawn
        ]
        let github = try await standIn(
            pulls: [
                "by_commit": [Self.commit: [5], other: [], unmerged: [6]],
                "pulls": ["5": Self.pull(5, author: "alice"), "6": Self.pull(6, author: "alice", merged: false, mergedBy: nil)],
                "reviews": ["5": reviews],
            ], in: directory)
        defer { github.stop() }
        let api = client(github)

        let one = try await GitHubApprovalGate(api: api, requiredApprovals: 1).check(pipeline())
        #expect(one == PullRequestApproval(
            number: 5, url: "https://github.example/acme/ops/pull/5", title: "Fix the data", author: "alice",
            approvers: ["bob"], mergedBy: "carol", requiredApprovals: 1))
        #expect(try await github.requests().contains { $0.path.hasSuffix("/reviews") && $0.query["page"] == "2" })

        await #expect {
            _ = try await GitHubApprovalGate(api: api, requiredApprovals: 2).check(pipeline())
        } throws: { error in
            guard let failure = error as? StageFailure else { return false }
            return failure.kind == .permanent && failure.message.contains("#5") && failure.message.contains("1 approving")
                && failure.message.contains("2 required")
        }
        for commit in [other, unmerged] {
            await #expect {
                _ = try await GitHubApprovalGate(api: api, requiredApprovals: 1).check(pipeline(commit: commit))
            } throws: { error in
                (error as? StageFailure)?.kind == .permanent
                    && (error as? StageFailure)?.message.contains("did not come from a merged pull request") == true
            }
        }
        // Policy off: the pull request is only looked up for the log, and its absence is fine.
        #expect(try await GitHubApprovalGate(api: api, requiredApprovals: 0).check(pipeline(commit: other)) == nil)
        #expect(try await GitHubApprovalGate(api: api, requiredApprovals: 0).check(pipeline())?.approvers == ["bob"])
    }

    @Test
    func onlyApprovalsOfTheFinalHeadFromNeitherAuthorNorCommittersOfTheMergingPullRequestCount() async throws {
        let directory = try TemporaryDirectory("gh-strict")
        let rebased = String(repeating: "a", count: 40)
        var seven = Self.pull(7, author: "mallory")
        seven["merge_commit_sha"] = String(repeating: "9", count: 40)
        let github = try await standIn(
            pulls: [
                // 5 merged the commit; 7 merely contains it (and is approved): it must not lend its approvals.
                "by_commit": [Self.commit: [7, 5], rebased: [7, 8]],
                "pulls": ["5": Self.pull(5, author: "alice"), "7": seven, "8": Self.pull(8, author: "alice")],
                "reviews": [
                    "5": [
                        Self.review(1, "bob", "APPROVED", on: String(repeating: "0", count: 40)),  // stale: an earlier head
                        Self.review(2, "carol", "APPROVED"),  // committed one of the commits
                        Self.review(3, "erin", "APPROVED"),  // wrote one of the commits
                        Self.review(4, "dave", "APPROVED"),
                    ],
                    "7": [Self.review(5, "bob", "APPROVED"), Self.review(6, "frank", "APPROVED")],
                ],
                "commits": ["5": [
                    Self.pullCommit(String(repeating: "1", count: 40), author: "alice", committer: "web-flow"),
                    Self.pullCommit(String(repeating: "2", count: 40), author: "erin", committer: "carol"),
                ]],
            ], in: directory)
        defer { github.stop() }
        let api = client(github)
        let found = try await GitHubApprovalGate(api: api, requiredApprovals: 1).check(pipeline())
        #expect(found?.number == 5, "the pull request that merged the commit")
        #expect(found?.approvers == ["dave"], "not the stale approval, not the author's or committers'")
        await #expect {
            _ = try await GitHubApprovalGate(api: api, requiredApprovals: 2).check(pipeline())
        } throws: { error in
            (error as? StageFailure)?.message.contains("1 approving review(s) of its final commit") == true
        }
        // Two merged pull requests contain it and neither merged it: which one's approvals would count?
        await #expect {
            _ = try await GitHubApprovalGate(api: api, requiredApprovals: 1).check(pipeline(commit: rebased))
        } throws: { error in
            (error as? StageFailure)?.message.contains("none of them merged it") == true
        }
    }

    // MARK: Feedback

    /// Remembers comment threads in memory, as the store does.
    actor Threads: CommentThreadStore {
        var threads: [PipelineID: CommentThread] = [:]
        func commentThread(for pipeline: PipelineID) async throws -> CommentThread? { threads[pipeline] }
        func saveCommentThread(_ thread: CommentThread) async throws { threads[thread.pipelineID] = thread }
    }

    func delivery(_ event: PipelineEvent, id: Int64, latest: Bool = true, pullRequest: Int? = nil) -> FeedbackDelivery {
        FeedbackDelivery(
            messageID: id, event: event, pipeline: pipeline(pullRequest: pullRequest), isLatest: latest,
            snapshot: PipelineSnapshot(detail: nil, artifact: nil, execution: nil))
    }

    @Test
    func statusesCommentsAndSignedCallbacksSayWhatHappened() async throws {
        let directory = try TemporaryDirectory("gh")
        let github = try await standIn(in: directory)
        defer { github.stop() }
        let api = client(github)
        let clock = ElapsingClock()
        let statuses = CommitStatusChannel(api: api, dashboardURL: "https://jobrunner.example")
        let comments = PullRequestCommentChannel(
            api: api, threads: Threads(), dashboardURL: "https://jobrunner.example", minimumInterval: .seconds(10), clock: clock)
        let callbacks = CallbackChannel(
            urls: [github.baseURL + "/callbacks/ok", github.baseURL + "/callbacks/down"], secret: "cb-secret", clock: clock)
        try await github.inject([["method": "POST", "path": "/callbacks/down", "status": 503, "times": 1]])

        let report = PipelineReport(
            outcome: .succeeded, exitCode: 0, duration: .milliseconds(1500), logPath: "jobrunner-logs/x.md",
            logURL: "https://github.example/acme/ops/blob/abc/jobrunner-logs/x.md", logCommit: "abc123", pullRequest: 5)
        #expect(try await statuses.deliver(delivery(.started, id: 1)).count == 1)
        #expect(try await comments.deliver(delivery(.started, id: 1)).isEmpty, "no pull request known yet")
        #expect(!callbacks.wants(.started))
        // Waiting for the deploy: the status says why; the pull request gets its one comment.
        let waiting = "waiting for the deploy of 1a2b3c4; the application runs 9f8e7d6"
        #expect(try await statuses.deliver(delivery(.waiting(reason: waiting, pullRequest: 5), id: 2)).count == 1)
        let created = try await comments.deliver(delivery(.waiting(reason: waiting, pullRequest: 5), id: 2))
        #expect(created.count == 1 && created[0].hasPrefix("https://github.example/pull/5#issuecomment-"))
        #expect(!callbacks.wants(.waiting(reason: waiting, pullRequest: 5)))
        #expect(try await statuses.deliver(delivery(.finished(report), id: 3)).count == 1)
        // Within the edit interval the comment waits; a message a later one covers is skipped.
        await #expect(throws: FeedbackDeferral.self) { _ = try await comments.deliver(delivery(.finished(report), id: 3)) }
        clock.advance(by: .seconds(10))
        #expect(try await comments.deliver(delivery(.finished(report), id: 3, latest: false)).isEmpty)
        let edited = try await comments.deliver(delivery(.finished(report), id: 3))
        #expect(edited == [created[0] + " (edited)"])
        clock.advance(by: .seconds(10))
        #expect(try await comments.deliver(delivery(.finished(report), id: 3)).isEmpty, "an unchanged body is not sent again")
        await #expect {
            _ = try await callbacks.deliver(delivery(.finished(report), id: 3))
        } throws: { error in
            let text = "\(error)"
            return text.contains("/callbacks/down: answered 503") && !text.contains("/callbacks/ok")
        }
        // The outbox retries (not the channel), with the same delivery id.
        #expect(try await callbacks.deliver(delivery(.finished(report), id: 3)).count == 2)
        _ = try await statuses.deliver(delivery(.failed(stage: .process, reason: "approval policy: none"), id: 4))

        let requests = try await github.requests()
        let posted = try requests.filter { $0.path == "/repos/acme/ops/statuses/\(Self.commit)" }.map { try $0.json() }
        #expect(posted.map { $0["state"] as? String } == ["pending", "pending", "success", "error"])
        #expect(posted.allSatisfy { $0["context"] as? String == "jobrunner: jobs/fix.ts" })
        #expect(posted[0]["target_url"] as? String == "https://jobrunner.example/pipelines/7")
        #expect((posted[1]["description"] as? String)?.contains(waiting) == true)
        #expect(posted[2]["target_url"] as? String == report.logURL)
        #expect((posted[3]["description"] as? String)?.contains("approval policy") == true)
        let commentRequests = requests.filter { $0.path.contains("/issues/") }
        #expect(commentRequests.map(\.method) == ["POST", "PATCH"], "one comment, edited once")
        let first = try commentRequests[0].json()["body"] as? String ?? ""
        #expect(first.contains("<!-- jobrunner:pipeline:7 -->") && first.contains("[7](https://jobrunner.example/pipelines/7)"))
        let last = try commentRequests[1].json()["body"] as? String ?? ""
        #expect(last.contains("`jobs/fix.ts`") && last.contains(report.logURL!) && last.contains("abc123"))

        // The callback is signed the way GitHub signs webhooks: a receiver verifies it so.
        let callback = try #require(requests.first { $0.path == "/callbacks/ok" })
        try WebhookVerifier(secrets: ["cb-secret"]).verify(body: callback.body, signature: callback.header("X-Hub-Signature-256"))
        #expect(callback.header("X-Jobrunner-Signature-256") == callback.header("X-Hub-Signature-256"))
        #expect(throws: (any Error).self) {
            try WebhookVerifier(secrets: ["other"]).verify(body: callback.body, signature: callback.header("X-Hub-Signature-256"))
        }
        let payload = try callback.json()
        #expect(payload["event"] as? String == "pipeline.succeeded")
        #expect((payload["pipeline"] as? [String: Any])?["script"] as? String == "jobs/fix.ts")
        #expect((payload["execution"] as? [String: Any])?["exit_status"] as? Int == 0)
        #expect((payload["log"] as? [String: Any])?["url"] as? String == report.logURL)
        let downs = requests.filter { $0.path == "/callbacks/down" }
        #expect(downs.count == 2 && Set(downs.map { $0.header("X-Jobrunner-Delivery") }).count == 1)
        #expect(clock.sleeps.isEmpty, "the channel does not wait: the outbox retries")
    }

    @Test
    func refusedAndRateLimitedFeedbackIsNotRetriedBlindly() async throws {
        let directory = try TemporaryDirectory("gh")
        let github = try await standIn(in: directory)
        defer { github.stop() }
        let api = client(github)
        let comments = PullRequestCommentChannel(api: api, threads: Threads(), dashboardURL: nil)
        let statuses = CommitStatusChannel(api: api, dashboardURL: nil)
        try await github.inject([
            ["method": "POST", "path": "/repos/acme/ops/issues/5/comments", "status": 404, "times": 1],
            [
                "method": "POST", "path": "/repos/acme/ops/statuses/\(Self.commit)", "status": 403, "times": 1,
                "headers": ["X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4102444800"],
            ],
        ])
        await #expect(throws: FeedbackRefused.self) { _ = try await comments.deliver(delivery(.started, id: 1, pullRequest: 5)) }
        await #expect {
            _ = try await statuses.deliver(delivery(.started, id: 1))
        } throws: { error in
            (error as? FeedbackDeferral)?.until == Date(timeIntervalSince1970: 4_102_444_800)
        }
    }
}

extension GitHubAccessTests {
    @Test
    func aDiscardedPipelineSaysSoInItsStatusCommentAndCallback() async throws {
        let directory = try TemporaryDirectory("gh")
        let github = try await standIn(in: directory)
        defer { github.stop() }
        let api = client(github)
        let event = PipelineEvent.discarded(
            by: "alice", reason: "the table it fixed is gone", logPath: "jobrunner-logs/x.md",
            logURL: "https://github.example/acme/ops/blob/abc/jobrunner-logs/x.md", logCommit: "abc123")
        _ = try await CommitStatusChannel(api: api, dashboardURL: nil).deliver(delivery(event, id: 9))
        let comment = try await PullRequestCommentChannel(api: api, threads: Threads(), dashboardURL: nil)
            .deliver(delivery(event, id: 9, pullRequest: 5))
        #expect(comment.count == 1)
        let callbacks = CallbackChannel(urls: [github.baseURL + "/callbacks/ok"], secret: "cb-secret")
        #expect(callbacks.wants(event))
        _ = try await callbacks.deliver(delivery(event, id: 9))
        let requests = try await github.requests()
        let status = try #require(try requests.first { $0.path.hasPrefix("/repos/acme/ops/statuses/") }?.json())
        #expect(status["state"] as? String == "error")
        #expect((status["description"] as? String)?.contains("discarded by alice: the table it fixed is gone") == true)
        let body = try #require(try requests.first { $0.path == "/repos/acme/ops/issues/5/comments" }?.json()["body"] as? String)
        #expect(body.contains("by alice: the table it fixed is gone") && body.contains("jobrunner-logs/x.md"))
        let payload = try #require(try requests.first { $0.path == "/callbacks/ok" }?.json())
        #expect(payload["event"] as? String == "pipeline.discarded")
        #expect((payload["discard"] as? [String: Any])?["by"] as? String == "alice")
    }
}
