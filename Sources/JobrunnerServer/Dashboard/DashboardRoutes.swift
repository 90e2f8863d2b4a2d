import Foundation
import HTTPTypes
import Hummingbird
import Logging
import JobrunnerCore
import JobrunnerStages
import JobrunnerStore
import NIOCore

/// The dashboard: server-rendered pages, sign-in with an operator token, and the retry and
/// cancel forms. Every page but `/login` (and its stylesheet and script) needs a session;
/// every POST needs the session's CSRF token and, when the browser sends one, a same-origin
/// `Origin`.
struct DashboardRoutes: Sendable {
    let store: any PipelineRecordsReader
    let operations: PipelineOperations
    let authenticator: OperatorAuthenticator
    let templates: DashboardTemplates
    let pages: DashboardPages
    let live: LiveEvents
    /// Set the Secure attribute on cookies (the public URL is https).
    let secureCookies: Bool
    let publicURL: String?
    /// Scripts left in the jobs directory, for the overview (none on a worker-less test app).
    var orphanScan: OrphanScriptScan? = nil
    var clock: any JobClock = SystemClock()
    /// Open live-output streams, per session and in all.
    var liveLimits = LiveStreamLimits()
    /// Failed sign-ins per client address (shared with the API).
    var throttle = SignInThrottle(logger: Logger(label: "jobrunner"))

    static let sessionCookie = "jobrunner_session"
    static let loginCookie = "jobrunner_login"

    func register(on router: CatalogedRouter) {
        router.get("/assets/:file") { _, context in asset(context.parameters.get("file") ?? "") }
        router.get("/login") { request, _ in loginPage(request) }
        router.post("/login") { request, context in
            var request = request
            return await login(&request, client: context.connection)
        }
        router.post("/logout") { request, _ in
            var request = request
            return await withForm(&request) { _, _ in logout() }
        }
        router.get("/") { request, _ in
            await withSession(request) { session in try await list(request, session: session) }
        }
        router.get("/pipelines/:id") { request, context in
            await withSession(request) { session in
                try await pipelinePage(try APIRoutes.pipelineID(context), request: request, session: session)
            }
        }
        router.get("/pipelines/:id/events") { request, context in
            let cookie = request.cookies[Self.sessionCookie]?.value
            guard let cookie, authenticator.session(cookie) != nil else {
                return Response(status: .unauthorized)
            }
            // A missing pipeline is a 404, so the browser does not reconnect forever.
            guard let id = try? APIRoutes.pipelineID(context), (try? await store.pipeline(id)) != nil else {
                return Response(status: .notFound)
            }
            if let refusal = liveLimits.acquire(cookie) {
                var response = Response(status: .tooManyRequests, body: .init(byteBuffer: ByteBuffer(string: refusal)))
                response.headers[.retryAfter] = "10"
                return response
            }
            return live.response(
                for: id, stillSignedIn: { authenticator.session(cookie) != nil }, ended: { liveLimits.release(cookie) })
        }
        router.post("/pipelines/:id/stages/:kind/retry") { request, context in
            var request = request
            return await withForm(&request) { session, form in
                let id = try APIRoutes.pipelineID(context)
                let kind = try APIRoutes.stageKind(context)
                _ = try await operations.retry(
                    pipeline: id, kind: kind, by: session.identity, reason: form["reason"],
                    confirmed: form["confirm"] == "yes")
                return Self.redirect("/pipelines/\(id.rawValue)?done=retry-\(kind.rawValue)")
            }
        }
        router.post("/pipelines/:id/cancel") { request, context in
            var request = request
            return await withForm(&request) { session, form in
                let id = try APIRoutes.pipelineID(context)
                let outcome = try await operations.cancel(pipeline: id, by: session.identity, reason: form["reason"])
                return Self.redirect("/pipelines/\(id.rawValue)?done=\(outcome.rawValue)")
            }
        }
        router.post("/pipelines/:id/override-dry-run") { request, context in
            var request = request
            return await withForm(&request) { session, form in
                let id = try APIRoutes.pipelineID(context)
                try await operations.overrideDryRun(pipeline: id, by: session.identity, reason: form["reason"])
                return Self.redirect("/pipelines/\(id.rawValue)?done=dry-run-overridden")
            }
        }
        router.get("/dry-runs") { request, _ in
            await withSession(request) { session in
                let parameters = QueryString.parameters(request.uri.query)
                var filter = try APIRoutes.dryRunFilter(parameters.filter { !$0.value.isEmpty })
                filter.limit = 200
                var values: [String: Any] = [
                    "dryRuns": try await store.dryRuns(filter).map { pages.dryRun($0, withOutput: false) },
                    "repository": parameters["repository"] ?? "", "pullRequest": parameters["pull_request"] ?? "",
                    "filtered": filter.repository != nil || filter.pullRequest != nil,
                ]
                values.merge(chrome(session)) { _, new in new }
                return html(.ok, templates.render("dry-runs", values))
            }
        }
        router.get("/dry-runs/:id") { request, context in
            await withSession(request) { session in
                guard let id = try? APIRoutes.dryRunID(context), let run = try await store.dryRun(id) else {
                    return Response(status: .notFound)
                }
                var values = pages.dryRun(run, withOutput: true)
                values.merge(chrome(session)) { _, new in new }
                return html(.ok, templates.render("dry-run", values))
            }
        }
        router.post("/pipelines/:id/discard") { request, context in
            var request = request
            return await withForm(&request) { session, form in
                let id = try APIRoutes.pipelineID(context)
                try await operations.discard(pipeline: id, by: session.identity, reason: form["reason"])
                return Self.redirect("/pipelines/\(id.rawValue)?done=discarded")
            }
        }
    }

    // MARK: Pages

    func list(_ request: Request, session: OperatorAuthenticator.Session) async throws -> Response {
        let filter = try DashboardQuery.filter(from: QueryString.parameters(request.uri.query))
        // The overview answers "what needs me now", so it opens the first page, not a filtered one.
        let withOverview = filter.status == nil && filter.text == nil && filter.before == nil
        let (store, orphanScan) = (store, orphanScan)
        async let overview = withOverview ? QueueOverview.read(store, repository: filter.repository, orphans: orphanScan) : nil
        let (summaries, older, _) = try await PipelineQueries.page(store, filter)
        var values = pages.list(summaries, filter: filter, olderThan: older)
        if let overview = try await overview {
            values["overview"] = pages.overview(overview, now: clock.now())
        }
        values.merge(chrome(session)) { _, new in new }
        return html(.ok, templates.render("pipelines", values))
    }

    func pipelinePage(_ id: PipelineID, request: Request, session: OperatorAuthenticator.Session) async throws -> Response {
        guard let found = try await PipelineQueries.everything(store, id) else {
            throw OperatorActionError.pipelineNotFound(id)
        }
        var values = pages.detail(
            found.detail, artifact: found.artifact, executions: found.executions, feedback: found.feedback, outbox: found.outbox)
        values.merge(chrome(session)) { _, new in new }
        if let done = QueryString.parameters(request.uri.query)["done"], let notice = Self.notices[done] {
            values["notice"] = notice
        }
        return html(.ok, templates.render("pipeline", values))
    }

    /// Fixed texts for `?done=` after an action (never text from the URL itself).
    static let notices: [String: String] = [
        "retry-process": "PROCESS was queued again.",
        "retry-execute": "EXECUTE was queued again: the script will run once more.",
        "retry-cleanup": "CLEANUP was queued again.",
        "cancelled": "The pipeline was cancelled.",
        "stop-requested": "The worker was asked to stop the script; CLEANUP will commit its log.",
        "discarded": "The pipeline was discarded: CLEANUP removes the script and commits a log saying why.",
        "dry-run-overridden": "EXECUTE may run without a dry run; the override is recorded in the log.",
    ]

    // MARK: Sign-in

    func loginPage(_ request: Request, problem: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let next = Self.safeNext(QueryString.parameters(request.uri.query)["next"])
        if problem == nil, session(of: request) != nil {
            return Self.redirect(next)
        }
        let nonce = OperatorAuthenticator.randomToken()
        var values: [String: Any] = ["closed": !authenticator.isEnabled, "next": next]
        if let token = authenticator.loginToken(nonce: nonce) { values["loginCSRF"] = token }
        if let problem { values["problem"] = problem }
        var response = html(status, templates.render("login", values))
        response.setCookie(
            Cookie(
                name: Self.loginCookie, value: nonce, maxAge: 1800, path: "/login", secure: secureCookies, httpOnly: true,
                sameSite: .strict))
        return response
    }

    func login(_ request: inout Request, client: ClientConnection) async -> Response {
        if let wait = throttle.retryAfter(client) {
            var response = loginPage(
                request, problem: "Too many failed sign-ins from your address. Try again in \(Int(wait.secondsDouble)) seconds.",
                status: .tooManyRequests)
            response.headers[.retryAfter] = String(Int(wait.secondsDouble))
            return response
        }
        guard let form = await Self.form(&request) else {
            return loginPage(request, problem: "The sign-in form could not be read.", status: .badRequest)
        }
        guard authenticator.acceptsLogin(nonce: request.cookies[Self.loginCookie]?.value, token: form["csrf"]) else {
            return loginPage(request, problem: "The sign-in form expired. Please try again.", status: .forbidden)
        }
        guard let identity = authenticator.operatorFor(token: form["token"] ?? ""),
            let session = authenticator.newSession(for: identity)
        else {
            throttle.failed(client, channel: "dashboard")
            return loginPage(request, problem: "That token is not valid.", status: .unauthorized)
        }
        throttle.succeeded(client)
        var response = Self.redirect(Self.safeNext(form["next"]))
        response.setCookie(
            Cookie(
                name: Self.sessionCookie, value: session.value, maxAge: Int(authenticator.sessionLifetime.secondsDouble),
                path: "/", secure: secureCookies, httpOnly: true, sameSite: .lax))
        response.setCookie(Cookie(name: Self.loginCookie, value: "", maxAge: 0, path: "/login", secure: secureCookies, sameSite: .strict))
        return response
    }

    func logout() -> Response {
        var response = Self.redirect("/login")
        response.setCookie(Cookie(name: Self.sessionCookie, value: "", maxAge: 0, path: "/", secure: secureCookies, sameSite: .lax))
        return response
    }

    /// Only local paths, so `next` cannot send a signed-in operator to another site.
    /// Browsers drop tabs and line breaks from URLs (`/\t/evil.example` becomes `//evil.example`),
    /// so any control character, space or non-ASCII character refuses the target.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), !next.hasPrefix("/login"),
            next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else {
            return "/"
        }
        return next
    }

    // MARK: Plumbing

    /// A page for a signed-in operator; otherwise a redirect to the sign-in page.
    func withSession(
        _ request: Request, _ body: (OperatorAuthenticator.Session) async throws -> Response
    ) async -> Response {
        guard let session = session(of: request) else {
            let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return Self.redirect("/login?next=" + DashboardQuery.escape(target))
        }
        do {
            return try await body(session)
        } catch {
            return failure(error, session: session)
        }
    }

    /// A state-changing form post: a session (else 401), a same-origin request and the
    /// session's CSRF token (else 403).
    func withForm(
        _ request: inout Request,
        _ body: (OperatorAuthenticator.Session, [String: String]) async throws -> Response
    ) async -> Response {
        guard let session = session(of: request) else {
            return message(.unauthorized, "Signed out", "Your session ended. Sign in and try again.", back: "/login", session: nil)
        }
        guard isSameOrigin(request) else {
            return message(.forbidden, "Refused", "The request came from another site.", back: "/", session: session)
        }
        guard let form = await Self.form(&request), session.accepts(csrf: form["csrf"]) else {
            return message(
                .forbidden, "Refused", "The form's security token is missing or stale. Reload the page and try again.",
                back: "/", session: session)
        }
        do {
            return try await body(session, form)
        } catch {
            return failure(error, session: session)
        }
    }

    func failure(_ error: any Error, session: OperatorAuthenticator.Session) -> Response {
        switch error {
        case let error as OperatorActionError:
            let back: String =
                switch error {
                case .pipelineNotFound: "/"
                case .stageNotFound(let id, _), .confirmationRequired(let id), .reasonRequired(let id), .overrideReasonRequired(let id):
                    "/pipelines/\(id.rawValue)"
                case .refused, .reasonTooLong: "/"
                }
            return message(
                HTTPResponse.Status(code: error.status), error.status == 404 ? "Not found" : "Not done", error.description,
                back: back, session: session)
        case let error as APIRequestError:
            return message(.badRequest, "Bad request", error.message, back: "/", session: session)
        default:
            return message(
                .serviceUnavailable, "Store unavailable", "The pipeline store could not be read: \(error)", back: "/",
                session: session)
        }
    }

    func message(
        _ status: HTTPResponse.Status, _ heading: String, _ text: String, back: String,
        session: OperatorAuthenticator.Session?
    ) -> Response {
        var values: [String: Any] = ["heading": heading, "message": text, "back": back]
        if let session { values.merge(chrome(session)) { _, new in new } }
        return html(status, templates.render("message", values))
    }

    /// The request's valid, unexpired session, if any.
    func session(of request: Request) -> OperatorAuthenticator.Session? {
        authenticator.session(request.cookies[Self.sessionCookie]?.value)
    }

    /// The signed-in header: who, and the token the sign-out form needs.
    func chrome(_ session: OperatorAuthenticator.Session) -> [String: Any] {
        ["operator": session.identity.name, "csrf": session.csrfToken]
    }

    /// `Origin`, when sent, must be this server (as the browser reached it) or the public URL.
    func isSameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin], origin != "null" else { return request.headers[.origin] == nil }
        guard let host = URL(string: origin).flatMap({ url -> String? in
            guard let name = url.host else { return nil }
            return url.port.map { "\(name):\($0)" } ?? name
        }) else { return false }
        if let requestHost = request.head.authority, requestHost == host { return true }
        if let publicURL, let url = URL(string: publicURL), let name = url.host {
            return host == (url.port.map { "\(name):\($0)" } ?? name)
        }
        return false
    }

    static func form(_ request: inout Request) async -> [String: String]? {
        guard let buffer = try? await request.collectBody(upTo: 64 * 1024) else { return nil }
        let text = String(buffer: buffer)
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in
                part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let key = parts.first else { continue }
            values[decode(key)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return values
    }

    func asset(_ name: String) -> Response {
        guard let asset = templates.assets[name] else { return Response(status: .notFound) }
        return Response(
            status: .ok,
            headers: [
                .contentType: asset.contentType, .cacheControl: "public, max-age=300", .xContentTypeOptions: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .xContentTypeOptions: "nosniff",
                .contentSecurityPolicy:
                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
                Self.referrerPolicy: "same-origin",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}
