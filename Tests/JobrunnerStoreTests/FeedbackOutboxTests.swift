import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Testing

@Suite("The feedback outbox")
struct FeedbackOutboxTests {
    static let report = PipelineReport(
        outcome: .succeeded, exitCode: 0, duration: .seconds(2), logPath: "jobrunner-logs/a.md", logURL: nil, logCommit: "abc",
        pullRequest: 5)

    @Test(arguments: StoreDriver.all)
    func eventsJoinTheOutboxWithTheirStageChangeOrNotAtAll(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")]).pipelines[0].id
        let process = try await store.mustClaim(.process)
        try await store.enqueueFeedback([.started], for: id)
        try await store.complete(process.lease, summary: nil, feedback: [])
        let execute = try await store.mustClaim(.execute)
        // Deferring: the waiting event is written only when the wait begins.
        #expect(try await store.deferStage(execute.lease, until: Date.distantPast, reason: "deploy", feedbackIfBegan: [.waiting(reason: "deploy", pullRequest: 5)]))
        let again = try await store.mustClaim(.execute)
        #expect(!(try await store.deferStage(again.lease, until: Date.distantPast, reason: "deploy", feedbackIfBegan: [.waiting(reason: "deploy", pullRequest: 5)])))
        let third = try await store.mustClaim(.execute)
        let execution = try await store.startExecution(lease: third.lease, feedback: [.running])
        // Progress coalesces: one waits at a time.
        let progress = ProgressReport(done: 1, total: 10, unit: nil, firstDone: 1, firstAt: Date(), at: Date())
        try await store.recordProgress(execution: execution, progress: progress, feedback: [.progress])
        try await store.recordProgress(execution: execution, progress: progress, feedback: [.progress])
        try await store.complete(third.lease, summary: nil)
        let cleanup = try await store.mustClaim(.cleanup)
        try await store.complete(cleanup.lease, summary: nil, feedback: [.finished(Self.report)])
        // A stale lease writes nothing: its transaction fails as a whole.
        await #expect(throws: PipelineStoreError.self) {
            try await store.complete(cleanup.lease, summary: nil, feedback: [.failed(stage: .cleanup, reason: "x")])
        }
        let outbox = try await store.outbox(for: id)
        #expect(outbox.map(\.event) == [.started, .waiting(reason: "deploy", pullRequest: 5), .running, .progress, .finished(Self.report)])
        #expect(outbox.allSatisfy { $0.state == .pending && $0.attempts == 0 && $0.remainingChannels == nil })
    }

    @Test(arguments: StoreDriver.all)
    func aFailureForGoodIsReportedButARetryIsNot(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(maxAttempts: [.process: 2], baseDelay: .seconds(1), maxDelay: .seconds(1)), 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")]).pipelines[0].id
        let event = PipelineEvent.failed(stage: .process, reason: "network")
        let first = try await store.mustClaim(.process)
        #expect(try await store.fail(first.lease, failure: .transient("network"), feedbackIfFailed: [event]) != .failed)
        #expect(try await store.outbox(for: id).isEmpty, "it will be retried: nothing to report yet")
        harness.clock.advance(by: .seconds(5))
        let second = try await store.mustClaim(.process)
        #expect(try await store.fail(second.lease, failure: .transient("network"), feedbackIfFailed: [event]) == .failed)
        #expect(try await store.outbox(for: id).map(\.event) == [event])
    }

    @Test(arguments: StoreDriver.all)
    func eachPipelinesMessagesGoOutInOrderAndSettleAsTold(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let ids = try await store.recordDelivery(
            Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh"), Fixtures.pipeline("jobs/b.sh")]
        ).pipelines.map(\.id)
        try await store.enqueueFeedback([.started, .running, .finished(Self.report)], for: ids[0])
        try await store.enqueueFeedback([.started], for: ids[1])

        // Only the oldest pending message of each pipeline can be claimed.
        let claimed = try await store.claimFeedback(owner: "n1", limit: 10, leaseDuration: .seconds(60))
        #expect(claimed.map(\.message.event) == [.started, .started])
        #expect(claimed.map(\.pipeline.id) == ids)
        #expect(claimed.map(\.isLatest) == [false, true])
        #expect(try await store.claimFeedback(owner: "n2", limit: 10, leaseDuration: .seconds(60)).isEmpty, "leased")

        // A failed round: retried later, only for the channel still lacking it; the next message waits.
        let retryAt = harness.clock.now().adding(.seconds(30))
        let failure = FeedbackRecord(pipelineID: ids[0], channel: "slack", event: "started", target: "slack", error: "503", at: harness.clock.now())
        try await store.settleFeedback(
            claimed[0].message, owner: "n1", .retry(at: retryAt, remaining: ["slack"], error: "slack: 503", countsAttempt: true),
            records: [failure])
        try await store.settleFeedback(claimed[1].message, owner: "n1", .delivered, records: [])
        #expect(try await store.nextFeedbackDue() == retryAt)
        #expect(try await store.claimFeedback(owner: "n1", limit: 10, leaseDuration: .seconds(60)).isEmpty, "not due, and the rest wait behind it")
        let pending = try #require(try await store.outbox(for: ids[0]).first)
        #expect(pending.attempts == 1 && pending.lastError == "slack: 503" && pending.remainingChannels == ["slack"])
        #expect(try await store.feedback(for: ids[0]) == [failure])

        harness.clock.advance(by: .seconds(31))
        let retried = try await store.claimFeedback(owner: "n1", limit: 10, leaseDuration: .seconds(60))
        #expect(retried.map(\.message.id) == [pending.id])
        // Settling by someone whose lease is gone changes nothing.
        try await store.settleFeedback(retried[0].message, owner: "someone-else", .delivered, records: [failure])
        #expect(try await store.outbox(for: ids[0]).first?.state == .pending)
        #expect(try await store.feedback(for: ids[0]).count == 1)
        // A deferral does not count as an attempt.
        try await store.settleFeedback(
            retried[0].message, owner: "n1",
            .retry(at: harness.clock.now(), remaining: ["slack"], error: "slack: 503", countsAttempt: false), records: [])
        #expect(try await store.outbox(for: ids[0]).first?.attempts == 1)
        let deferred = try await store.claimFeedback(owner: "n1", limit: 10, leaseDuration: .seconds(60))
        try await store.settleFeedback(deferred[0].message, owner: "n1", .abandoned(error: "gave up"), records: [])

        // Abandoned, the pipeline's next message goes on.
        let next = try await store.claimFeedback(owner: "n1", limit: 10, leaseDuration: .seconds(60))
        #expect(next.map(\.message.event) == [.running])
        #expect(next.first?.isLatest == false)
        // Its deliverer died: after the lease, another node takes it.
        #expect(try await store.claimFeedback(owner: "n2", limit: 10, leaseDuration: .seconds(60)).isEmpty)
        harness.clock.advance(by: .seconds(61))
        let taken = try await store.claimFeedback(owner: "n2", limit: 10, leaseDuration: .seconds(60))
        #expect(taken.map(\.message.id) == next.map(\.message.id))
        try await store.settleFeedback(taken[0].message, owner: "n2", .delivered, records: [])
        let last = try await store.claimFeedback(owner: "n2", limit: 10, leaseDuration: .seconds(60))
        #expect(last.map(\.message.event) == [.finished(Self.report)] && last.first?.isLatest == true)
        try await store.settleFeedback(last[0].message, owner: "n2", .delivered, records: [])
        #expect(try await store.outbox(for: ids[0]).map(\.state) == [.abandoned, .delivered, .delivered])
        #expect(try await store.nextFeedbackDue() == nil)
    }

    @Test(arguments: StoreDriver.all)
    func commentThreadsAreKeptPerPipeline(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")]).pipelines[0].id
        #expect(try await store.commentThread(for: id) == nil)
        var thread = CommentThread(
            pipelineID: id, repository: Fixtures.pipeline("jobs/a.sh").repository, issue: 5, commentID: 99, url: "https://x/1",
            editedAt: Date(timeIntervalSince1970: 1_000), bodyDigest: "a")
        try await store.saveCommentThread(thread)
        thread.editedAt = Date(timeIntervalSince1970: 2_000)
        thread.bodyDigest = "b"
        try await store.saveCommentThread(thread)
        #expect(try await store.commentThread(for: id) == thread)
    }
}
