import Foundation
import JobrunnerCore
@testable import JobrunnerStore
@testable import JobrunnerStorePostgres
@testable import JobrunnerStoreSQLite
import JobrunnerTestSupport
import ServiceLifecycle
import Testing

/// Each driver hands over what it runs beside the service; the assembly runs whatever it gets.
@Suite("Store upkeep services")
struct StoreUpkeepTests {
    static func doing(_ services: [any Service]) -> [String] {
        services.map { ($0 as? StoreMaintenanceLoop)?.doing ?? "\(type(of: $0))" }
    }

    @Test
    func sqliteIndexesTextAndCheckpointsItsLog() throws {
        let directory = try TemporaryDirectory("upkeep")
        let store = try SQLitePipelineStore(path: directory.file("jobrunner.sqlite"))
        #expect(Self.doing(store.upkeepServices(logger: quietLogger)) == [
            "indexing pipelines for the text filter", "checkpointing the write-ahead log",
        ])
    }

    @Test(.enabled(if: TestPostgres.url != nil, "the test command starts PostgreSQL"))
    func postgresClosesItsConnectionsLastAndFoldsStatusCounts() async throws {
        let store = try await PostgresPipelineStore.connect(url: try await TestPostgres.freshDatabase())
        defer { store.close() }
        let services = store.upkeepServices(logger: quietLogger)
        #expect(services.first as? PostgresPipelineStore === store, "the store starts first and stops last")
        #expect(Self.doing(services).dropFirst() == ["folding the pipeline status counts"])
    }
}
