import Foundation
import JobrunnerCore
import JobrunnerGit
import JobrunnerStages
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Logging
import Testing

/// A channel that records what it was asked and fails or defers as told.
final class ScriptedChannel: FeedbackChannel {
    struct Call: Equatable {
        var pipeline: PipelineID
        var event: PipelineEvent
        var isLatest: Bool
    }

    let name: String
    private let state: Locked<(failuresLeft: Int, deferUntil: Date?, calls: [Call])>
    let failure: String

    init(_ name: String, failures: Int = 0, failure: String = "answered 503", deferUntil: Date? = nil) {
        self.name = name
        self.failure = failure
        state = Locked((failures, deferUntil, []))
    }

    var calls: [Call] { state.withLock { $0.calls } }

    func wants(_ event: PipelineEvent) -> Bool { event != .progress || name == "comment" }

    func deliver(_ delivery: FeedbackDelivery) async throws -> [String] {
        let (fail, deferUntil) = state.withLock { state -> (Bool, Date?) in
            state.calls.append(Call(pipeline: delivery.pipeline.id, event: delivery.event, isLatest: delivery.isLatest))
            let deferUntil = state.deferUntil
            state.deferUntil = nil
            if deferUntil != nil { return (false, deferUntil) }
            guard state.failuresLeft > 0 else { return (false, nil) }
            state.failuresLeft -= 1
            return (true, nil)
        }
        if let deferUntil { throw FeedbackDeferral(until: deferUntil) }
        if fail { throw ScriptedFailure(text: failure) }
        return ["\(name):\(delivery.pipeline.id)"]
    }

    struct ScriptedFailure: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }
}

@Suite("Delivering the feedback outbox")
struct FeedbackDelivererTests {
    func setUp() throws -> (SQLitePipelineStore, ManualClock, TemporaryDirectory) {
        let directory = try TemporaryDirectory("outbox")
        let clock = ManualClock()
        return (try SQLitePipelineStore(path: directory.file("jobrunner.sqlite"), clock: clock), clock, directory)
    }

    @Test
    func aFailingChannelIsRetriedAloneAndEachPipelineKeepsItsOrder() async throws {
        let (store, clock, directory) = try setUp()
        _ = directory
        let ids = try await store.recordDelivery(
            Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh"), Fixtures.pipeline("jobs/b.sh")]
        ).pipelines.map(\.id)
        let secrets = SecretRegistry()
        secrets.add(["hunter2-hunter2"])
        let flaky = ScriptedChannel("flaky", failures: 2, failure: "answered 503 for token hunter2-hunter2")
        let steady = ScriptedChannel("steady")
        let deliverer = FeedbackDeliverer(
            channels: [flaky, steady], store: store, clock: clock,
            policy: OutboxRetryPolicy(firstBackoff: .seconds(10), maximumBackoff: .seconds(10), giveUpAfter: .seconds(3600)),
            owner: "node-a", written: Beacon(), secrets: secrets, logger: Logger(label: "test"))
        try await store.enqueueFeedback([.started, .running, .failed(stage: .execute, reason: "lost")], for: ids[0])
        try await store.enqueueFeedback([.started], for: ids[1])

        #expect(await deliverer.deliverDue() == 2, "the first message of each pipeline")
        #expect(await deliverer.deliverDue() == 0, "both wait for their retry")
        let pending = try #require(try await store.outbox(for: ids[0]).first)
        #expect(pending.remainingChannels == ["flaky"] && pending.attempts == 1)
        #expect(pending.lastError == "flaky: answered 503 for token ***", "masked")
        #expect(try await store.feedback(for: ids[0]).contains { $0.error?.contains("hunter2") == true } == false)

        clock.advance(by: .seconds(10))
        #expect(await deliverer.deliverDue() == 2)
        clock.advance(by: .seconds(10))
        while await deliverer.deliverDue() > 0 {}
        #expect(try await store.outbox(for: ids[0]).allSatisfy { $0.state == .delivered })
        #expect(try await store.outbox(for: ids[1]).allSatisfy { $0.state == .delivered })
        // The steady channel heard each message once; the flaky one until it got through — in order per pipeline.
        #expect(steady.calls.filter { $0.pipeline == ids[0] }.map(\.event) == [.started, .running, .failed(stage: .execute, reason: "lost")])
        let flakyEvents = flaky.calls.filter { $0.pipeline == ids[0] }.map(\.event)
        #expect(flakyEvents.last == .failed(stage: .execute, reason: "lost"))
        #expect(flakyEvents.firstIndex(of: .running)! > flakyEvents.lastIndex(of: .started)!)
        #expect(steady.calls.first { $0.pipeline == ids[0] }?.isLatest == false)
        #expect(steady.calls.last { $0.pipeline == ids[0] }?.isLatest == true)
        let records = try await store.feedback(for: ids[0])
        #expect(records.filter { $0.channel == "steady" && $0.error == nil }.count == 3)
        let otherRecords = try await store.feedback(for: ids[1])
        #expect((records + otherRecords).filter { $0.channel == "flaky" && $0.error != nil }.count == 2, "one failure of each")
    }

    @Test
    func aRateLimitWaitsWithoutCountingAndAMessageIsAbandonedAfterTheGiveUpTime() async throws {
        let (store, clock, directory) = try setUp()
        _ = directory
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")]).pipelines[0].id
        let reset = clock.now().addingTimeInterval(120)
        let limited = ScriptedChannel("limited", deferUntil: reset)
        let down = ScriptedChannel("down", failures: 1_000)
        let deliverer = FeedbackDeliverer(
            channels: [limited, down], store: store, clock: clock,
            policy: OutboxRetryPolicy(firstBackoff: .seconds(1), maximumBackoff: .seconds(60), giveUpAfter: .seconds(600)),
            owner: "n", written: Beacon(), logger: Logger(label: "test"))
        try await store.enqueueFeedback([.started, .running], for: id)
        await deliverer.deliverDue()
        let first = try #require(try await store.outbox(for: id).first)
        #expect(first.nextAttemptAt >= reset && first.remainingChannels == ["limited", "down"])
        for _ in 0..<40 {
            clock.advance(by: .seconds(60))
            await deliverer.deliverDue()
        }
        let outbox = try await store.outbox(for: id)
        #expect(outbox.first?.state == .abandoned)
        #expect(outbox.first?.lastError?.hasPrefix("gave up after 10m of failures: down: answered 503") == true)
        #expect(outbox.last?.state != .pending || outbox.last?.attempts ?? 0 > 0, "the next message went on")
        #expect(limited.calls.filter { $0.event == .started }.count == 2, "asked again after the reset, then delivered")
    }

    @Test
    func anOperatorsRetryOfProcessIsAnnouncedAgain() async throws {
        let directory = try TemporaryDirectory("started")
        let store = try SQLitePipelineStore(path: directory.file("jobrunner.sqlite"))
        let git = try GitFixture()
        let commit = try git.commit(["jobs/a.sh": "echo hi\n"])
        let bare = git.bare
        let handler = BuildStageHandler(
            store: store, reader: GitRepositoryReader { _ in bare }, builder: ScriptBuilder(scratchDirectory: directory.path),
            scopes: .test, feedback: FeedbackEvents(channels: [ScriptedChannel("status")]))
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh", commit: commit)])
            .pipelines[0].id
        let first = try #require(try await store.claimNext(owner: "w", kinds: [.process], leaseDuration: .seconds(30)))
        try await store.fail(first.lease, failure: .permanent("GitHub said no"))
        let stage = try #require(try await store.pipeline(id)?.summary.stage(.process))
        try await store.retry(stage: stage.id, operatorName: "alice", reason: "fixed")
        let second = try #require(try await store.claimNext(owner: "w", kinds: [.process], leaseDuration: .seconds(30)))
        #expect(second.lease.attempt == 2)
        _ = try await handler.run(second, logger: Logger(label: "test"))
        #expect(try await store.outbox(for: id).map(\.event) == [.started], "the status and the comment stop saying failed")
    }
}
