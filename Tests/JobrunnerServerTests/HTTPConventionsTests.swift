import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
@testable import JobrunnerServer
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import NIOCore
import NIOFoundationCompat
import Testing

/// The conventions every answer follows, each with its own test (issue: the API follows HTTP).
@Suite("HTTP conventions")
struct HTTPConventionsTests {
    static let alice = OperatorHarness.bearer(OperatorHarness.aliceToken)

    @Test
    func aPlusInAQueryIsASpaceAsFormsSendIt() async throws {
        let harness = try OperatorHarness()
        try await harness.record(1, prefix: "wanted", author: "space name")
        try await harness.record(1, prefix: "other", author: "spacename")
        try await harness.app().test(.router) { client in
            let found = try OperatorHarness.json(try await client.execute(uri: "/api/v1/pipelines?q=space+name", method: .get, headers: Self.alice))
            let scripts = (found["pipelines"] as? [[String: Any]])?.compactMap { $0["script"] as? String }
            #expect(scripts == ["jobs/wanted-0.sh"])
            let literal = try OperatorHarness.json(try await client.execute(uri: "/api/v1/pipelines?q=a%2Bb", method: .get, headers: Self.alice))
            #expect((literal["pipelines"] as? [Any])?.isEmpty == true, "%2B stays a plus")
            // The dashboard's own search form.
            let browser = try await OperatorHarness.signIn(client)
            let page = try await client.execute(uri: "/?q=space+name", method: .get, headers: browser.headers)
            let html = String(buffer: page.body)
            #expect(html.contains("jobs/wanted-0.sh") && !html.contains("jobs/other-0.sh"))
        }
    }

    @Test
    func headIsAnsweredWhereverGetIsWithoutABody() async throws {
        let harness = try OperatorHarness()
        try await harness.app().test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .head)
            #expect(health.status == .ok && health.body.readableBytes == 0)
            let list = try await client.execute(uri: "/api/v1/pipelines", method: .head, headers: Self.alice)
            #expect(list.status == .ok && list.body.readableBytes == 0 && list.headers[.cacheControl] == "no-store")
            #expect(try await client.execute(uri: "/api/v1/pipelines", method: .head).status == .unauthorized)
            #expect(try await client.execute(uri: "/no-such-page", method: .head).status == .notFound)
        }
    }

    @Test
    func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        let harness = try OperatorHarness()
        try await harness.app().test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .post)
            #expect(health.status == .methodNotAllowed && health.headers[.allow] == "GET, HEAD")
            let detail = try await client.execute(uri: "/api/v1/pipelines/1", method: .delete, headers: Self.alice)
            #expect(detail.status == .methodNotAllowed && detail.headers[.allow] == "GET, HEAD")
            let error = try OperatorHarness.json(detail)["error"] as? String
            #expect(error != nil, "the API's JSON error")
            let cancel = try await client.execute(uri: "/api/v1/pipelines/1/cancel", method: .get, headers: Self.alice)
            #expect(cancel.status == .methodNotAllowed && cancel.headers[.allow] == "POST")
            let webhook = try await client.execute(uri: "/webhooks/github", method: .get)
            #expect(webhook.status == .methodNotAllowed && webhook.headers[.allow] == "POST")
        }
    }

    @Test
    func unknownAPIPathsAnswer404WithTheDocumentedJSONError() async throws {
        let harness = try OperatorHarness()
        try await harness.app().test(.router) { client in
            for uri in ["/api/v1/nope", "/api/v1", "/api/v1/pipelines/1/stages", "/api/v1/pipelines/1/stages/process/retry/again"] {
                let response = try await client.execute(uri: uri, method: .get, headers: Self.alice)
                #expect(response.status == .notFound, "\(uri)")
                #expect(response.headers[.contentType] == "application/json")
                let error = try OperatorHarness.json(response)["error"] as? String
                #expect(error?.contains("no such API route") == true)
            }
        }
    }

    @Test
    func statusFiltersLikeState() async throws {
        let harness = try OperatorHarness()
        try await harness.record(2)
        let claimed = try #require(try await harness.store.claimNext(owner: "w", kinds: [.process], leaseDuration: .seconds(30)))
        try await harness.store.fail(claimed.lease, failure: .permanent("syntax error"))
        try await harness.app().test(.router) { client in
            for query in ["status=failed", "state=failed", "state=failed&status=queued"] {
                let page = try OperatorHarness.json(try await client.execute(uri: "/api/v1/pipelines?" + query, method: .get, headers: Self.alice))
                let ids = (page["pipelines"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }
                #expect(ids == [Int(claimed.pipeline.id.rawValue)], "\(query)")
            }
            let queued = try OperatorHarness.json(try await client.execute(uri: "/api/v1/pipelines?status=queued", method: .get, headers: Self.alice))
            #expect((queued["pipelines"] as? [Any])?.count == 1)
        }
    }

    @Test
    func aMalformedBodyIsExplainedWithoutTheDecodersInternals() async throws {
        let harness = try OperatorHarness()
        let id = try await harness.record(1)[0]
        try await harness.app().test(.router) { client in
            for (body, expected) in [
                (#"{"reason": 5}"#, "reason must be a string"), (#"{"confirm": "yes"}"#, "confirm must be true or false"),
                (#"["reason"]"#, "the body must be a JSON object"), ("{reason", "it is not valid JSON"),
            ] {
                let response = try await client.execute(
                    uri: "/api/v1/pipelines/\(id.rawValue)/cancel", method: .post, headers: Self.alice, body: ByteBuffer(string: body))
                #expect(response.status == .badRequest)
                let message = try OperatorHarness.json(response)["error"] as? String ?? ""
                #expect(message.contains(expected), "\(body): \(message)")
                for leak in ["DecodingError", "typeMismatch", "Swift.", "CodingKeys", "debugDescription", "dataCorrupted"] {
                    #expect(!message.contains(leak), "\(body): \(message)")
                }
            }
        }
    }

    @Test
    func aReasonOver500CharactersIsRefusedNotCut() async throws {
        let harness = try OperatorHarness()
        let id = try await harness.record(1)[0]
        try await harness.app().test(.router) { client in
            let long = String(repeating: "é", count: 501)
            let body = try JSONSerialization.data(withJSONObject: ["reason": long])
            let refused = try await client.execute(
                uri: "/api/v1/pipelines/\(id.rawValue)/cancel", method: .post, headers: Self.alice, body: ByteBuffer(data: body))
            #expect(refused.status == .unprocessableContent)
            let error = try OperatorHarness.json(refused)["error"] as? String
            #expect(error?.contains("at most 500") == true)
            #expect(try await harness.store.pipeline(id)?.summary.status == .queued, "nothing was cancelled")
            let exact = try JSONSerialization.data(withJSONObject: ["reason": String(repeating: "é", count: 500)])
            let accepted = try await client.execute(
                uri: "/api/v1/pipelines/\(id.rawValue)/cancel", method: .post, headers: Self.alice, body: ByteBuffer(data: exact))
            #expect(accepted.status == .accepted)
            let recorded = try await harness.store.pipeline(id)?.operatorActions.first?.reason
            #expect(recorded?.count == 500, "recorded whole")
        }
    }

    @Test
    func apiAnswersAreNeverCachedEvenErrors() async throws {
        let harness = try OperatorHarness()
        try await harness.app().test(.router) { client in
            for (uri, headers) in [("/api/v1/pipelines", Self.alice), ("/api/v1/pipelines", [:]), ("/api/v1/pipelines/99", Self.alice)] as [(String, HTTPFields)] {
                let response = try await client.execute(uri: uri, method: .get, headers: headers)
                #expect(response.headers[.cacheControl] == "no-store", "\(uri) \(response.status)")
            }
            #expect(try await client.execute(uri: "/healthz", method: .get).headers[.cacheControl] == nil, "only the API")
        }
    }

    @Test
    func anOverlongURLIs414AndAnOversizedBodyIs413() async throws {
        let harness = try OperatorHarness()
        let id = try await harness.record(1)[0]
        try await harness.app().test(.router) { client in
            let url = try await client.execute(uri: "/api/v1/pipelines?q=" + String(repeating: "a", count: 10_000), method: .get, headers: Self.alice)
            #expect(url.status == .uriTooLong)
            #expect(try OperatorHarness.json(url)["error"] as? String != nil)
            let body = ByteBuffer(string: "{\"reason\": \"" + String(repeating: "a", count: 70_000) + "\"}")
            let large = try await client.execute(uri: "/api/v1/pipelines/\(id.rawValue)/cancel", method: .post, headers: Self.alice, body: body)
            #expect(large.status == .contentTooLarge)
            #expect(try await harness.store.pipeline(id)?.summary.status == .queued)
        }
        // Past what the HTTP decoder reads at all (80 KiB), on a real connection.
        try await harness.app().test(.live) { client in
            let answer = try await Self.rawRequest(port: client.port!, target: "/api/v1/pipelines?q=" + String(repeating: "a", count: 100_000))
            #expect(answer.hasPrefix("HTTP/1.1 414"), "\(answer.prefix(200))")
            #expect(answer.contains("longer than the server reads"))
        }
    }

    /// Sends one request line as given on a plain socket; returns what came back.
    static func rawRequest(port: Int, target: String) async throws -> String {
        let connection = try RawConnection(port: port)
        try connection.send(Array("GET \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
        return try await connection.readToEnd()
    }
}

@Suite("Feedback waiting in the outbox, as operators see it")
struct OutboxVisibilityTests {
    @Test
    func thePipelinePageAndTheAPIShowWhatWaitsAndWhy() async throws {
        let harness = try OperatorHarness()
        let id = try await harness.record(1)[0]
        try await harness.store.enqueueFeedback([.started], for: id)
        let claimed = try await harness.store.claimFeedback(owner: "n", limit: 1, leaseDuration: .seconds(60))
        let retryAt = harness.clock.now().addingTimeInterval(300)
        try await harness.store.settleFeedback(
            claimed[0].message, owner: "n",
            .retry(at: retryAt, remaining: ["commit-status"], error: "commit-status: GitHub answered 502", countsAttempt: true),
            records: [])
        try await harness.app().test(.router) { client in
            let detail = try OperatorHarness.json(
                try await client.execute(uri: "/api/v1/pipelines/\(id.rawValue)", method: .get, headers: HTTPConventionsTests.alice))
            let outbox = try #require(detail["outbox"] as? [[String: Any]])
            #expect(outbox.count == 1)
            #expect(outbox.first?["state"] as? String == "pending" && outbox.first?["attempts"] as? Int == 1)
            #expect(outbox.first?["last_error"] as? String == "commit-status: GitHub answered 502")
            #expect(outbox.first?["remaining_channels"] as? [String] == ["commit-status"])
            let browser = try await OperatorHarness.signIn(client)
            let page = String(buffer: try await client.execute(uri: "/pipelines/\(id.rawValue)", method: .get, headers: browser.headers).body)
            #expect(page.contains("Feedback waiting to be delivered") && page.contains("GitHub answered 502"))
        }
    }
}
