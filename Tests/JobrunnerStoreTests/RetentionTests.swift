import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Testing

@Suite("Retention")
struct RetentionTests {
    /// Runs a pipeline through all three stages.
    static func runToTheEnd(_ store: any PipelineStore, _ path: String, delivery: String) async throws -> PipelineID {
        let id = try await store.recordDelivery(Fixtures.delivery(delivery), pipelines: [Fixtures.pipeline(path)])
            .pipelines[0].id
        for kind in StageKind.allCases { try await store.runToSuccess(kind) }
        return id
    }

    @Test(arguments: StoreDriver.all)
    func finishedPipelinesOlderThanTheCutoffGoInBatchesAndEverythingElseStays(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        // Three old finished pipelines, with a build, a run and feedback each.
        var old: [PipelineID] = []
        for index in 0..<3 {
            let id = try await store.recordDelivery(
                Fixtures.delivery("old-\(index)"), pipelines: [Fixtures.pipeline("jobs/old-\(index).sh")]
            ).pipelines[0].id
            let process = try await store.mustClaim(.process)
            try await store.saveArtifact(Fixtures.artifact(), lease: process.lease)
            try await store.complete(process.lease, summary: nil)
            let execute = try await store.mustClaim(.execute)
            let run = try await store.startExecution(lease: execute.lease)
            try await store.appendOutput(execution: run, stdout: Array("hello\n".utf8), stderr: [])
            try await store.complete(execute.lease, summary: nil)
            try await store.runToSuccess(.cleanup)
            try await store.recordFeedback(
                FeedbackRecord(pipelineID: id, channel: "status", event: "succeeded", target: "c", error: nil, at: harness.clock.now()))
            try await store.enqueueFeedback([.started], for: id)
            try await store.saveCommentThread(
                CommentThread(
                    pipelineID: id, repository: Fixtures.pipeline("jobs/a.sh").repository, issue: 1, commentID: 1, url: "u",
                    editedAt: harness.clock.now()))
            old.append(id)
        }
        // An old pipeline that failed and waits for an operator is at rest too: it goes.
        let failed = try await store.recordDelivery(Fixtures.delivery("old-failed"), pipelines: [Fixtures.pipeline("jobs/f.sh")])
            .pipelines[0].id
        let process = try await store.mustClaim(.process)
        try await store.fail(process.lease, failure: .permanent("syntax error"))
        // An old pipeline still queued is never pruned, however old.
        let queued = try await store.recordDelivery(Fixtures.delivery("old-queued"), pipelines: [Fixtures.pipeline("jobs/q.sh")])
            .pipelines[0].id
        _ = try await store.recordDelivery(Fixtures.delivery("old-ping", outcome: .ignored), pipelines: [])

        harness.clock.advance(by: .seconds(40 * 86_400))
        let recent = try await Self.runToTheEnd(store, "jobs/recent.sh", delivery: "recent")
        let cutoff = harness.clock.now().addingTimeInterval(-30 * 86_400)

        #expect(try await store.prune(finishedBefore: cutoff, limit: 3) == 3, "a full batch")
        #expect(try await store.prune(finishedBefore: cutoff, limit: 3) == 1, "the rest, then a short batch")
        #expect(try await store.prune(finishedBefore: cutoff, limit: 3) == 0)

        for id in old + [failed] {
            #expect(try await store.pipeline(id) == nil)
            #expect(try await store.artifact(for: id) == nil)
            #expect(try await store.executions(for: id).isEmpty)
            #expect(try await store.feedback(for: id).isEmpty)
            #expect(try await store.outbox(for: id).isEmpty)
            #expect(try await store.commentThread(for: id) == nil)
        }
        #expect(try await store.delivery(DeliveryID("old-0")) == nil, "its delivery went with it")
        #expect(try await store.delivery(DeliveryID("old-ping")) == nil, "an old ignored delivery goes")
        #expect(try await store.pipeline(queued) != nil, "queued work is never pruned")
        #expect(try await store.delivery(DeliveryID("old-queued")) != nil, "nor the delivery that created it")
        #expect(try await store.pipeline(recent) != nil)
        #expect(try await store.delivery(DeliveryID("recent")) != nil)
        #expect(Set(try await store.pipelines(PipelineFilter(limit: 100)).map(\.pipeline.id)) == [queued, recent])
        // The rest of the queue still works.
        try await store.runToSuccess(.process)
        #expect(try await store.statistics().pipelinesByStatus[.succeeded] == 1)
    }
}
