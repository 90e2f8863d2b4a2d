import Foundation
import JobrunnerCore
import JobrunnerStages
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Logging
import ServiceLifecycle
import Testing

@Suite("Worker pool")
struct WorkerPoolTests {
    @Test
    func runsEveryStageOfEveryPipelineExactlyOnceAcrossWorkers() async throws {
        let directory = try TemporaryDirectory("pool")
        let store = try sqliteStore(directory)
        for batch in 0..<6 {
            let pipelines = (0..<10).map { index in
                Fixtures.pipeline("jobs/\(batch)-\(index).sh", repository: "acme/r\(index % 3)", commit: "c\(batch)")
            }
            _ = try await store.recordDelivery(Fixtures.delivery("d\(batch)"), pipelines: pipelines)
        }
        let runs = Locked<[String: Int]>([:])
        let executing = Locked<Set<String>>([])
        let overlaps = Locked(0)
        let count: @Sendable (ClaimedStage) -> Void = { stage in
            runs.withLock { $0["\(stage.pipeline.id)-\(stage.kind.rawValue)", default: 0] += 1 }
        }
        let handlers = StageHandlers([
            .process: ClosureHandler { stage in count(stage); return StageSuccess(summary: "built") },
            .execute: ClosureHandler { stage in
                let repository = stage.pipeline.source.repository.rawValue
                if !executing.withLock({ $0.insert(repository).inserted }) { overlaps.withLock { $0 += 1 } }
                count(stage)
                try await Task.sleep(for: .milliseconds(2))
                executing.withLock { _ = $0.remove(repository) }
                return StageSuccess(summary: "exit 0")
            },
            .cleanup: ClosureHandler { stage in count(stage); return StageSuccess() },
        ])
        let pool = WorkerPool(
            store: store, handlers: handlers, configuration: poolConfiguration(workers: 3),
            logger: quietLogger)
        let running = RunningPool.start(pool)
        try await eventually("all 60 pipelines succeeded") {
            try await store.pipelines(PipelineFilter(status: .succeeded, limit: 100)).count == 60
        }
        try await running.shutdown()
        let counts = runs.value
        #expect(counts.count == 180)
        #expect(counts.values.allSatisfy { $0 == 1 }, "no stage ran twice")
        #expect(overlaps.value == 0, "no two EXECUTEs of one repository overlapped")
        let sample = try #require(try await store.pipeline(PipelineID(1)))
        #expect(sample.summary.stage(.process)?.summary == "built")
        #expect(sample.attempts.allSatisfy { $0.worker.hasPrefix("test-node/w") })
    }

    @Test
    func transientFailuresAreRetriedAndPermanentOnesAreNot() async throws {
        let directory = try TemporaryDirectory("pool")
        let store = try sqliteStore(
            directory, policy: RetryPolicy(maxAttempts: [.process: 3], baseDelay: .milliseconds(20), maxDelay: .milliseconds(40)))
        let ids = try await store.recordDelivery(
            Fixtures.delivery("d"),
            pipelines: [Fixtures.pipeline("jobs/flaky.sh", commit: "c1"), Fixtures.pipeline("jobs/broken.ts", commit: "c2")]
        ).pipelines.map(\.id)
        let handlers = StageHandlers([
            .process: ClosureHandler { stage in
                if stage.pipeline.source.scriptPath == "jobs/broken.ts" {
                    throw StageFailure.permanent("broken.ts(1,5): error TS1005: ';' expected")
                }
                if stage.lease.attempt == 1 { throw URLError(.timedOut) }
                return StageSuccess()
            }
        ])
        let pool = WorkerPool(
            store: store, handlers: handlers, configuration: poolConfiguration(workers: 2), logger: quietLogger)
        let running = RunningPool.start(pool)
        try await eventually("flaky PROCESS succeeded on its second attempt") {
            try await store.stage(ids[0], .process)?.state == .succeeded
        }
        try await running.shutdown()
        let flaky = try #require(try await store.pipeline(ids[0]))
        #expect(flaky.attempts.map(\.outcome) == [.retrying, .succeeded])
        let broken = try #require(try await store.pipeline(ids[1]))
        #expect(broken.attempts.map(\.outcome) == [.failed])
        #expect(broken.summary.stage(.process)?.lastError?.contains("TS1005") == true)
        #expect(flaky.summary.stage(.execute)?.state == .queued, "no EXECUTE handler here: it waits, durably")
    }

    @Test
    func stagesFinishingWithinTheGracePeriodComplete() async throws {
        let directory = try TemporaryDirectory("pool")
        let clock = ManualClock()
        let store = try sqliteStore(directory, clock: clock)
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        let started = Beacon()
        let mayFinish = Beacon()
        let handlers = StageHandlers([
            .process: ClosureHandler { _ in
                started.signal()
                await mayFinish.wait(past: 0)
                return StageSuccess()
            }
        ])
        let pool = WorkerPool(
            store: store, handlers: handlers, configuration: poolConfiguration(workers: 2), clock: clock,
            logger: quietLogger)
        let running = RunningPool.start(pool)
        await started.wait(past: 0)
        await running.group.triggerGracefulShutdown()
        mayFinish.signal()
        try await running.task.value
        #expect(try await store.stage(id, .process)?.state == .succeeded)
        #expect(try await store.stage(id, .execute)?.state == .queued, "no new claim after shutdown began")
    }

    @Test
    func stagesStillRunningAtTheDeadlineAreHandedBackByTheRules() async throws {
        let directory = try TemporaryDirectory("pool")
        let clock = ManualClock()
        let store = try sqliteStore(directory, clock: clock)
        let processID = try await store.recordDelivery(
            Fixtures.delivery("d1"), pipelines: [Fixtures.pipeline("jobs/a.sh", repository: "acme/a")]
        ).pipelines[0].id
        let executeID = try await store.recordDelivery(
            Fixtures.delivery("d2"), pipelines: [Fixtures.pipeline("jobs/b.sh", repository: "acme/b")]
        ).pipelines[0].id
        // Build b first, so the pool finds b's EXECUTE and a's PROCESS.
        let aProcess = try #require(try await store.claimNext(owner: "setup", kinds: [.process], leaseDuration: .seconds(60)))
        let bProcess = try #require(try await store.claimNext(owner: "setup", kinds: [.process], leaseDuration: .seconds(60)))
        try #require(aProcess.pipeline.id == processID && bProcess.pipeline.id == executeID)
        try await store.complete(bProcess.lease, summary: nil)
        try await store.release(aProcess.lease, reason: "setup")

        let started = Locked(0)
        let cancelled = Locked<[StageKind]>([])
        let blocking = ClosureHandler { stage in
            started.withLock { $0 += 1 }
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                cancelled.withLock { $0.append(stage.kind) }
                throw error
            }
            return StageSuccess()
        }
        // a's PROCESS and b's EXECUTE block until stopped.
        let handlers = StageHandlers([.process: blocking, .execute: blocking])
        let pool = WorkerPool(
            store: store, handlers: handlers, configuration: poolConfiguration(workers: 2, grace: .seconds(30)),
            clock: clock, logger: quietLogger)
        let running = RunningPool.start(pool)
        try await eventually("both blocking stages started") { started.value == 2 }
        await running.group.triggerGracefulShutdown()
        // Before the grace period ends nothing is handed back.
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await store.stage(processID, .process)?.state == .running)
        let finished = Locked(false)
        let waiter = Task {
            try await running.task.value
            finished.withLock { $0 = true }
        }
        for _ in 0..<500 where !finished.value {
            clock.advance(by: .seconds(30))
            try await Task.sleep(for: .milliseconds(10))
        }
        try await waiter.value
        #expect(Set(cancelled.value) == [.process, .execute])
        let process = try #require(try await store.stage(processID, .process))
        #expect(process.state == .queued, "PROCESS goes back to the queue")
        #expect(process.attempt == 0, "without using up an attempt")
        let execute = try #require(try await store.stage(executeID, .execute))
        #expect(execute.state == .interrupted, "EXECUTE may have had effects: interrupted, never re-queued")
        #expect(execute.lastError?.contains("after shutdown began") == true)
    }

    @Test
    func aLostLeaseStopsTheHandlerAndItsResultIsDiscarded() async throws {
        let directory = try TemporaryDirectory("pool")
        let clock = ManualClock()
        let store = try sqliteStore(directory, clock: clock)
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        let firstAttemptCancelled = Locked(false)
        let started = Beacon()
        let handlers = StageHandlers([
            .process: ClosureHandler { stage in
                guard stage.lease.attempt == 1 else { return StageSuccess(summary: "second attempt") }
                started.signal()
                do { try await Task.sleep(for: .seconds(3600)) } catch { firstAttemptCancelled.withLock { $0 = true } }
                return StageSuccess(summary: "first attempt (must be discarded)")
            }
        ])
        let pool = WorkerPool(
            store: store, handlers: handlers, configuration: poolConfiguration(workers: 1), clock: clock,
            logger: quietLogger)
        let running = RunningPool.start(pool)
        await started.wait(past: 0)
        // Another node, whose clock is past the lease, rescues the stage.
        let otherNode = try SQLitePipelineStore(
            path: directory.file("jobrunner.sqlite"), clock: ManualClock(start: clock.now().addingTimeInterval(120)))
        #expect(try await otherNode.rescueExpiredLeases().requeued.count == 1)
        // The next renewal finds the lease gone.
        try await eventually("the stage ran again and succeeded") {
            clock.advance(by: .seconds(15))
            return try await store.stage(id, .process)?.state == .succeeded
        }
        try await running.shutdown()
        #expect(firstAttemptCancelled.value)
        let detail = try #require(try await store.pipeline(id))
        #expect(detail.summary.stage(.process)?.summary == "second attempt")
        #expect(detail.attempts.map(\.outcome) == [.abandoned, .succeeded])
    }

    @Test
    func errorsAreClassifiedForRetry() {
        struct PolicyRefusal: ClassifiedError { var failureKind: FailureKind { .permanent } }
        #expect(StageFailure(classifying: StageFailure.permanent("x")) == .permanent("x"))
        #expect(StageFailure(classifying: PolicyRefusal()).kind == .permanent)
        #expect(StageFailure(classifying: URLError(.cannotConnectToHost)).kind == .transient)
    }
}
