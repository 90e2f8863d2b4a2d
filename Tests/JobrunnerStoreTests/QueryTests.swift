import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Testing

@Suite("Listing and querying pipelines")
struct QueryTests {
    /// Pipelines in every status: 1 succeeded, 2 failed, 3 interrupted, 4 running, 5 cancelled, 6 queued.
    static func populate(_ harness: StoreHarness) async throws -> [PipelineID] {
        let store = harness.store
        let ids = try await store.recordDelivery(
            Fixtures.delivery("d"),
            pipelines: [
                Fixtures.pipeline("jobs/succeeds.sh", repository: "acme/one", pusher: "alice"),
                Fixtures.pipeline("jobs/fails.ts", repository: "acme/two", pusher: "bob"),
                Fixtures.pipeline("jobs/interrupted.sh", repository: "acme/three", pusher: "carol"),
                Fixtures.pipeline("jobs/runs_100%.py", repository: "acme/four", pusher: "dave"),
                Fixtures.pipeline("jobs/cancelled.sh", repository: "acme/five", pusher: "erin"),
                Fixtures.pipeline("jobs/waits.sh", repository: "acme/six", pusher: "frank"),
            ]
        ).pipelines.map(\.id)
        try await store.cancel(pipeline: ids[4], operatorName: "op", reason: nil)
        var process: [PipelineID: ClaimedStage] = [:]
        for _ in 0..<4 {
            let claimed = try await store.mustClaim(.process)
            process[claimed.pipeline.id] = claimed
        }
        try await store.complete(process[ids[0]]!.lease, summary: nil)
        try await store.fail(process[ids[1]]!.lease, failure: .permanent("syntax error"))
        try await store.complete(process[ids[2]]!.lease, summary: nil)
        let e1 = try await store.mustClaim(.execute)
        let e3 = try await store.mustClaim(.execute)
        try await store.complete(e1.lease, summary: nil)
        try await store.runToSuccess(.cleanup)
        try await store.release(e3.lease, reason: "shutdown")
        _ = process[ids[3]]  // still running
        return ids
    }

    @Test(arguments: StoreDriver.all)
    func statusFilterAgreesWithTheDerivedStatus(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let ids = try await Self.populate(harness)
        let expected: [PipelineStatus] = [.succeeded, .failed, .interrupted, .running, .cancelled, .queued]
        for (id, status) in zip(ids, expected) {
            #expect(try await harness.store.status(id) == status)
            let filtered = try await harness.store.pipelines(PipelineFilter(status: status))
            #expect(filtered.map(\.pipeline.id) == [id], "filter \(status.rawValue)")
            #expect(filtered.allSatisfy { $0.status == status })
        }
    }

    @Test(arguments: StoreDriver.all)
    func filtersByRepositoryAndTextAndPagesNewestFirst(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let ids = try await Self.populate(harness)
        let store = harness.store
        #expect(try await store.pipelines(PipelineFilter(repository: Fixtures.repository("acme/two"))).map(\.pipeline.id) == [ids[1]])
        #expect(try await store.pipelines(PipelineFilter(text: "carol")).map(\.pipeline.id) == [ids[2]])
        #expect(try await store.pipelines(PipelineFilter(text: "alice")).map(\.pipeline.id).sorted() == ids, "author matches all")
        #expect(try await store.pipelines(PipelineFilter(text: "100%")).map(\.pipeline.id) == [ids[3]], "% is literal")
        #expect(try await store.pipelines(PipelineFilter(text: "s_cc")).isEmpty, "_ is literal")

        let page1 = try await store.pipelines(PipelineFilter(limit: 4))
        #expect(page1.map(\.pipeline.id) == Array(ids.reversed().prefix(4)))
        let page2 = try await store.pipelines(PipelineFilter(before: page1.last!.pipeline.id, limit: 4))
        #expect(page2.map(\.pipeline.id) == Array(ids.reversed().dropFirst(4)))
        #expect(page1.first?.stages.map(\.kind) == [.process])
    }
}
