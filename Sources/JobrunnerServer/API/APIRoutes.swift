import Foundation
import HTTPTypes
import Hummingbird
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerStore
import NIOCore
import NIOFoundationCompat

/// `/api/v1`: pipelines for scripts and tools, with `Authorization: Bearer <dashboard token>`.
/// Every route is listed in `operations`, which `docs/openapi.yaml` must match (a test checks).
struct APIRoutes: Sendable {
    let store: any PipelineRecordsReader
    let operations: PipelineOperations
    let authenticator: OperatorAuthenticator
    let links: RepositoryLinks
    let logsDirectory: String
    let publicURL: String?
    let throttle: SignInThrottle

    static let linkHeader = HTTPField.Name("Link")!

    /// Every route, by name: its method and OpenAPI path.
    enum Operation: CaseIterable {
        case listPipelines
        case showPipeline
        case retryStage
        case cancelPipeline
        case discardPipeline
        case overrideDryRun
        case listDryRuns
        case showDryRun

        var method: HTTPRequest.Method {
            switch self {
            case .listPipelines, .showPipeline, .listDryRuns, .showDryRun: .get
            case .retryStage, .cancelPipeline, .discardPipeline, .overrideDryRun: .post
            }
        }

        var path: String {
            switch self {
            case .listPipelines: "/api/v1/pipelines"
            case .showPipeline: "/api/v1/pipelines/{id}"
            case .retryStage: "/api/v1/pipelines/{id}/stages/{kind}/retry"
            case .cancelPipeline: "/api/v1/pipelines/{id}/cancel"
            case .discardPipeline: "/api/v1/pipelines/{id}/discard"
            case .overrideDryRun: "/api/v1/pipelines/{id}/override-dry-run"
            case .listDryRuns: "/api/v1/dry-runs"
            case .showDryRun: "/api/v1/dry-runs/{id}"
            }
        }

        /// `{id}` → `:id`: the router's spelling of the OpenAPI path.
        var routerPath: RouterPath {
            RouterPath(
                path.split(separator: "/").map { $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : String($0) }
                    .joined(separator: "/"))
        }
    }

    /// Method and OpenAPI path of every route (`docs/openapi.yaml` must match).
    static let operations: [(method: HTTPRequest.Method, path: String)] = Operation.allCases.map { ($0.method, $0.path) }

    func register(on router: CatalogedRouter) {
        router.on(Operation.listPipelines.routerPath, method: Operation.listPipelines.method) { request, context in
            await authenticated(request, context) { _ in try await list(request) }
        }
        router.on(Operation.showPipeline.routerPath, method: Operation.showPipeline.method) { request, context in
            await authenticated(request, context) { _ in try await show(try Self.pipelineID(context)) }
        }
        router.on(Operation.retryStage.routerPath, method: Operation.retryStage.method) { request, context in
            await authenticated(request, context) { identity in
                var request = request
                return try await retry(
                    try Self.pipelineID(context), kind: try Self.stageKind(context), body: try await Self.body(&request),
                    by: identity)
            }
        }
        router.on(Operation.cancelPipeline.routerPath, method: Operation.cancelPipeline.method) { request, context in
            await authenticated(request, context) { identity in
                var request = request
                return try await cancel(try Self.pipelineID(context), body: try await Self.body(&request), by: identity)
            }
        }
        router.on(Operation.discardPipeline.routerPath, method: Operation.discardPipeline.method) { request, context in
            await authenticated(request, context) { identity in
                var request = request
                return try await discard(try Self.pipelineID(context), body: try await Self.body(&request), by: identity)
            }
        }
        router.on(Operation.overrideDryRun.routerPath, method: Operation.overrideDryRun.method) { request, context in
            await authenticated(request, context) { identity in
                var request = request
                return try await overrideDryRun(try Self.pipelineID(context), body: try await Self.body(&request), by: identity)
            }
        }
        router.on(Operation.listDryRuns.routerPath, method: Operation.listDryRuns.method) { request, context in
            await authenticated(request, context) { _ in try await listDryRuns(request) }
        }
        router.on(Operation.showDryRun.routerPath, method: Operation.showDryRun.method) { request, context in
            await authenticated(request, context) { _ in
                let id = try Self.dryRunID(context)
                guard let run = try await store.dryRun(id) else {
                    throw APIRequestError(status: .notFound, message: "dry run \(id) does not exist")
                }
                return Self.json(.ok, DryRunDetailResource(dryRun: DryRunResource(run, withOutput: true)))
            }
        }
    }

    // MARK: Handlers

    func overrideDryRun(_ id: PipelineID, body: ActionBody, by identity: OperatorIdentity) async throws -> Response {
        try await operations.overrideDryRun(pipeline: id, by: identity, reason: body.reason)
        guard let summary = try await store.pipeline(id)?.summary else { throw OperatorActionError.pipelineNotFound(id) }
        return Self.json(
            .accepted,
            CancelAnswer(outcome: "overridden", pipeline: PipelineResource(summary, links: links, logsDirectory: logsDirectory)))
    }

    func listDryRuns(_ request: Request) async throws -> Response {
        let filter = try Self.dryRunFilter(QueryString.parameters(request.uri.query))
        let runs = try await store.dryRuns(filter)
        return Self.json(.ok, DryRunListResource(dryRuns: runs.map { DryRunResource($0, withOutput: false) }))
    }

    /// `repository`, `pull_request`, `head` and `limit` (1–200, default 50); anything else is a 400.
    static func dryRunFilter(_ parameters: [String: String]) throws -> DryRunFilter {
        var filter = DryRunFilter()
        for (name, value) in parameters {
            switch name {
            case "repository" where value.isEmpty:
                continue
            case "repository":
                guard let repository = RepositoryName(rawValue: value) else {
                    throw APIRequestError(message: "repository must be owner/name")
                }
                filter.repository = repository
            case "pull_request":
                guard let number = Int(value), number > 0 else { throw APIRequestError(message: "pull_request must be a positive whole number") }
                filter.pullRequest = number
            case "head":
                guard PushEvent.isObjectID(value) else { throw APIRequestError(message: "head must be a commit id (40 or 64 hex digits)") }
                filter.headCommit = value.lowercased()
            case "limit":
                guard let limit = Int(value), (1...200).contains(limit) else { throw APIRequestError(message: "limit must be 1 to 200") }
                filter.limit = limit
            default:
                throw APIRequestError(message: "unknown parameter \(name) (known: repository, pull_request, head, limit)")
            }
        }
        return filter
    }

    func list(_ request: Request) async throws -> Response {
        let filter = try DashboardQuery.filter(from: QueryString.parameters(request.uri.query))
        let (summaries, older, newer) = try await PipelineQueries.page(store, filter)
        var response = Self.json(
            .ok,
            PipelineListResource(
                pipelines: summaries.map { PipelineResource($0, links: links, logsDirectory: logsDirectory) },
                nextBefore: older?.rawValue))
        response.headers[Self.linkHeader] = Self.pageLinks(filter, older: older, newer: newer, base: "\(publicURL ?? "")/api/v1/pipelines")
        return response
    }

    /// RFC 8288 links of a page: `first` (newest), `prev` (newer) and `next` (older) when they
    /// exist, `last` (the oldest page: `after=0`), each keeping the filters and the limit.
    static func pageLinks(_ filter: PipelineFilter, older: PipelineID?, newer: PipelineID?, base: String) -> String {
        var common = DashboardQuery.parameters(of: filter)
        common["limit"] = String(filter.limit)
        func link(_ relation: String, _ cursor: (String, Int64)?) -> String {
            var parameters = common
            if let (name, value) = cursor { parameters[name] = String(value) }
            return "<\(base)?\(DashboardQuery.encode(parameters))>; rel=\"\(relation)\""
        }
        var links = [link("first", nil)]
        if let newer { links.append(link("prev", ("after", newer.rawValue))) }
        if let older { links.append(link("next", ("before", older.rawValue))) }
        links.append(link("last", ("after", 0)))
        return links.joined(separator: ", ")
    }

    func show(_ id: PipelineID) async throws -> Response {
        guard let found = try await PipelineQueries.everything(store, id) else {
            throw OperatorActionError.pipelineNotFound(id)
        }
        return Self.json(
            .ok,
            PipelineDetailResource(
                found.detail, artifact: found.artifact, executions: found.executions, feedback: found.feedback,
                outbox: found.outbox, links: links, logsDirectory: logsDirectory))
    }

    struct ActionBody: Decodable {
        var reason: String?
        var confirm: Bool?
    }

    struct RetryAnswer: Encodable {
        var stage: PipelineResource.Stage
    }

    struct CancelAnswer: Encodable {
        var outcome: String
        var pipeline: PipelineResource
    }

    func retry(_ id: PipelineID, kind: StageKind, body: ActionBody, by identity: OperatorIdentity) async throws -> Response {
        let stage = try await operations.retry(
            pipeline: id, kind: kind, by: identity, reason: body.reason, confirmed: body.confirm == true)
        return Self.json(.accepted, RetryAnswer(stage: PipelineResource.Stage(stage)))
    }

    func cancel(_ id: PipelineID, body: ActionBody, by identity: OperatorIdentity) async throws -> Response {
        let outcome = try await operations.cancel(pipeline: id, by: identity, reason: body.reason)
        guard let summary = try await store.pipeline(id)?.summary else { throw OperatorActionError.pipelineNotFound(id) }
        return Self.json(
            .accepted,
            CancelAnswer(
                outcome: outcome.rawValue, pipeline: PipelineResource(summary, links: links, logsDirectory: logsDirectory)))
    }

    func discard(_ id: PipelineID, body: ActionBody, by identity: OperatorIdentity) async throws -> Response {
        try await operations.discard(pipeline: id, by: identity, reason: body.reason)
        guard let summary = try await store.pipeline(id)?.summary else { throw OperatorActionError.pipelineNotFound(id) }
        return Self.json(
            .accepted,
            CancelAnswer(outcome: "discarded", pipeline: PipelineResource(summary, links: links, logsDirectory: logsDirectory)))
    }

    // MARK: Plumbing

    /// Runs `body` for a request with a valid Bearer token; turns errors into JSON answers.
    func authenticated(
        _ request: Request, _ context: ClientRequestContext, _ body: (OperatorIdentity) async throws -> Response
    ) async -> Response {
        guard authenticator.isEnabled else {
            return Self.unauthorized("the API is closed: no JOBRUNNER_DASHBOARD_TOKEN is configured")
        }
        if let wait = throttle.retryAfter(context.connection) {
            var response = Self.json(
                .tooManyRequests, APIErrorResource(error: "too many failed sign-ins from \(context.clientAddress); try again in \(wait)"))
            response.headers[.retryAfter] = String(Int(wait.secondsDouble))
            return response
        }
        guard let identity = authenticator.operatorFor(authorization: request.headers[.authorization]) else {
            // A presented token that is wrong is a guess; no token at all is not.
            if request.headers[.authorization] != nil { throttle.failed(context.connection, channel: "api") }
            return Self.unauthorized("send a dashboard token as 'Authorization: Bearer <token>'")
        }
        do {
            return try await body(identity)
        } catch let error as OperatorActionError {
            return Self.json(HTTPResponse.Status(code: error.status), APIErrorResource(error: error.description))
        } catch let error as APIRequestError {
            return Self.json(error.status, APIErrorResource(error: error.message))
        } catch {
            return Self.json(.serviceUnavailable, APIErrorResource(error: "the store is unavailable: \(error)"))
        }
    }

    static func unauthorized(_ message: String) -> Response {
        var response = json(.unauthorized, APIErrorResource(error: message))
        response.headers[.wwwAuthenticate] = "Bearer realm=\"jobrunner\""
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let data = (try? APIJSON.encoder.encode(value)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func pipelineID(_ context: ClientRequestContext) throws -> PipelineID {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw APIRequestError(message: "the pipeline id must be a positive whole number")
        }
        return PipelineID(id)
    }

    static func dryRunID(_ context: ClientRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw APIRequestError(message: "the dry run id must be a positive whole number")
        }
        return id
    }

    static func stageKind(_ context: ClientRequestContext) throws -> StageKind {
        guard let text = context.parameters.get("kind"), let kind = StageKind(rawValue: text) else {
            throw APIRequestError(message: "the stage must be one of process, execute, cleanup")
        }
        return kind
    }

    /// The JSON body of an action; an empty body means no reason and no confirmation.
    static func body(_ request: inout Request) async throws -> ActionBody {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maximumBodySize)
        } catch {
            throw APIRequestError(status: .contentTooLarge, message: "the body is larger than \(maximumBodySize / 1024) KiB")
        }
        guard buffer.readableBytes > 0 else { return ActionBody() }
        do {
            return try JSONDecoder().decode(ActionBody.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw APIRequestError(message: "the body must be JSON like {\"reason\": \"…\", \"confirm\": true}: \(Self.explain(error))")
        } catch {
            throw APIRequestError(message: "the body must be JSON like {\"reason\": \"…\", \"confirm\": true}")
        }
    }

    /// The largest action body read.
    static let maximumBodySize = 64 * 1024

    /// What is wrong with a body, in the API's terms — never the decoder's Swift type names.
    static func explain(_ error: DecodingError) -> String {
        func field(_ path: [any CodingKey]) -> String { path.isEmpty ? "the body" : WebhookPayload.path(path) }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let expected: String =
                switch context.codingPath.last?.stringValue {
                case "reason": "a string"
                case "confirm": "true or false"
                default: "a JSON object"
                }
            return "\(field(context.codingPath)) must be \(expected)"
        case .keyNotFound(let key, _):
            return "\(key.stringValue) is missing"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "it is not valid JSON" : "\(field(context.codingPath)) is not valid"
        @unknown default:
            return "it does not have the expected shape"
        }
    }
}

/// A request the API cannot act on (400 unless said otherwise), with what to change.
struct APIRequestError: Error {
    var status: HTTPResponse.Status = .badRequest
    var message: String
}
