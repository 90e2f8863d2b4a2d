import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Testing

@Suite("Recording deliveries")
struct IntakeRecordingTests {
    @Test(arguments: StoreDriver.all)
    func recordsDeliveryAndPipelinesWithQueuedProcessStages(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let recorded = try await store.recordDelivery(
            Fixtures.delivery("d-1"),
            pipelines: [Fixtures.pipeline("jobs/a.sh"), Fixtures.pipeline("jobs/b.py")])
        #expect(!recorded.isRedelivery)
        #expect(recorded.pipelines.map(\.path) == ["jobs/a.sh", "jobs/b.py"])
        #expect(recorded.pipelines.allSatisfy { $0.created })
        #expect(recorded.pipelines[0].id < recorded.pipelines[1].id, "ids follow arrival order")

        for entry in recorded.pipelines {
            let detail = try #require(try await store.pipeline(entry.id))
            #expect(detail.summary.pipeline.source.scriptPath == entry.path)
            #expect(detail.summary.pipeline.deliveryID == DeliveryID("d-1"))
            #expect(detail.summary.stages.map(\.kind) == [.process])
            #expect(detail.summary.stages[0].state == .queued)
            #expect(detail.summary.stages[0].maxAttempts == harness.policy.attempts(for: .process))
            #expect(detail.summary.status == .queued)
        }
        let delivery = try #require(try await store.delivery(DeliveryID("d-1")))
        #expect(delivery.delivery.outcome == .accepted)
        #expect(delivery.pipelineIDs == recorded.pipelines.map(\.id))
    }

    @Test(arguments: StoreDriver.all)
    func redeliveryCreatesNothingAndAnswersWithTheSamePipelines(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        let first = try await store.recordDelivery(Fixtures.delivery("d-1"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
        let again = try await store.recordDelivery(
            Fixtures.delivery("d-1"), pipelines: [Fixtures.pipeline("jobs/a.sh"), Fixtures.pipeline("jobs/new.sh")])
        #expect(again.isRedelivery)
        #expect(again.pipelines.map(\.id) == first.pipelines.map(\.id))
        #expect(again.pipelines.map(\.path) == ["jobs/a.sh"])
        #expect(again.pipelines.allSatisfy { !$0.created })
        #expect(try await store.pipelines(PipelineFilter()).count == 1)
    }

    @Test(arguments: StoreDriver.all)
    func sameScriptAtSameCommitIsOnePipelineAcrossDeliveries(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        let first = try await store.recordDelivery(Fixtures.delivery("d-1"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
        let second = try await store.recordDelivery(
            Fixtures.delivery("d-2"),
            pipelines: [Fixtures.pipeline("jobs/a.sh"), Fixtures.pipeline("jobs/a.sh", commit: "beef")])
        #expect(!second.isRedelivery)
        #expect(second.pipelines.map(\.created) == [false, true])
        #expect(second.pipelines[0].id == first.pipelines[0].id)
        let all = try await store.pipelines(PipelineFilter())
        #expect(all.count == 2)
        // Only one PROCESS stage was queued for the shared pipeline.
        _ = try await store.runToSuccess(.process)
        _ = try await store.runToSuccess(.process)
        #expect(try await store.claimNext(owner: "w", kinds: [.process], leaseDuration: .seconds(5)) == nil)
    }

    @Test(arguments: StoreDriver.all)
    func ignoredDeliveriesAreRecordedForTheAuditTrail(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        var delivery = Fixtures.delivery("d-ignored", outcome: .ignored)
        delivery.reason = "branch refs/heads/feature is not the configured branch"
        let recorded = try await store.recordDelivery(delivery, pipelines: [])
        #expect(recorded.pipelines.isEmpty)
        let stored = try #require(try await store.delivery(DeliveryID("d-ignored")))
        #expect(stored.delivery.outcome == .ignored)
        #expect(stored.delivery.reason == delivery.reason)
        #expect(try await store.delivery(DeliveryID("unknown")) == nil)
    }
}

@Suite("Recording deliveries: failed ones")
struct FailedDeliveryRecordingTests {
    @Test(arguments: StoreDriver.all)
    func aFailedDeliveryIsRecordedAfreshWhenRedelivered(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        var failed = Fixtures.delivery("d-1", outcome: .failed)
        failed.reason = "forced push: listing its changes needs the GitHub API"
        _ = try await store.recordDelivery(failed, pipelines: [])
        let again = try await store.recordDelivery(Fixtures.delivery("d-1"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
        #expect(!again.isRedelivery)
        #expect(again.pipelines.map(\.created) == [true])
        let stored = try #require(try await store.delivery(DeliveryID("d-1")))
        #expect(stored.delivery.outcome == .accepted)
        #expect(stored.delivery.reason == nil)
        // An accepted one is final: a further redelivery creates nothing.
        let third = try await store.recordDelivery(Fixtures.delivery("d-1"), pipelines: [Fixtures.pipeline("jobs/b.sh")])
        #expect(third.isRedelivery)
        #expect(third.pipelines.map(\.path) == ["jobs/a.sh"])
    }
}
