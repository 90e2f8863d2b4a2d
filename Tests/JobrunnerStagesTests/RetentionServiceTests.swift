import Foundation
import JobrunnerCore
import JobrunnerStages
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Logging
import Testing

@Suite("Retention service")
struct RetentionServiceTests {
    @Test
    func aRoundPrunesBatchByBatchWhatFinishedBeforeTheRetentionPeriod() async throws {
        let directory = try TemporaryDirectory("retention")
        let clock = ManualClock()
        let store = try SQLitePipelineStore(path: directory.file("jobrunner.sqlite"), clock: clock)
        for index in 0..<5 {
            _ = try await store.recordDelivery(
                Fixtures.delivery("d\(index)"), pipelines: [Fixtures.pipeline("jobs/s\(index).sh", commit: "c\(index)")])
            for kind in StageKind.allCases {
                let claimed = try #require(try await store.claimNext(owner: "w", kinds: [kind], leaseDuration: .seconds(30)))
                try await store.complete(claimed.lease, summary: nil)
            }
        }
        let service = RetentionService(
            store: store, retention: .seconds(7 * 86_400), clock: clock, batchSize: 2, logger: Logger(label: "test"))
        #expect(try await service.pruneOnce() == 0, "nothing is older than a week yet")
        clock.advance(by: .seconds(8 * 86_400))
        _ = try await store.recordDelivery(Fixtures.delivery("new"), pipelines: [Fixtures.pipeline("jobs/new.sh")])
        #expect(try await service.pruneOnce() == 5, "three batches of at most 2 in one round")
        #expect(try await store.pipelines(PipelineFilter(limit: 10)).map(\.pipeline.source.scriptPath) == ["jobs/new.sh"])
    }
}
