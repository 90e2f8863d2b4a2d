import HTTPTypes
import Hummingbird
import Synchronization

/// The routes the application registered, as path patterns and methods: what
/// `HTTPConventionsMiddleware` reads to tell an unknown path (404) from a known path asked with
/// the wrong method (405 with `Allow`). Filled by `CatalogedRouter`, so it cannot drift from
/// the router.
final class RouteCatalog: Sendable {
    private struct Route {
        var segments: [Substring]
        var method: HTTPRequest.Method
    }

    /// By number of path segments: a request is compared only with the routes it could match
    /// (every request asks, so this is on intake's path).
    private let routes = Mutex<[Int: [Route]]>([:])

    func add(_ path: RouterPath, _ method: HTTPRequest.Method) {
        let segments = path.description.split(separator: "/")
        routes.withLock { $0[segments.count, default: []].append(Route(segments: segments, method: method)) }
    }

    /// The methods `path` answers (HEAD wherever GET); empty for a path no route matches.
    func methods(for path: String) -> Set<String> {
        let asked = path.split(separator: "/")
        let methods = routes.withLock { routes in
            (routes[asked.count] ?? []).filter { route in
                zip(route.segments, asked).allSatisfy { pattern, segment in
                    (pattern.hasPrefix("{") && pattern.hasSuffix("}")) || pattern == segment
                }
            }.map(\.method.rawValue)
        }
        var set = Set(methods)
        if set.contains("GET") { set.insert("HEAD") }
        return set
    }
}

/// The router, recording every route it is given in a `RouteCatalog`.
struct CatalogedRouter {
    let router: Router<ClientRequestContext>
    let catalog: RouteCatalog

    @discardableResult
    func on(
        _ path: RouterPath, method: HTTPRequest.Method,
        use handler: @Sendable @escaping (Request, ClientRequestContext) async throws -> some ResponseGenerator
    ) -> Self {
        catalog.add(path, method)
        router.on(path, method: method, use: handler)
        return self
    }

    @discardableResult
    func get(_ path: RouterPath, use handler: @Sendable @escaping (Request, ClientRequestContext) async throws -> some ResponseGenerator)
        -> Self
    {
        on(path, method: .get, use: handler)
    }

    @discardableResult
    func post(_ path: RouterPath, use handler: @Sendable @escaping (Request, ClientRequestContext) async throws -> some ResponseGenerator)
        -> Self
    {
        on(path, method: .post, use: handler)
    }
}
