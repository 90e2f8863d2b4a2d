import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Testing

@Suite("Lease rescue and operator actions")
struct RescueAndOperatorTests {
    @Test(arguments: StoreDriver.all)
    func abandonedProcessIsQueuedAgainAndRunsAgain(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        let abandoned = try await store.mustClaim(.process, owner: "crashed", lease: .seconds(60))
        harness.clock.advance(by: .seconds(61))
        let report = try await store.rescueExpiredLeases()
        #expect(report == RescueReport(requeued: [abandoned.lease.stageID]))
        let rerun = try await store.mustClaim(.process, owner: "survivor")
        #expect(rerun.pipeline.id == id)
        #expect(rerun.lease.attempt == 2)
        try await store.complete(rerun.lease, summary: nil)
        let attempts = try #require(try await store.pipeline(id)).attempts
        #expect(attempts.map(\.outcome) == [.abandoned, .succeeded])
        #expect(attempts.map(\.worker) == ["crashed", "survivor"])
    }

    @Test(arguments: StoreDriver.all)
    func abandonedProcessOnItsLastAttemptFails(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(maxAttempts: [.process: 1]), 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        let claimed = try await store.mustClaim(.process, lease: .seconds(5))
        harness.clock.advance(by: .seconds(6))
        #expect(try await store.rescueExpiredLeases() == RescueReport(failed: [claimed.lease.stageID]))
        #expect(try await store.stage(id, .process)?.state == .failed)
    }

    @Test(arguments: StoreDriver.all)
    func anExecuteWhoseRunOutlivesItsWorkerIsQueuedWithTheSameAttemptToBeReattached(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        try await store.runToSuccess(.process)
        let execute = try await store.mustClaim(.execute, owner: "crashed", lease: .seconds(60))
        let execution = try await store.startExecution(lease: execute.lease)
        harness.clock.advance(by: .seconds(61))
        #expect(try await store.rescueExpiredLeases(reattachable: true) == RescueReport(requeued: [execute.lease.stageID]))
        #expect(try await store.stage(id, .execute)?.state == .queued)
        // The same attempt: it names the same run (its Job); the execution is still the one running.
        let again = try await store.mustClaim(.execute, owner: "survivor")
        #expect(again.lease.attempt == execute.lease.attempt)
        #expect(try await store.executions(for: id).map(\.id) == [execution])
        #expect(try await store.executions(for: id).first?.outcome == .running)

        // Shut down gracefully while following it: handed back the same way.
        try await store.release(again.lease, reason: "stopped by shutdown", reattachable: true)
        let third = try await store.mustClaim(.execute, owner: "third")
        #expect(third.lease.attempt == execute.lease.attempt)
        let attempts = try #require(try await store.pipeline(id)).attempts.filter { $0.kind == .execute }
        #expect(attempts.map(\.outcome) == [.released, .released, .running])
    }

    @Test(arguments: StoreDriver.all)
    func abandonedExecuteIsInterruptedNeverRerunUntilAnOperatorRetriesItExactlyOnce(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        try await store.runToSuccess(.process)
        let execute = try await store.mustClaim(.execute, owner: "crashed", lease: .seconds(60))
        // Durably running before any process could be spawned.
        #expect(try await store.stage(id, .execute)?.state == .running)

        harness.clock.advance(by: .seconds(61))
        #expect(try await store.rescueExpiredLeases() == RescueReport(interrupted: [execute.lease.stageID]))
        let interrupted = try #require(try await store.stage(id, .execute))
        #expect(interrupted.state == .interrupted)
        #expect(interrupted.lastError?.contains("not re-run automatically") == true)
        #expect(try await store.status(id) == .interrupted)
        for _ in 0..<3 {
            harness.clock.advance(by: .seconds(3600))
            #expect(try await store.rescueExpiredLeases().isEmpty)
            #expect(try await store.claimNext(owner: "w", kinds: [.execute], leaseDuration: .seconds(5)) == nil)
        }

        try await store.retry(stage: execute.lease.stageID, operatorName: "alice", reason: "checked: nothing was written")
        let rerun = try await store.mustClaim(.execute, owner: "survivor")
        #expect(rerun.lease.attempt == 2)
        #expect(try await store.claimNext(owner: "w", kinds: [.execute], leaseDuration: .seconds(5)) == nil)
        try await store.complete(rerun.lease, summary: "exit 0")
        #expect(try await store.claimNext(owner: "w", kinds: [.execute], leaseDuration: .seconds(5)) == nil)
        try await store.runToSuccess(.cleanup)

        let detail = try #require(try await store.pipeline(id))
        #expect(detail.summary.status == .succeeded)
        #expect(detail.attempts.filter { $0.kind == .execute }.map(\.outcome) == [.interrupted, .succeeded])
        let action = try #require(detail.operatorActions.first)
        #expect(detail.operatorActions.count == 1)
        #expect(action.kind == .retry)
        #expect(action.stageKind == .execute)
        #expect(action.operatorName == "alice")
        #expect(action.reason == "checked: nothing was written")
        #expect(action.at == harness.clock.now())
    }

    @Test(arguments: StoreDriver.all)
    func retryOfAFailedProcessGrantsFreshAttempts(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(maxAttempts: [.process: 2]), 0).store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        let claimed = try await store.mustClaim(.process)
        try await store.fail(claimed.lease, failure: .permanent("GitHub said 404"))
        try await store.retry(stage: claimed.lease.stageID, operatorName: "bob", reason: nil)
        let stage = try #require(try await store.stage(id, .process))
        #expect(stage.state == .queued)
        #expect(stage.maxAttempts == 3)
        #expect(stage.lastError?.contains("404") == true, "the last error stays visible")
        try await store.runToSuccess(.process)
        #expect(try await store.stage(id, .execute)?.state == .queued)
    }

    @Test(arguments: StoreDriver.all)
    func retryIsRefusedForStagesThatDidNotFail(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        let queued = try #require(try await store.stage(id, .process))
        await #expect(throws: PipelineStoreError.invalidTransition(queued.id, kind: .process, from: .queued, action: "retry")) {
            try await store.retry(stage: queued.id, operatorName: "alice", reason: nil)
        }
        let done = try await store.runToSuccess(.process)
        await #expect(throws: PipelineStoreError.invalidTransition(done.lease.stageID, kind: .process, from: .succeeded, action: "retry")) {
            try await store.retry(stage: done.lease.stageID, operatorName: "alice", reason: nil)
        }
        await #expect(throws: PipelineStoreError.stageNotFound(StageID(9_999))) {
            try await store.retry(stage: StageID(9_999), operatorName: "alice", reason: nil)
        }
        #expect(try await store.pipeline(id)?.operatorActions.isEmpty == true)
    }

    @Test(arguments: StoreDriver.all)
    func cancelStopsAQueuedPipelineButNotARunningOne(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        let ids = try await store.recordDelivery(
            Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh"), Fixtures.pipeline("jobs/b.sh")]
        ).pipelines.map(\.id)
        try await store.cancel(pipeline: ids[0], operatorName: "carol", reason: "wrong environment")
        #expect(try await store.status(ids[0]) == .cancelled)
        let claimed = try await store.mustClaim(.process)
        #expect(claimed.pipeline.id == ids[1], "a cancelled pipeline is never claimed")
        await #expect(throws: PipelineStoreError.invalidTransition(claimed.lease.stageID, kind: .process, from: .running, action: "cancel")) {
            try await store.cancel(pipeline: ids[1], operatorName: "carol", reason: nil)
        }
        await #expect(throws: PipelineStoreError.pipelineNotFound(PipelineID(424_242))) {
            try await store.cancel(pipeline: PipelineID(424_242), operatorName: "carol", reason: nil)
        }
        let action = try #require(try await store.pipeline(ids[0])?.operatorActions.first)
        #expect(action.kind == .cancel)
        #expect(action.operatorName == "carol")
        #expect(action.reason == "wrong environment")
    }
}
