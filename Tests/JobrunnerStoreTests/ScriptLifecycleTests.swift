import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Testing

/// A script's life beyond the happy path, on every driver: a fix pushed after PROCESS failed
/// replaces the old pipeline (links both ways, the old one can never run), a change after
/// EXECUTE started runs nothing, and an operator can discard what will not run.
@Suite("A script's life: fixes and discards")
struct ScriptLifecycleTests {
    func fix(_ path: String, commit: String) -> NewPipeline {
        var pipeline = Fixtures.pipeline(path, commit: commit)
        pipeline.modifiesExisting = true
        return pipeline
    }

    @Test(arguments: StoreDriver.all)
    func aFixAfterAFailedProcessSupersedesItAndTheOldOneNeverRuns(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(maxAttempts: [.process: 1, .execute: 1, .cleanup: 3]), 0)
        let store = harness.store
        let old = try await store.recordDelivery(Fixtures.delivery("d1"), pipelines: [Fixtures.pipeline("jobs/a.ts", commit: "c1")])
            .pipelines[0].id
        let process = try await store.mustClaim(.process)
        try await store.fail(process.lease, failure: .permanent("syntax error"))
        #expect(try await store.status(old) == .failed)

        let recorded = try await store.recordDelivery(Fixtures.delivery("d2"), pipelines: [fix("jobs/a.ts", commit: "c2")])
        #expect(recorded.skipped.isEmpty)
        let new = try #require(recorded.pipelines.first)
        #expect(new.created)
        let oldDetail = try #require(try await store.pipeline(old))
        let newDetail = try #require(try await store.pipeline(new.id))
        #expect(oldDetail.summary.pipeline.supersededBy == new.id)
        #expect(newDetail.summary.pipeline.supersedes == old)
        #expect(oldDetail.summary.status == .superseded)
        #expect(try await store.pipelines(PipelineFilter(status: .superseded)).map(\.pipeline.id) == [old])
        // The old content can never run: its PROCESS is not retryable any more.
        await #expect(throws: PipelineStoreError.pipelineClosed(old, .superseded, action: "retry")) {
            try await store.retry(stage: process.lease.stageID, operatorName: "alice", reason: nil)
        }
        // The fix runs through.
        try await store.runToSuccess(.process)
        let execute = try await store.mustClaim(.execute)
        #expect(execute.pipeline.id == new.id)
        #expect(execute.pipeline.source.commit == "c2")
        #expect(try await store.claimNext(owner: "w", kinds: [.process, .execute], leaseDuration: .seconds(30)) == nil)
    }

    @Test(arguments: StoreDriver.all)
    func aFixWhileTheOldPipelineIsStillBeforeExecuteCancelsItsQueuedAndRunningStages(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let old = try await store.recordDelivery(Fixtures.delivery("d1"), pipelines: [Fixtures.pipeline("jobs/a.ts", commit: "c1")])
            .pipelines[0].id
        let building = try await store.mustClaim(.process)
        let new = try await store.recordDelivery(Fixtures.delivery("d2"), pipelines: [fix("jobs/a.ts", commit: "c2")])
            .pipelines[0].id
        let cancelled = try #require(try await store.stage(old, .process))
        #expect(cancelled.state == .cancelled)
        #expect(cancelled.lastError == ModifiedScriptRule.cancelReason(supersededBy: new))
        // The worker building the old content loses its lease: no EXECUTE follows for it.
        await #expect(throws: PipelineStoreError.self) { try await store.complete(building.lease, summary: nil) }
        #expect(try await store.stage(old, .execute) == nil)
        #expect(try await store.status(old) == .superseded)
    }

    @Test(arguments: StoreDriver.all)
    func aChangeAfterExecuteStartedRunsNothingAndTheDeliverySaysWhy(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let old = try await store.recordDelivery(Fixtures.delivery("d1"), pipelines: [Fixtures.pipeline("jobs/a.ts", commit: "c1")])
            .pipelines[0].id
        try await store.runToSuccess(.process)
        let execute = try await store.mustClaim(.execute, lease: .seconds(5))
        // Its worker vanishes: interrupted, never re-run by a change of the file.
        harness.clock.advance(by: .seconds(6))
        _ = try await store.rescueExpiredLeases()
        #expect(try await store.status(old) == .interrupted)

        let recorded = try await store.recordDelivery(Fixtures.delivery("d2"), pipelines: [fix("jobs/a.ts", commit: "c2")])
        #expect(recorded.pipelines.isEmpty)
        let reason = "already executed in pipeline \(old) — add a new file to run it again"
        #expect(recorded.skipped == [ScriptDetector.Skipped(path: "jobs/a.ts", reason: reason)])
        let delivery = try #require(try await store.delivery(DeliveryID("d2")))
        #expect(delivery.delivery.outcome == .ignored)
        #expect(delivery.delivery.reason?.contains(reason) == true)
        #expect(delivery.pipelineIDs.isEmpty)
        #expect(try await store.claimNext(owner: "w", kinds: Set(StageKind.allCases), leaseDuration: .seconds(30)) == nil)
        _ = execute
    }

    @Test(arguments: StoreDriver.all)
    func aChangedScriptJobrunnerNeverSawIsSkippedNextToAnAddedOne(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let recorded = try await harness.store.recordDelivery(
            Fixtures.delivery("d1"), pipelines: [Fixtures.pipeline("jobs/new.sh", commit: "c1"), fix("jobs/old.sh", commit: "c1")])
        #expect(recorded.pipelines.map(\.path) == ["jobs/new.sh"])
        #expect(recorded.skipped.map(\.path) == ["jobs/old.sh"])
        #expect(recorded.record.delivery.outcome == .accepted)
        #expect(recorded.record.delivery.reason?.hasPrefix("skipped jobs/old.sh: modified, but no earlier pipeline") == true)
    }

    @Test(arguments: StoreDriver.all)
    func discardingAFailedPipelineQueuesCleanupAndIsRecorded(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(maxAttempts: [.process: 1, .execute: 1, .cleanup: 3]), 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d1"), pipelines: [Fixtures.pipeline("jobs/a.ts")])
            .pipelines[0].id
        // Not while it is queued: cancel first.
        await #expect(throws: PipelineStoreError.self) { try await store.discard(pipeline: id, operatorName: "alice", reason: "x") }
        let process = try await store.mustClaim(.process)
        try await store.fail(process.lease, failure: .permanent("refused by the approval policy"))

        try await store.discard(pipeline: id, operatorName: "alice", reason: "the table is gone")
        let detail = try #require(try await store.pipeline(id))
        let discard = try #require(detail.summary.pipeline.discard)
        #expect(discard.operatorName == "alice")
        #expect(discard.reason == "the table is gone")
        #expect(discard.mayHaveRun == false)
        #expect(detail.operatorActions.map(\.kind) == [.discard])
        #expect(detail.summary.status == .queued)
        // Only once; and the failed PROCESS is not retryable any more.
        await #expect(throws: PipelineStoreError.discardRefused(id, "pipeline \(id) is already discarded")) {
            try await store.discard(pipeline: id, operatorName: "bob", reason: "again")
        }
        await #expect(throws: PipelineStoreError.pipelineClosed(id, .discarded, action: "retry")) {
            try await store.retry(stage: process.lease.stageID, operatorName: "alice", reason: nil)
        }
        let cleanup = try await store.mustClaim(.cleanup)
        #expect(cleanup.pipeline.discard?.operatorName == "alice")
        try await store.complete(cleanup.lease, summary: "committed")
        #expect(try await store.status(id) == .discarded)
        #expect(try await store.pipelines(PipelineFilter(status: .discarded)).map(\.pipeline.id) == [id])
    }

    @Test(arguments: StoreDriver.all)
    func anInterruptedRunCanBeDiscardedAndMayHaveRun(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d1"), pipelines: [Fixtures.pipeline("jobs/a.ts")])
            .pipelines[0].id
        try await store.runToSuccess(.process)
        _ = try await store.mustClaim(.execute, lease: .seconds(5))
        harness.clock.advance(by: .seconds(6))
        _ = try await store.rescueExpiredLeases()
        try await store.discard(pipeline: id, operatorName: "ops", reason: "ran half; finishing by hand")
        #expect(try await store.pipeline(id)?.summary.pipeline.discard?.mayHaveRun == true)
        try await store.runToSuccess(.cleanup)
        #expect(try await store.status(id) == .discarded)
    }
}
