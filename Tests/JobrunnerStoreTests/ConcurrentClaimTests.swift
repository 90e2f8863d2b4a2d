import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Synchronization
import Testing

@Suite("Concurrent claims")
struct ConcurrentClaimTests {
    @Test(arguments: StoreDriver.all)
    func manyWorkersOnSeparateHandlesClaimEveryStageExactlyOnce(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let pipelineCount = 150
        for batch in 0..<15 {
            let pipelines = (0..<10).map { index in
                Fixtures.pipeline("jobs/s\(batch)-\(index).sh", repository: "acme/r\(index % 5)", commit: "c\(batch)")
            }
            _ = try await harness.store.recordDelivery(Fixtures.delivery("d\(batch)"), pipelines: pipelines)
        }
        let claims = Locked<[StageID: Int]>([:])
        var handles: [any PipelineStore] = []
        for _ in 0..<4 { handles.append(try await harness.secondHandle()) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in handles.enumerated() {
                group.addTask {
                    var idle = 0
                    while idle < 300 {
                        guard
                            let claimed = try await store.claimNext(
                                owner: "w\(index)", kinds: Set(StageKind.allCases), leaseDuration: .seconds(60))
                        else {
                            idle += 1
                            await Task.yield()
                            continue
                        }
                        idle = 0
                        claims.withLock { $0[claimed.lease.stageID, default: 0] += 1 }
                        try await store.complete(claimed.lease, summary: nil)
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = claims.withLock { $0 }
        #expect(counts.count == pipelineCount * 3, "every stage of every pipeline was claimed")
        #expect(counts.values.allSatisfy { $0 == 1 }, "no stage was claimed twice")
        let succeeded = try await harness.store.pipelines(PipelineFilter(status: .succeeded, limit: 1000))
        #expect(succeeded.count == pipelineCount)
    }
}
