import Foundation
import JobrunnerCore
import Testing

@Suite("Feedback outbox rules")
struct FeedbackOutboxRulesTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    func message(attempts: Int, createdAt: Date = FeedbackOutboxRulesTests.start) -> OutboxMessage {
        OutboxMessage(
            id: 1, pipelineID: PipelineID(1), event: .started, createdAt: createdAt, state: .pending, attempts: attempts,
            nextAttemptAt: createdAt, lastError: nil, remainingChannels: nil, settledAt: nil)
    }

    @Test
    func failuresBackOffExponentiallyWithJitterUpToACapThenGiveUp() {
        let policy = OutboxRetryPolicy(firstBackoff: .seconds(2), maximumBackoff: .seconds(60), giveUpAfter: .seconds(3600))
        let now = Self.start.addingTimeInterval(10)
        let expected: [(attempts: Int, full: Double)] = [(0, 2), (1, 4), (2, 8), (4, 32), (5, 60), (30, 60)]
        for (attempts, full) in expected {
            let whole = policy.settle(message(attempts: attempts), remaining: ["slack"], errors: ["503"], deferredUntil: nil, now: now, jitter: 1)
            #expect(whole == .retry(at: now.addingTimeInterval(full), remaining: ["slack"], error: "503", countsAttempt: true))
            let half = policy.settle(message(attempts: attempts), remaining: ["slack"], errors: ["503"], deferredUntil: nil, now: now, jitter: 0)
            #expect(half == .retry(at: now.addingTimeInterval(full / 2), remaining: ["slack"], error: "503", countsAttempt: true))
        }
        let late = Self.start.addingTimeInterval(3600)
        #expect(
            policy.settle(message(attempts: 40), remaining: ["slack"], errors: ["503"], deferredUntil: nil, now: late, jitter: 0)
                == .abandoned(error: "gave up after 1h of failures: 503"))
    }

    @Test
    func everyChannelDeliveredSettlesItAndARateLimitWaitsWithoutCounting() {
        let policy = OutboxRetryPolicy()
        let now = Self.start
        #expect(policy.settle(message(attempts: 3), remaining: [], errors: [], deferredUntil: nil, now: now, jitter: 0) == .delivered)
        let reset = now.addingTimeInterval(600)
        var deferred = message(attempts: 3)
        deferred.lastError = "earlier"
        #expect(
            policy.settle(deferred, remaining: ["pull-request-comment"], errors: [], deferredUntil: reset, now: now, jitter: 0)
                == .retry(at: reset, remaining: ["pull-request-comment"], error: "earlier", countsAttempt: false))
        // A failure and a rate limit in one round: not before the rate limit resets.
        #expect(
            policy.settle(message(attempts: 0), remaining: ["a", "b"], errors: ["a: 503"], deferredUntil: reset, now: now, jitter: 0)
                == .retry(at: reset, remaining: ["a", "b"], error: "a: 503", countsAttempt: true))
    }

    @Test
    func eventsSurviveTheirStoredForm() throws {
        let events: [PipelineEvent] = [
            .started, .running, .progress, .waiting(reason: "deploy", pullRequest: 3), .failed(stage: .execute, reason: "lost"),
            .discarded(by: "alice", reason: "gone", logPath: "l.md", logURL: nil, logCommit: "c"),
            .finished(
                PipelineReport(
                    outcome: .timedOut, exitCode: nil, duration: .milliseconds(1500), logPath: "l.md", logURL: "https://x", logCommit: "c",
                    pullRequest: nil)),
        ]
        for event in events {
            #expect(try JSONDecoder().decode(PipelineEvent.self, from: JSONEncoder().encode(event)) == event)
        }
        #expect(PipelineEvent.progress.coalesces && !PipelineEvent.running.coalesces)
    }

    @Test
    func thePhaseSaysWhereAPipelineStands() {
        func stage(_ kind: StageKind, _ state: StageState, wait: String? = nil) -> StageRecord {
            var record = StageRecord(
                id: StageID(Int64(StageKind.allCases.firstIndex(of: kind)!)), pipelineID: PipelineID(1), kind: kind, state: state, attempt: 1, maxAttempts: 3,
                runAfter: Self.start, createdAt: Self.start)
            record.waitReason = wait
            return record
        }
        let pipeline = PipelineRecord(
            id: PipelineID(1),
            source: NewPipeline(repository: RepositoryName(rawValue: "a/b")!, branch: "main", scriptPath: "jobs/x.sh", commit: "c"),
            deliveryID: DeliveryID("d"), createdAt: Self.start)
        func phase(_ stages: [StageRecord]) -> PipelinePhase {
            PipelinePhase(summary: PipelineSummary(pipeline: pipeline, stages: stages), execution: nil)
        }
        #expect(phase([stage(.process, .queued)]) == .queued)
        #expect(phase([stage(.process, .running)]).headline == "building")
        #expect(phase([stage(.process, .succeeded), stage(.execute, .queued, wait: "deploy of c")]).headline == "waiting: deploy of c")
        #expect(phase([stage(.process, .succeeded), stage(.execute, .queued)]) == .queuedBehindEarlierScripts)
        #expect(phase([stage(.process, .succeeded), stage(.execute, .running)]) == .running(nil))
        #expect(phase([stage(.process, .succeeded), stage(.execute, .succeeded), stage(.cleanup, .queued)]) == .committingLog)
        #expect(phase([stage(.process, .failed)]) == .ended(.failed))
    }
}
