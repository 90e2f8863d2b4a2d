import Foundation
import Logging
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
import JobrunnerServer
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import NIOCore
import Testing

/// A dashboard and API over a real SQLite store, with operator tokens and a manual clock (so
/// session expiry needs no waiting), plus what a browser would do: sign in, keep cookies,
/// read CSRF tokens out of forms.
final class OperatorHarness: Sendable {
    static let aliceToken = "alice-token-0123456789abcdef"
    static let bobToken = "bob-token-0123456789abcdef00"

    let directory: TemporaryDirectory
    let store: SQLitePipelineStore
    let settings: Settings
    /// The store's and the application's clock (sessions expire on it).
    let clock = ManualClock(start: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded()))

    init(configure: (inout Settings) -> Void = { _ in }) throws {
        directory = try TemporaryDirectory("operators")
        store = try SQLitePipelineStore(path: directory.file("jobrunner.sqlite"), clock: clock)
        var settings = Settings(webhookSecrets: ["hook-secret"], repositories: [Fixtures.repository("acme/ops")])
        settings.dashboardTokens = [
            OperatorToken(name: "alice", token: Self.aliceToken), OperatorToken(name: "bob", token: Self.bobToken),
        ]
        settings.sessionLifetime = .seconds(3600)
        settings.httpPort = 0
        configure(&settings)
        self.settings = settings
    }

    func app(logger: Logger = quietLogger) -> some ApplicationProtocol {
        var context = ApplicationContext(settings: settings, store: store, logger: logger)
        context.clock = clock
        return buildApplication(context)
    }

    /// Pipelines in the store: `count` scripts of acme/ops, oldest first.
    @discardableResult
    func record(_ count: Int, prefix: String = "script", author: String = "carol") async throws -> [PipelineID] {
        let pipelines = (0..<count).map { index in
            var pipeline = Fixtures.pipeline("jobs/\(prefix)-\(index).sh", commit: "c\(index)")
            pipeline.author = author
            pipeline.pullRequest = 40 + index
            return pipeline
        }
        return try await store.recordDelivery(Fixtures.delivery(UUID().uuidString), pipelines: pipelines).pipelines.map(\.id)
    }

    /// A signed-in browser: its session cookie and the CSRF token of its forms.
    struct Browser {
        var cookie: String
        var csrf: String

        var headers: HTTPFields { [.cookie: cookie] }
    }

    /// Signs in through the form like a browser: GET /login, then POST it with the token.
    static func signIn(_ client: some TestClientProtocol, token: String = aliceToken) async throws -> Browser {
        let form = try await client.execute(uri: "/login", method: .get)
        let nonce = try #require(cookie(named: "jobrunner_login", in: form))
        let loginCSRF = try #require(csrfToken(in: String(buffer: form.body)))
        let answer = try await client.execute(
            uri: "/login", method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "jobrunner_login=\(nonce)"],
            body: ByteBuffer(string: "csrf=\(escape(loginCSRF))&token=\(escape(token))&next=%2F"))
        #expect(answer.status == .seeOther)
        let session = try #require(cookie(named: "jobrunner_session", in: answer))
        let page = try await client.execute(uri: "/", method: .get, headers: [.cookie: "jobrunner_session=\(session)"])
        #expect(page.status == .ok)
        let csrf = try #require(csrfToken(in: String(buffer: page.body)))
        return Browser(cookie: "jobrunner_session=\(session)", csrf: csrf)
    }

    static func cookie(named name: String, in response: TestResponse) -> String? {
        for header in response.headers[values: .setCookie] where header.hasPrefix(name + "=") {
            return String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return nil
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func escape(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        ByteBuffer(string: fields.sorted { $0.key < $1.key }.map { "\($0.key)=\(escape($0.value))" }.joined(separator: "&"))
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }
}
