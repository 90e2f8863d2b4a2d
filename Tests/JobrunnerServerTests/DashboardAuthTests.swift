import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
@testable import JobrunnerServer
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Logging
import NIOCore
import Testing

@Suite("Dashboard and API authentication")
struct DashboardAuthTests {
    @Test
    func nothingButWebhookHealthAndTheSignInPageIsReachableWithoutAnOperator() async throws {
        let harness = try OperatorHarness()
        let id = try await harness.record(1)[0]
        try await harness.app().test(.router) { client in
            for path in ["/", "/pipelines/\(id.rawValue)", "/?state=failed&q=x"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .seeOther, "\(path)")
                #expect(response.headers[.location] == "/login?next=" + OperatorHarness.escape(path).replacingOccurrences(of: "%2F", with: "/"))
            }
            for (method, path) in [
                (HTTPRequest.Method.get, "/api/v1/pipelines"), (.get, "/api/v1/pipelines/\(id.rawValue)"),
                (.post, "/api/v1/pipelines/\(id.rawValue)/cancel"), (.post, "/api/v1/pipelines/\(id.rawValue)/stages/process/retry"),
                (.get, "/metrics"), (.get, "/pipelines/\(id.rawValue)/events"),
                (.post, "/pipelines/\(id.rawValue)/cancel"), (.post, "/pipelines/\(id.rawValue)/stages/process/retry"),
            ] {
                let response = try await client.execute(uri: path, method: method)
                #expect(response.status == .unauthorized, "\(method) \(path)")
                if path.hasPrefix("/api/") || path == "/metrics" {
                    #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="jobrunner""#)
                }
            }
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/login", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/assets/dashboard.css", method: .get).status == .ok)
        }
        // Nothing was done to the pipeline by any of it.
        let detail = try #require(try await harness.store.pipeline(id))
        #expect(detail.summary.status == .queued)
        #expect(detail.operatorActions.isEmpty)
    }

    @Test
    func badTokensAreRefusedAndGoodOnesNameTheOperator() async throws {
        let harness = try OperatorHarness()
        try await harness.record(1)
        try await harness.app().test(.router) { client in
            for header in [
                "Bearer wrong-token-0123456789", "Bearer " + OperatorHarness.aliceToken + "x", "Basic " + OperatorHarness.aliceToken,
                "Bearer", OperatorHarness.aliceToken,
            ] {
                let response = try await client.execute(uri: "/api/v1/pipelines", method: .get, headers: [.authorization: header])
                #expect(response.status == .unauthorized, "\(header)")
            }
            let ok = try await client.execute(
                uri: "/api/v1/pipelines", method: .get, headers: OperatorHarness.bearer(OperatorHarness.bobToken))
            #expect(ok.status == .ok)

            // The sign-in form refuses a wrong token and sets no session.
            let form = try await client.execute(uri: "/login", method: .get)
            let nonce = try #require(OperatorHarness.cookie(named: "jobrunner_login", in: form))
            let csrf = try #require(OperatorHarness.csrfToken(in: String(buffer: form.body)))
            let refused = try await client.execute(
                uri: "/login", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "jobrunner_login=\(nonce)"],
                body: OperatorHarness.form(["csrf": csrf, "token": "not-a-token-at-all-000", "next": "/"]))
            #expect(refused.status == .unauthorized)
            #expect(OperatorHarness.cookie(named: "jobrunner_session", in: refused) == nil)
            #expect(String(buffer: refused.body).contains("That token is not valid."))
        }
    }

    @Test
    func signingInGivesAnHttpOnlySameSiteSessionThatExpires() async throws {
        let harness = try OperatorHarness()
        try await harness.record(1)
        try await harness.app().test(.router) { client in
            let form = try await client.execute(uri: "/login", method: .get)
            let nonce = try #require(OperatorHarness.cookie(named: "jobrunner_login", in: form))
            let csrf = try #require(OperatorHarness.csrfToken(in: String(buffer: form.body)))
            let answer = try await client.execute(
                uri: "/login", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "jobrunner_login=\(nonce)"],
                body: OperatorHarness.form(["csrf": csrf, "token": OperatorHarness.aliceToken, "next": "/pipelines/1"]))
            #expect(answer.status == .seeOther)
            #expect(answer.headers[.location] == "/pipelines/1")
            let setCookie = try #require(answer.headers[values: .setCookie].first { $0.hasPrefix("jobrunner_session=") })
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Lax"))
            #expect(setCookie.contains("Max-Age=3600"))
            #expect(setCookie.contains("Path=/"))
            let session = try #require(OperatorHarness.cookie(named: "jobrunner_session", in: answer))

            let page = try await client.execute(uri: "/", method: .get, headers: [.cookie: "jobrunner_session=\(session)"])
            #expect(page.status == .ok)
            #expect(String(buffer: page.body).contains(#"<span class="who" title="signed in">alice</span>"#))
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)

            // A session edited to name another operator is worthless.
            let parts = session.split(separator: ".").map(String.init)
            let forged = ([parts[0], "Ym9i"] + parts[2...]).joined(separator: ".")
            let refused = try await client.execute(uri: "/", method: .get, headers: [.cookie: "jobrunner_session=\(forged)"])
            #expect(refused.status == .seeOther)

            // After its lifetime the session no longer opens anything.
            harness.clock.advance(by: .seconds(3601))
            let expired = try await client.execute(uri: "/", method: .get, headers: [.cookie: "jobrunner_session=\(session)"])
            #expect(expired.status == .seeOther)
            #expect(expired.headers[.location]?.hasPrefix("/login") == true)
        }
    }

    @Test
    func everyStateChangingFormNeedsTheSessionsCSRFTokenFromThisOrigin() async throws {
        let harness = try OperatorHarness()
        let id = try await harness.record(1)[0]
        try await harness.app().test(.router) { client in
            let browser = try await OperatorHarness.signIn(client)
            let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: browser.cookie]
            let uri = "/pipelines/\(id.rawValue)/cancel"
            let missing = try await client.execute(uri: uri, method: .post, headers: formType, body: OperatorHarness.form(["reason": "x"]))
            #expect(missing.status == .forbidden)
            let wrong = try await client.execute(
                uri: uri, method: .post, headers: formType, body: OperatorHarness.form(["csrf": "AAAA" + browser.csrf.dropFirst(4), "reason": "x"]))
            #expect(wrong.status == .forbidden)
            var crossSite = formType
            crossSite[.origin] = "https://evil.example"
            let foreign = try await client.execute(
                uri: uri, method: .post, headers: crossSite, body: OperatorHarness.form(["csrf": browser.csrf]))
            #expect(foreign.status == .forbidden)
            // Bob's session's token does not work with Alice's session.
            let bob = try await OperatorHarness.signIn(client, token: OperatorHarness.bobToken)
            let mixed = try await client.execute(uri: uri, method: .post, headers: formType, body: OperatorHarness.form(["csrf": bob.csrf]))
            #expect(mixed.status == .forbidden)
            #expect(try await harness.store.pipeline(id)?.operatorActions.isEmpty == true, "nothing happened")

            let done = try await client.execute(
                uri: uri, method: .post, headers: formType, body: OperatorHarness.form(["csrf": browser.csrf, "reason": "not needed"]))
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/pipelines/\(id.rawValue)?done=cancelled")
            let actions = try #require(try await harness.store.pipeline(id)).operatorActions
            #expect(actions.map(\.operatorName) == ["alice"])
            #expect(actions.map(\.reason) == ["not needed"])

            // Sign-in itself is protected: a form without the sign-in cookie is refused.
            let login = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: OperatorHarness.form(["csrf": browser.csrf, "token": OperatorHarness.aliceToken]))
            #expect(login.status == .forbidden)
            #expect(OperatorHarness.cookie(named: "jobrunner_session", in: login) == nil)

            // Signing out needs the token too, and clears the cookie.
            let logout = try await client.execute(
                uri: "/logout", method: .post, headers: formType, body: OperatorHarness.form(["csrf": browser.csrf]))
            #expect(logout.status == .seeOther)
            #expect(logout.headers[values: .setCookie].contains { $0.hasPrefix("jobrunner_session=;") && $0.contains("Max-Age=0") })
        }
    }

    @Test
    func withoutOperatorTokensTheDashboardAndAPIAreClosed() async throws {
        let harness = try OperatorHarness { $0.dashboardTokens = [] }
        try await harness.app().test(.router) { client in
            let login = try await client.execute(uri: "/login", method: .get)
            #expect(String(buffer: login.body).contains("The dashboard is closed"))
            let api = try await client.execute(uri: "/api/v1/pipelines", method: .get, headers: OperatorHarness.bearer("anything-at-all-123"))
            #expect(api.status == .unauthorized)
            #expect(try await client.execute(uri: "/", method: .get).status == .seeOther)
        }
    }

    @Test
    func nextOnlyLeadsToPagesOfThisSite() {
        #expect(DashboardRoutes.safeNext("/pipelines/3") == "/pipelines/3")
        for hostile in [
            "https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)", "/login",
            "/\t/evil.example", "/\n/evil.example", "/\r//evil.example", "/ /evil.example", "/\u{3000}/evil.example",
        ] {
            #expect(DashboardRoutes.safeNext(hostile) == "/", "\(hostile)")
        }
    }

    @Test
    func failedSignInsAreLoggedAndAfterTenAClientIsRefusedForAWhile() async throws {
        let harness = try OperatorHarness()
        let lines = Locked<[String]>([])
        let logger = Logger(label: "test") { _ in CapturingLogHandler(lines: lines) }
        try await harness.app(logger: logger).test(.router) { client in
            for guess in 1...10 {
                let response = try await client.execute(
                    uri: "/api/v1/pipelines", method: .get, headers: OperatorHarness.bearer("guess-\(guess)"))
                #expect(response.status == .unauthorized)
            }
            // The eleventh attempt is not even looked at — the right token included.
            let refused = try await client.execute(
                uri: "/api/v1/pipelines", method: .get, headers: OperatorHarness.bearer(OperatorHarness.aliceToken))
            #expect(refused.status == .tooManyRequests)
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 > 0)
            let form = try await client.execute(uri: "/login", method: .post, body: ByteBuffer(string: "token=x"))
            #expect(form.status == .tooManyRequests, "the sign-in form is throttled for the same client")
            // Once the failures are older than the window, the right token works again.
            harness.clock.advance(by: .seconds(301))
            let allowed = try await client.execute(
                uri: "/api/v1/pipelines", method: .get, headers: OperatorHarness.bearer(OperatorHarness.aliceToken))
            #expect(allowed.status == .ok)
        }
        #expect(lines.value.filter { $0.contains("sign-in failed") }.count == 10, "\(lines.value)")
        #expect(lines.value.allSatisfy { !$0.contains("guess-") }, "the guessed token itself is never logged")
    }
}

extension DashboardAuthTests {
    @Test
    func liveStreamsAreBoundedPerSessionEndWhenTheSessionExpiresAndAMissingPipelineIs404() async throws {
        let harness = try OperatorHarness()
        let id = try await harness.record(1)[0]  // queued: its stream would run until its time limit
        try await harness.app().test(.router) { client in
            let browser = try await OperatorHarness.signIn(client)
            #expect(try await client.execute(uri: "/pipelines/999/events", method: .get, headers: browser.headers).status == .notFound)

            // Seven at once: six hold the session's places (and block), one is refused at once.
            let finished = Locked<[HTTPResponse.Status]>([])
            let open = (0..<7).map { _ in
                Task {
                    let response = try await client.execute(uri: "/pipelines/\(id.rawValue)/events", method: .get, headers: browser.headers)
                    finished.withLock { $0.append(response.status) }
                    return response
                }
            }
            try await eventually("one of seven streams was refused", timeout: .seconds(20)) { finished.value == [.tooManyRequests] }
            // The session expires: every open stream ends at its next look, well before its own limit.
            harness.clock.advance(by: .seconds(3601))
            var statuses: [HTTPResponse.Status] = []
            for stream in open {
                let response = try await stream.value
                statuses.append(response.status)
                if response.status == .ok { #expect(String(buffer: response.body).hasPrefix("retry: 3000")) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 6 && statuses.filter { $0 == .tooManyRequests }.count == 1)
            #expect(try await client.execute(uri: "/pipelines/\(id.rawValue)/events", method: .get, headers: browser.headers).status
                == .unauthorized)
        }
    }
}

/// Keeps every line logged, with its metadata.
struct CapturingLogHandler: LogHandler {
    let lines: Locked<[String]>
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        lines.withLock { $0.append("\(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 })") }
    }
}
