import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Testing

@Suite("Transient and permanent failures")
struct RetryAndBackoffTests {
    static let policy = RetryPolicy(
        maxAttempts: [.process: 4, .cleanup: 3], baseDelay: .seconds(10), maxDelay: .seconds(30))

    @Test(arguments: StoreDriver.all)
    func transientFailuresBackOffExponentiallyUntilAttemptsRunOut(driver: StoreDriver) async throws {
        // Jitter 0: each delay is the fixed half of the exponential step (10, 20, 40→capped 30).
        let harness = try await driver.open(Self.policy, 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        let expectedDelays: [Duration] = [.seconds(5), .seconds(10), .seconds(15)]
        for (index, delay) in expectedDelays.enumerated() {
            let claimed = try await store.mustClaim(.process)
            #expect(claimed.lease.attempt == index + 1)
            let disposition = try await store.fail(claimed.lease, failure: .transient("GitHub answered 502"))
            #expect(disposition == .willRetry(at: harness.clock.now().adding(delay)))
            let stage = try #require(try await store.stage(id, .process))
            #expect(stage.state == .queued)
            #expect(stage.lastError == "attempt \(index + 1) of 4: GitHub answered 502")
            // Not claimable a moment before the backoff ends, claimable at its end.
            harness.clock.advance(by: delay - .milliseconds(10))
            #expect(try await store.claimNext(owner: "w", kinds: [.process], leaseDuration: .seconds(5)) == nil)
            harness.clock.advance(by: .milliseconds(10))
        }
        let last = try await store.mustClaim(.process)
        #expect(last.lease.attempt == 4)
        #expect(try await store.fail(last.lease, failure: .transient("still 502")) == .failed)
        let stage = try #require(try await store.stage(id, .process))
        #expect(stage.state == .failed)
        #expect(try await store.status(id) == .failed)
        harness.clock.advance(by: .seconds(3600))
        #expect(try await store.claimNext(owner: "w", kinds: [.process], leaseDuration: .seconds(5)) == nil)
        let outcomes = try #require(try await store.pipeline(id)).attempts.map(\.outcome)
        #expect(outcomes == [.retrying, .retrying, .retrying, .failed])
    }

    @Test(arguments: StoreDriver.all)
    func jitterAddsUpToTheOtherHalfOfTheStep(driver: StoreDriver) async throws {
        let harness = try await driver.open(Self.policy, 1)
        let store = harness.store
        _ = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
        let claimed = try await store.mustClaim(.process)
        let disposition = try await store.fail(claimed.lease, failure: .transient("timeout"))
        #expect(disposition == .willRetry(at: harness.clock.now().adding(.seconds(10))))
    }

    @Test(arguments: StoreDriver.all)
    func permanentFailureDoesNotRetry(driver: StoreDriver) async throws {
        let harness = try await driver.open(Self.policy, 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.ts")])
            .pipelines[0].id
        let claimed = try await store.mustClaim(.process)
        let disposition = try await store.fail(claimed.lease, failure: .permanent("a.ts(3,1): syntax error"))
        #expect(disposition == .failed)
        let stage = try #require(try await store.stage(id, .process))
        #expect(stage.state == .failed)
        #expect(stage.attempt == 1)
        #expect(stage.lastError?.contains("syntax error") == true)
        harness.clock.advance(by: .seconds(3600))
        #expect(try await store.claimNext(owner: "w", kinds: [.process], leaseDuration: .seconds(5)) == nil)
        #expect(try await store.pipeline(id)?.summary.stages.map(\.kind) == [.process], "no EXECUTE after a failed PROCESS")
    }

    @Test(arguments: StoreDriver.all)
    func executeIsNeverRetriedAutomaticallyEvenForTransientErrors(driver: StoreDriver) async throws {
        let harness = try await driver.open(Self.policy, 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        try await store.runToSuccess(.process)
        let execute = try await store.mustClaim(.execute)
        #expect(try await store.fail(execute.lease, failure: .transient("could not create work directory")) == .failed)
        harness.clock.advance(by: .seconds(3600))
        #expect(try await store.claimNext(owner: "w", kinds: [.execute], leaseDuration: .seconds(5)) == nil)
        #expect(try await store.stage(id, .execute)?.state == .failed)
    }
}
