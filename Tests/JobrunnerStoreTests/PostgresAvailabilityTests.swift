import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStorePostgres
import JobrunnerTestSupport
import Testing

@Suite("PostgreSQL driver: connecting")
struct PostgresAvailabilityTests {
    @Test
    func theTestCommandRunsTheConformanceSuiteOnPostgreSQL() {
        if TestPostgres.isRequired {
            #expect(TestPostgres.url != nil, "scripts/test must start PostgreSQL for the conformance suite")
            #expect(StoreDriver.all.map(\.name) == ["sqlite", "postgres"])
        }
    }

    @Test(.enabled(if: TestPostgres.url != nil))
    func anUnreachableServerIsAClearErrorWithinTheConnectTimeout() async throws {
        // A loopback port nobody listens on: refused at once, reported with the redacted URL.
        let started = ContinuousClock.now
        do {
            _ = try await PostgresPipelineStore.connect(
                url: "postgres://jobrunner:s3cret@127.0.0.1:1/jobrunner?sslmode=disable", connectTimeout: .seconds(3))
            Issue.record("connecting to a closed port succeeded")
        } catch let error as PipelineStoreError {
            guard case let .unavailable(location, reason) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(location == "postgres://***@127.0.0.1:1/jobrunner?sslmode=disable")
            #expect(!"\(error)".contains("s3cret"), "the password never appears")
            #expect(!reason.isEmpty)
        }
        #expect(ContinuousClock.now - started < .seconds(30), "bounded by the 3 s connect timeout, not left waiting")
    }

    @Test(.enabled(if: TestPostgres.url != nil))
    func badCredentialsAndUnknownParametersAreRefusedWithTheReason() async throws {
        let url = try await TestPostgres.freshDatabase()
        var components = try #require(URLComponents(string: url))
        components.password = "wrong-password"
        await #expect(throws: PipelineStoreError.self) {
            _ = try await PostgresPipelineStore.connect(url: components.string!, connectTimeout: .seconds(5))
        }
        do {
            _ = try await PostgresPipelineStore.connect(url: url + "&sslmode=sometimes")
            Issue.record("an unknown sslmode was accepted")
        } catch {
            #expect("\(error)".contains("sslmode sometimes"))
        }
    }

    @Test(.enabled(if: TestPostgres.url != nil))
    func nodesStartingAtOnceMigrateOnceAndANewerSchemaIsRefused() async throws {
        let url = try await TestPostgres.freshDatabase()
        let stores = try await withThrowingTaskGroup(of: PostgresPipelineStore.self) { group in
            for _ in 0..<6 { group.addTask { try await PostgresPipelineStore.connect(url: url) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(stores.count == 6)
        for store in stores { try await store.checkReady() }
        // A migration only a newer Jobrunner knows.
        let store = stores[0]
        _ = try await store.recordDelivery(Fixtures.delivery("d1"), pipelines: [])
        try await TestPostgres.execute(url, "INSERT INTO jobrunner_migrations VALUES ('v99-from-the-future', 0)")
        await #expect(throws: PipelineStoreError.databaseIsNewer(location: store.location, unknownMigrations: ["v99-from-the-future"])) {
            _ = try await PostgresPipelineStore.connect(url: url)
        }
    }
}
