import Foundation
import JobrunnerCore
import JobrunnerStages
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// The stage queue of a real store whose renewals can be made to fail (the database unreachable
/// from this node only), everything else passed through.
struct UnrenewableLeases: StageQueue {
    let store: SQLitePipelineStore
    let failing = Locked(false)

    struct Unreachable: Error {}

    func claimNext(owner: String, kinds: Set<StageKind>, leaseDuration: Duration) async throws -> ClaimedStage? {
        try await store.claimNext(owner: owner, kinds: kinds, leaseDuration: leaseDuration)
    }
    func renew(_ lease: Lease, leaseDuration: Duration) async throws -> Lease {
        if failing.value { throw Unreachable() }
        return try await store.renew(lease, leaseDuration: leaseDuration)
    }
    func release(_ lease: Lease, reason: String, reattachable: Bool) async throws {
        try await store.release(lease, reason: reason, reattachable: reattachable)
    }
    func complete(_ lease: Lease, summary: String?, feedback: [PipelineEvent]) async throws {
        try await store.complete(lease, summary: summary, feedback: feedback)
    }
    func fail(_ lease: Lease, failure: StageFailure, feedbackIfFailed: [PipelineEvent]) async throws -> FailureDisposition {
        try await store.fail(lease, failure: failure, feedbackIfFailed: feedbackIfFailed)
    }
    func deferStage(_ lease: Lease, until: Date, reason: String, feedbackIfBegan: [PipelineEvent]) async throws -> Bool {
        try await store.deferStage(lease, until: until, reason: reason, feedbackIfBegan: feedbackIfBegan)
    }
    func rescueExpiredLeases(reattachable: Bool) async throws -> RescueReport {
        try await store.rescueExpiredLeases(reattachable: reattachable)
    }
    func cancelRequested(_ lease: Lease) async throws -> Bool {
        if failing.value { throw Unreachable() }
        return try await store.cancelRequested(lease)
    }
    func finishCancelled(_ lease: Lease, reason: String) async throws { try await store.finishCancelled(lease, reason: reason) }
}

@Suite("Fenced leases")
struct LeaseFencingTests {
    @Test
    func aWorkerThatCannotRenewStopsItsScriptBeforeTheLeaseExpiresSoARescueNeverOverlapsIt() async throws {
        let directory = try TemporaryDirectory("fence")
        let clock = ManualClock()
        let store = try sqliteStore(directory, clock: clock)
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        let queue = UnrenewableLeases(store: store)
        // When each attempt ran, on the shared (manual) clock.
        let runs = Locked<[(attempt: Int, from: Date, to: Date?)]>([])
        let started = Beacon()
        let handlers = StageHandlers([
            .process: ClosureHandler { stage in
                let index = runs.withLock { runs in
                    runs.append((stage.lease.attempt, clock.now(), nil))
                    return runs.count - 1
                }
                started.signal()
                guard stage.lease.attempt == 1 else {
                    runs.withLock { $0[index].to = clock.now() }
                    return StageSuccess(summary: "second attempt")
                }
                do { try await Task.sleep(for: .seconds(3600)) } catch {}
                runs.withLock { $0[index].to = clock.now() }
                throw CancellationError()
            }
        ])
        let pool = WorkerPool(
            store: queue, handlers: handlers, configuration: poolConfiguration(workers: 1), clock: clock, logger: quietLogger)
        let running = RunningPool.start(pool)
        await started.wait(past: 0)
        let claimed = clock.now()
        let expiry = try #require(try await store.stage(id, .process)?.leaseExpiresAt)

        // The database becomes unreachable from this node: every renewal fails from now on.
        queue.failing.withLock { $0 = true }
        try await eventually("the first attempt was stopped") {
            clock.advance(by: .seconds(5))
            return runs.value.first?.to != nil
        }
        let stopped = try #require(runs.value.first?.to)
        #expect(stopped < expiry, "stopped before its lease expired (\(stopped.timeIntervalSince(claimed)) s after the claim)")
        #expect(stopped.timeIntervalSince(claimed) >= 30, "not before renewals had failed for a while")

        // Past the expiry, another node's rescue queues it again; it runs once more, never at the same time.
        queue.failing.withLock { $0 = false }
        let otherNode = try SQLitePipelineStore(
            path: directory.file("jobrunner.sqlite"), clock: ManualClock(start: expiry.addingTimeInterval(1)))
        #expect(try await otherNode.rescueExpiredLeases().requeued.count == 1)
        try await eventually("the second attempt ran") {
            clock.advance(by: .seconds(1))
            return try await store.stage(id, .process)?.state == .succeeded
        }
        try await running.shutdown()
        let attempts = runs.value
        #expect(attempts.count == 2)
        if attempts.count == 2, let firstEnd = attempts[0].to {
            #expect(firstEnd <= attempts[1].from, "the attempts did not overlap")
        }
    }
}
