import Foundation
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
import JobrunnerServer
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Logging
import Testing

/// A store that is unreachable, for the readiness check: the one role `/readyz` uses.
struct UnreachableStore: StoreReadiness {
    struct Down: Error, CustomStringConvertible { var description: String { "connection refused" } }
    func checkReady() async throws { throw Down() }
}

@Suite("Health and readiness")
struct HealthRouteTests {
    @Test
    func healthAndReadinessOverTheLiveServer() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLitePipelineStore(path: directory.file("jobrunner.sqlite"))
        var settings = Settings()
        settings.httpPort = 0
        let app = buildApplication(ApplicationContext(settings: settings, store: store, logger: quietLogger))
        try await app.test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
            }
            try await client.execute(uri: "/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test
    func notReadyWhenTheStoreIsUnreachable() async throws {
        let directory = try TemporaryDirectory()
        var context = ApplicationContext(
            settings: Settings(), store: try SQLitePipelineStore(path: directory.file("jobrunner.sqlite")), logger: quietLogger)
        context.readiness = UnreachableStore()
        let app = buildApplication(context)
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("connection refused"))
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
