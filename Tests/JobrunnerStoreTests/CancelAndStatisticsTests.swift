import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStorePostgres
import JobrunnerTestSupport
import Testing

@Suite("Cancelling running scripts, and queue statistics")
struct CancelAndStatisticsTests {
    @Test(arguments: StoreDriver.all)
    func cancellingARunningExecuteAsksItsWorkerToStopAndCleanupStillRuns(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        try await store.runToSuccess(.process)
        let execute = try await store.mustClaim(.execute, owner: "node-a/w0")
        #expect(try await store.cancelRequested(execute.lease) == false)

        // Another node's handle sees the request the operator made through this one.
        let other = try await harness.secondHandle()
        #expect(try await store.cancel(pipeline: id, operatorName: "alice", reason: "wrong table") == .stopRequested)
        #expect(try await other.cancelRequested(execute.lease) == true)
        let requested = try #require(try await store.stage(id, .execute))
        #expect(requested.state == .running)
        #expect(requested.cancelRequestedBy == "alice")
        // Asking twice is refused: the stop is already under way.
        await #expect(throws: PipelineStoreError.self) {
            try await store.cancel(pipeline: id, operatorName: "bob", reason: nil)
        }

        try await other.finishCancelled(execute.lease, reason: "stopped by an operator while the script ran")
        let stopped = try #require(try await store.stage(id, .execute))
        #expect(stopped.state == .cancelled)
        #expect(try await store.status(id) == .cancelled)
        // CLEANUP follows so the partial run is logged and the script removed; it is retryable.
        let cleanup = try await store.mustClaim(.cleanup)
        try await store.fail(cleanup.lease, failure: .permanent("push rejected by a hook"))
        try await store.retry(stage: cleanup.lease.stageID, operatorName: "alice", reason: nil)
        try await store.runToSuccess(.cleanup)

        let detail = try #require(try await store.pipeline(id))
        #expect(detail.operatorActions.map(\.kind) == [.cancel, .retry])
        #expect(detail.operatorActions.first?.stageKind == .execute)
        #expect(detail.attempts.filter { $0.kind == .execute }.map(\.outcome) == [.cancelled])
        // The stopped EXECUTE itself is never run again: not queued, and not retryable.
        await #expect(throws: PipelineStoreError.self) {
            try await store.retry(stage: execute.lease.stageID, operatorName: "alice", reason: nil)
        }
    }

    @Test(arguments: StoreDriver.all)
    func aLostLeaseCannotAskOrFinishAStop(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        _ = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
        try await store.runToSuccess(.process)
        let execute = try await store.mustClaim(.execute, lease: .seconds(5))
        harness.clock.advance(by: .seconds(6))
        _ = try await store.rescueExpiredLeases()
        await #expect(throws: PipelineStoreError.leaseLost(execute.lease.stageID, owner: execute.lease.owner)) {
            _ = try await store.cancelRequested(execute.lease)
        }
        await #expect(throws: PipelineStoreError.leaseLost(execute.lease.stageID, owner: execute.lease.owner)) {
            try await store.finishCancelled(execute.lease, reason: "late")
        }
    }

    @Test(arguments: StoreDriver.all)
    func runningProcessOrCleanupCannotBeCancelled(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        _ = try await store.mustClaim(.process)
        await #expect(throws: PipelineStoreError.self) {
            try await store.cancel(pipeline: id, operatorName: "alice", reason: nil)
        }
        #expect(try await store.pipeline(id)?.operatorActions.isEmpty == true)
    }

    @Test(arguments: StoreDriver.all)
    func statisticsCountPipelinesByStateAndStagesByKind(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        #expect(try await store.statistics() == QueueStatistics())
        let start = harness.clock.now()
        let ids = try await store.recordDelivery(
            Fixtures.delivery("d"),
            pipelines: [Fixtures.pipeline("jobs/a.sh"), Fixtures.pipeline("jobs/b.sh"), Fixtures.pipeline("jobs/c.sh")]
        ).pipelines.map(\.id)
        harness.clock.advance(by: .seconds(30))
        _ = try await store.mustClaim(.process)
        try await store.cancel(pipeline: ids[2], operatorName: "alice", reason: nil)

        let statistics = try await store.statistics()
        #expect(statistics.pipelinesByStatus == [.running: 1, .queued: 1, .cancelled: 1])
        #expect(statistics.queuedByKind == [.process: 1])
        #expect(statistics.runningByKind == [.process: 1])
        #expect(statistics.oldestQueuedSince == start)
        // The figures agree with the lists the dashboard shows.
        for status in PipelineStatus.allCases {
            let listed = try await store.pipelines(PipelineFilter(status: status)).count
            #expect(listed == statistics.pipelinesByStatus[status] ?? 0)
        }
    }

    /// PostgreSQL keeps the counts as appended deltas that a compactor folds; folding while other
    /// connections take in, claim and cancel pipelines must neither lose nor double a change.
    @Test(.enabled(if: TestPostgres.url != nil))
    func foldingTheCountsBesideWritersKeepsThemExact() async throws {
        let harness = try await StoreDriver.postgres.open(RetryPolicy(), 0)
        let writer = harness.store
        let folder = try #require(try await harness.secondHandle() as? PostgresPipelineStore)
        let done = Locked(false)
        let writing = Task {
            defer { done.withLock { $0 = true } }
            for round in 0..<40 {
                let ids = try await writer.recordDelivery(
                    Fixtures.delivery("fold-\(round)"),
                    pipelines: (0..<3).map { Fixtures.pipeline("jobs/f\(round)-\($0).sh", repository: "acme/r\(round % 5)") }
                ).pipelines.map(\.id)
                if let claimed = try await writer.claimNext(owner: "w", kinds: [.process], leaseDuration: .seconds(30)) {
                    try await writer.complete(claimed.lease, summary: nil)
                }
                try await writer.cancel(pipeline: ids[2], operatorName: "alice", reason: nil)
            }
        }
        var folds = 0
        while !done.value {
            if try await folder.compactStatusCounts() { folds += 1 }
        }
        try await writing.value
        #expect(folds > 0, "the compactor folded while the writers wrote")
        let statistics = try await folder.statistics()
        var listed: [PipelineStatus: Int] = [:]
        for status in PipelineStatus.allCases {
            let count = try await writer.pipelines(PipelineFilter(status: status, limit: 1000)).count
            if count > 0 { listed[status] = count }
        }
        #expect(listed.values.reduce(0, +) == 120)
        #expect(statistics.pipelinesByStatus == listed)
        try await folder.compactStatusCounts()
        #expect(try await folder.statistics().pipelinesByStatus == listed, "folding changes no count")
    }
}
