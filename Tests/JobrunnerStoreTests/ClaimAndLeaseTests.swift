import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStorePostgres
import JobrunnerTestSupport
import Testing

@Suite("Claims, leases and stage completion")
struct ClaimAndLeaseTests {
    @Test(arguments: StoreDriver.all)
    func claimLeasesTheStageAndCountsTheAttempt(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let recorded = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
        #expect(try await store.claimNext(owner: "w", kinds: [.execute, .cleanup], leaseDuration: .seconds(5)) == nil)
        let claimed = try await store.mustClaim(.process, owner: "node-1/w0", lease: .seconds(30))
        #expect(claimed.kind == .process)
        #expect(claimed.pipeline.id == recorded.pipelines[0].id)
        #expect(claimed.lease.attempt == 1)
        #expect(claimed.lease.owner == "node-1/w0")
        #expect(claimed.lease.expiresAt == harness.clock.now().adding(.seconds(30)))

        let stage = try #require(try await store.stage(claimed.pipeline.id, .process))
        #expect(stage.state == .running)
        #expect(stage.leaseOwner == "node-1/w0")
        #expect(try await store.status(claimed.pipeline.id) == .running)
        // Nothing else is claimable: the only stage is leased.
        #expect(try await store.claimNext(owner: "w2", kinds: Set(StageKind.allCases), leaseDuration: .seconds(5)) == nil)
        let attempts = try #require(try await store.pipeline(claimed.pipeline.id)).attempts
        #expect(attempts.map(\.outcome) == [.running])
        #expect(attempts.map(\.worker) == ["node-1/w0"])
    }

    @Test(arguments: StoreDriver.all)
    func completingEnqueuesTheNextStageUntilThePipelineSucceeds(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        for kind in StageKind.allCases {
            let claimed = try await store.mustClaim(kind)
            #expect(claimed.pipeline.id == id)
            try await store.complete(claimed.lease, summary: "\(kind.rawValue) done")
            let stages = try #require(try await store.pipeline(id)).summary.stages
            #expect(stages.first { $0.kind == kind }?.state == .succeeded)
            #expect(stages.first { $0.kind == kind }?.summary == "\(kind.rawValue) done")
            if let next = kind.next {
                #expect(stages.first { $0.kind == next }?.state == .queued)
            }
        }
        #expect(try await store.status(id) == .succeeded)
        #expect(try await store.claimNext(owner: "w", kinds: Set(StageKind.allCases), leaseDuration: .seconds(5)) == nil)
    }

    @Test(arguments: StoreDriver.all)
    func renewExtendsTheLeaseAndAStaleLeaseCannotFinishTheStage(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        _ = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
        let claimed = try await store.mustClaim(.process, owner: "slow", lease: .seconds(10))
        harness.clock.advance(by: .seconds(8))
        let renewed = try await store.renew(claimed.lease, leaseDuration: .seconds(10))
        #expect(renewed.expiresAt == harness.clock.now().adding(.seconds(10)))
        harness.clock.advance(by: .seconds(8))
        #expect(try await store.rescueExpiredLeases().isEmpty, "a renewed lease is not rescued")

        harness.clock.advance(by: .seconds(3))
        let report = try await store.rescueExpiredLeases()
        #expect(report.requeued == [claimed.lease.stageID])
        await #expect(throws: PipelineStoreError.leaseLost(claimed.lease.stageID, owner: "slow")) {
            try await store.renew(claimed.lease, leaseDuration: .seconds(10))
        }
        await #expect(throws: PipelineStoreError.leaseLost(claimed.lease.stageID, owner: "slow")) {
            try await store.complete(claimed.lease, summary: nil)
        }
        // The successor's attempt is the one that counts.
        let successor = try await store.mustClaim(.process, owner: "fast")
        #expect(successor.lease.attempt == 2)
        await #expect(throws: PipelineStoreError.self) {
            try await store.fail(claimed.lease, failure: .permanent("late"))
        }
        try await store.complete(successor.lease, summary: nil)
        #expect(try await store.stage(successor.pipeline.id, .process)?.state == .succeeded)
    }

    @Test(arguments: StoreDriver.all)
    func releaseHandsBackProcessWithoutUsingAnAttemptButInterruptsExecute(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        let process = try await store.mustClaim(.process)
        try await store.release(process.lease, reason: "stopped by shutdown")
        let requeued = try #require(try await store.stage(id, .process))
        #expect(requeued.state == .queued)
        #expect(requeued.attempt == 0)
        let again = try await store.mustClaim(.process)
        #expect(again.lease.attempt == 1)
        try await store.complete(again.lease, summary: nil)

        let execute = try await store.mustClaim(.execute)
        try await store.release(execute.lease, reason: "stopped by shutdown")
        #expect(try await store.stage(id, .execute)?.state == .interrupted)
        #expect(try await store.claimNext(owner: "w", kinds: [.execute], leaseDuration: .seconds(5)) == nil)
        let outcomes = try #require(try await store.pipeline(id)).attempts.map(\.outcome)
        #expect(outcomes == [.released, .succeeded, .interrupted])
    }
}

/// On PostgreSQL, leases are stamped and compared on the database server's time.
@Suite("Leases on the database's clock")
struct DatabaseClockTests {
    @Test
    func aNodeWhoseClockIsAnHourWrongStillStampsLeasesOnTheDatabasesTime() async throws {
        guard TestPostgres.url != nil || TestPostgres.isRequired else { return }
        let url = try await TestPostgres.freshDatabase()
        // This node's clock is an hour fast; the database's is right.
        let wrong = ManualClock(start: Date().addingTimeInterval(3600))
        let clock = DatabaseTimeClock(local: wrong)
        let store = try await PostgresPipelineStore.connect(url: url, clock: clock)
        defer { store.close() }
        #expect(abs(clock.measuredOffset + 3600) < 5, "measured the hour: \(clock.measuredOffset)")
        _ = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
        let claimed = try #require(try await store.claimNext(owner: "n", kinds: [.process], leaseDuration: .seconds(60)))
        let expires = claimed.lease.expiresAt.timeIntervalSince(Date())
        #expect(expires > 50 && expires < 70, "60 s from the database's now, not from the node's: \(expires)")
        // A rescue by this node does not find the lease expired though its own clock is an hour on.
        #expect(try await store.rescueExpiredLeases().requeued.isEmpty)
    }
}
