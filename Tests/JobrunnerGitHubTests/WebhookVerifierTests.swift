import Foundation
import NIOHTTP1
import JobrunnerCore
@testable import JobrunnerGitHub
import Testing

@Suite("Webhook signatures")
struct WebhookVerifierTests {
    static let secret = "It's a Secret to Everybody"
    static let body = Data("Hello, World!".utf8)
    static let published = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

    @Test
    func githubsPublishedVectorVerifies() throws {
        try WebhookVerifier(secrets: [Self.secret]).verify(body: Self.body, signature: Self.published)
        #expect(WebhookVerifier.signature(for: Self.body, secret: Self.secret) == Self.published)
        try WebhookVerifier(secrets: [Self.secret]).verify(body: Self.body, signature: Self.published.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="))
    }

    @Test
    func everyWayOfGettingItWrongIsRefusedWithItsReason() {
        let verifier = WebhookVerifier(secrets: [Self.secret])
        let cases: [(String?, String?, Data, WebhookSignatureError)] = [
            (nil, nil, Self.body, .missing),
            (nil, "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59", Self.body, .sha1Only),
            (String(Self.published.dropLast()), nil, Self.body, .malformed),
            ("sha256=" + String(repeating: "g", count: 64), nil, Self.body, .malformed),
            ("sha1=" + String(Self.published.dropFirst(7)), nil, Self.body, .malformed),
            (Self.published + "00", nil, Self.body, .malformed),
            ("", nil, Self.body, .malformed),
            (Self.published, nil, Data("Hello, World?".utf8), .mismatch),
            ("sha256=" + String(repeating: "0", count: 64), nil, Self.body, .mismatch),
        ]
        for (signature, legacy, body, expected) in cases {
            #expect(throws: expected, "\(signature ?? "nil")") {
                try verifier.verify(body: body, signature: signature, legacySignature: legacy)
            }
        }
        #expect(throws: WebhookSignatureError.mismatch) {
            try WebhookVerifier(secrets: ["another secret"]).verify(body: Self.body, signature: Self.published)
        }
    }

    @Test
    func anyConfiguredSecretVerifiesSoSecretsCanBeRotated() throws {
        let verifier = WebhookVerifier(secrets: ["the new one", Self.secret])
        try verifier.verify(body: Self.body, signature: Self.published)
        try verifier.verify(body: Self.body, signature: WebhookVerifier.signature(for: Self.body, secret: "the new one"))
    }
}

@Suite("Webhook payloads")
struct WebhookPayloadTests {
    @Test
    func formBodiesCarryTheJSONInThePayloadField() throws {
        let json = #"{"zen":"Keep it logically awesome & 100% simple."}"#
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = Data("payload=\(json.addingPercentEncoding(withAllowedCharacters: allowed)!)".utf8)
        let extracted = try WebhookPayload.json(body: body, contentType: "application/x-www-form-urlencoded")
        #expect(String(decoding: extracted, as: UTF8.self) == json)
        let plus = try WebhookPayload.json(body: Data("payload=%7B%22zen%22%3A%22a+b%22%7D".utf8), contentType: "application/x-www-form-urlencoded; charset=utf-8")
        #expect(String(decoding: plus, as: UTF8.self) == #"{"zen":"a b"}"#)
        #expect(throws: WebhookPayloadError.self) {
            try WebhookPayload.json(body: Data("other=1".utf8), contentType: "application/x-www-form-urlencoded")
        }
    }

    @Test
    func decodingErrorsNameTheField() {
        let missing = Data(#"{"ref":"refs/heads/main","before":"a","after":"b","created":false,"deleted":false,"forced":false,"commits":[{"id":"c","author":{"name":"x"}}],"repository":{"full_name":"a/b"},"pusher":{"name":"p"}}"#.utf8)
        #expect(throws: WebhookPayloadError("missing field commits[0].message")) {
            try WebhookPayload.decode(PushEvent.self, from: missing)
        }
        #expect(throws: WebhookPayloadError("body is not valid JSON")) {
            try WebhookPayload.decode(PushEvent.self, from: Data("{".utf8))
        }
    }

    @Test
    func nextPageLinksAreFoundInLinkHeaders() {
        let header = #"<https://api.github.com/repositories/1/compare/a...b?per_page=100&page=1>; rel="prev", <https://api.github.com/repositories/1/compare/a...b?per_page=100&page=3>; rel="next", <https://api.github.com/repositories/1/compare/a...b?per_page=100&page=9>; rel="last""#
        #expect(RESTGitHubClient.nextLink(header) == "https://api.github.com/repositories/1/compare/a...b?per_page=100&page=3")
        #expect(RESTGitHubClient.nextLink(#"<https://x/?page=1>; rel="first""#) == nil)
        #expect(RESTGitHubClient.nextLink(nil) == nil)
    }

    @Test
    func aNextLinkToAnotherHostIsNotFollowedWithTheToken() async throws {
        #expect(GitHubRequester.sameOrigin("https://api.github.com/repositories/1?page=2", "https://api.github.com"))
        #expect(GitHubRequester.sameOrigin("https://API.github.com:443/x", "https://api.github.com"))
        #expect(!GitHubRequester.sameOrigin("https://evil.example/x", "https://api.github.com"))
        #expect(!GitHubRequester.sameOrigin("http://api.github.com/x", "https://api.github.com"))
        #expect(!GitHubRequester.sameOrigin("https://api.github.com:8443/x", "https://api.github.com"))
        #expect(!GitHubRequester.sameOrigin("https://api.github.com.evil.example/x", "https://api.github.com"))
        // A closed port stands for the other host: the request must be refused before any connection.
        let requester = GitHubRequester(baseURL: "http://127.0.0.1:9/api", maxAttempts: 1)
        do {
            _ = try await requester.send(.GET, "http://127.0.0.1:1/steal", token: "ghs_secret")
            Issue.record("a request was sent")
        } catch let error as GitHubAPIError {
            guard case .invalidResponse(_, let reason) = error else {
                Issue.record("the request went out: \(error)")
                return
            }
            #expect(reason.contains("outside the configured API"))
        }
    }

    @Test
    func apiErrorsAreClassifiedForRetry() {
        #expect(GitHubAPIError.http(status: 502, url: "u", message: "m").failureKind == .transient)
        #expect(GitHubAPIError.http(status: 404, url: "u", message: "m").failureKind == .permanent)
        #expect(GitHubAPIError.http(status: 401, url: "u", message: "m").failureKind == .permanent)
        #expect(GitHubAPIError.rateLimited(url: "u", resetAt: 1).failureKind == .transient)
        #expect(GitHubAPIError.transport(url: "u", reason: "r").failureKind == .transient)
    }
}
