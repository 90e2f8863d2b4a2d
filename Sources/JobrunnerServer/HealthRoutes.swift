import Foundation
import Hummingbird
import JobrunnerStore

/// `/healthz`: the process answers. `/readyz`: the store is reachable and migrated — what a
/// load balancer should route webhooks on.
struct HealthRoutes: Sendable {
    let store: any StoreReadiness

    func register(on router: CatalogedRouter) {
        router.get("/healthz") { _, _ in
            Self.json(.ok, ["status": "ok"])
        }
        router.get("/readyz") { _, _ in
            do {
                try await store.checkReady()
                return Self.json(.ok, ["status": "ready"])
            } catch {
                return Self.json(.serviceUnavailable, ["status": "unavailable", "reason": "\(error)"])
            }
        }
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
