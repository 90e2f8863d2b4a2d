import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What every answer follows, whichever route it comes from: an unknown path is 404 (the API's
/// documented JSON error under `/api/v1`), a known path asked with another method is 405 with
/// `Allow`, a URL longer than `maximumURILength` is 414, and API answers — which carry script
/// output — are never cached (`Cache-Control: no-store`). HEAD is answered wherever GET is (the
/// router generates it).
struct HTTPConventionsMiddleware: RouterMiddleware {
    typealias Context = ClientRequestContext

    let catalog: RouteCatalog
    /// Longer request targets are refused before anything reads them.
    var maximumURILength = 8 * 1024

    static let apiPrefix = "/api/v1"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let isAPI = path == Self.apiPrefix || path.hasPrefix(Self.apiPrefix + "/")
        if request.uri.description.utf8.count > maximumURILength {
            return Self.answer(.uriTooLong, "the URL is longer than \(maximumURILength) bytes", json: isAPI)
        }
        let allowed = catalog.methods(for: path)
        if allowed.isEmpty {
            return Self.answer(.notFound, isAPI ? "no such API route: \(path) (see docs/openapi.yaml)" : "not found", json: isAPI)
        }
        guard allowed.contains(request.method.rawValue) else {
            var response = Self.answer(
                .methodNotAllowed, "\(request.method.rawValue) is not allowed here; allowed: \(allowed.sorted().joined(separator: ", "))",
                json: isAPI)
            response.headers[.allow] = allowed.sorted().joined(separator: ", ")
            return response
        }
        var response = try await next(request, context)
        if isAPI { response.headers[.cacheControl] = "no-store" }
        return response
    }

    static func answer(_ status: HTTPResponse.Status, _ message: String, json: Bool) -> Response {
        if json {
            var response = APIRoutes.json(status, APIErrorResource(error: message))
            response.headers[.cacheControl] = "no-store"
            return response
        }
        return Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}
