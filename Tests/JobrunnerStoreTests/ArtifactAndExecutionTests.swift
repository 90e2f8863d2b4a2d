import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Testing

@Suite("Builds, runs and feedback")
struct ArtifactAndExecutionTests {
    @Test(arguments: StoreDriver.all)
    func buildsRunsAndFeedbackComeBackByteForByte(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        let process = try await store.mustClaim(.process)
        try await store.saveArtifact(Fixtures.artifact(content: [1, 2, 3]), lease: process.lease)
        // A retried build replaces the earlier one.
        let artifact = Fixtures.artifact()
        try await store.saveArtifact(artifact, lease: process.lease)
        try await store.complete(process.lease, summary: "built")
        #expect(try await store.artifact(for: id) == artifact)
        // Only the holder of a PROCESS lease may store a build.
        await #expect(throws: PipelineStoreError.leaseLost(process.lease.stageID, owner: process.lease.owner)) {
            try await store.saveArtifact(artifact, lease: process.lease)
        }

        let execute = try await store.mustClaim(.execute)
        let run = try await store.startExecution(lease: execute.lease)
        // "é" split across two appends, and bytes that are not UTF-8 at all, come back as written.
        try await store.appendOutput(execution: run, stdout: [0x63, 0x61, 0x66, 0xC3], stderr: [0xFF])
        try await store.appendOutput(execution: run, stdout: [0xA9, 0x0A], stderr: [])
        let live = try #require(try await store.executions(for: id).first)
        #expect(live.stdout == Array("café\n".utf8))
        #expect(live.stderr == [0xFF])
        #expect(live.stdoutBytes == 6 && live.stderrBytes == 1)
        #expect(live.outcome == .running)

        var finished = live
        finished.finishedAt = harness.clock.now()
        finished.outcome = .failed
        finished.exitCode = 3
        finished.signal = nil
        finished.timedOut = true
        finished.stdout = Array("head…tail".utf8)
        finished.stdoutTruncated = true
        finished.stdoutBytes = 50_000_000
        try await store.finishExecution(finished)
        // Output arriving after the end is not appended to a finished run.
        try await store.appendOutput(execution: run, stdout: Array("late".utf8), stderr: [])
        let stored = try #require(try await store.executions(for: id).first)
        #expect(stored.stdout == Array("head…tail".utf8))
        #expect(stored.exitCode == 3 && stored.signal == nil && stored.timedOut && stored.stdoutTruncated)
        #expect(stored.stdoutBytes == 50_000_000)
        #expect(stored.outcome == .failed)
        #expect(stored.attempt == execute.lease.attempt)

        let feedback = FeedbackRecord(
            pipelineID: id, channel: "comment", event: "failed", target: "acme/ops#7", error: "HTTP 403",
            at: harness.clock.now())
        try await store.recordFeedback(feedback)
        #expect(try await store.feedback(for: id) == [feedback])
    }
}
