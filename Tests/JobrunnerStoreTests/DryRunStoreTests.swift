import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Testing

/// The dry-run rules every driver keeps: at most once per (head, script), a new head or a close
/// settles the old head's runs, a started run is never claimed again, and the report is due
/// whenever what the pull request shows changed.
@Suite("Dry runs in the store")
struct DryRunStoreTests {
    static let ops = RepositoryName(rawValue: "acme/ops")!
    static let head = String(repeating: "a", count: 40)
    static let next = String(repeating: "b", count: 40)

    static func delivery(_ id: String) -> NewDelivery {
        NewDelivery(id: DeliveryID(id), event: "pull_request", repository: "acme/ops", outcome: .accepted)
    }

    static func signal(_ head: String, open: Bool = true) -> PullRequestSignal {
        PullRequestSignal(repository: ops, number: 7, headCommit: head, isOpen: open, title: "Migrate", url: "https://x/pull/7")
    }

    static func evaluation(_ head: String, queue: [NewDryRun] = [], status: String = "dry-running") -> DryRunEvaluation {
        DryRunEvaluation(repository: ops, number: 7, head: head, isOpen: true, status: status, queue: queue, approvers: ["bob"])
    }

    /// Records an event, claims the pull request and settles `evaluation` for it.
    static func evaluate(_ store: any PipelineStore, delivery: String, _ evaluation: DryRunEvaluation) async throws {
        _ = try await store.recordPullRequestDelivery(Self.delivery(delivery), signal: signal(evaluation.head))
        let claimed = try await store.claimDryRunPullRequests(owner: "c1", limit: 8, leaseDuration: .seconds(60))
        #expect(claimed.map(\.number) == [7])
        try await store.settleDryRunEvaluation(evaluation, owner: "c1")
        try await store.settleDryRunReport(
            repository: ops, number: 7, owner: "c1", version: claimed[0].reportVersion, commentID: nil, commentURL: nil, retryAt: nil,
            error: nil)
    }

    @Test(arguments: StoreDriver.all)
    func aHeadAndScriptAreDryRunAtMostOnceWhateverIsDelivered(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        let script = NewDryRun(scriptPath: "jobs/a.sh", blob: String(repeating: "1", count: 40))
        try await Self.evaluate(store, delivery: "d1", Self.evaluation(Self.head, queue: [script]))
        // A redelivery creates nothing and does not make the pull request due.
        let again = try await store.recordPullRequestDelivery(Self.delivery("d1"), signal: Self.signal(Self.head))
        #expect(again.isRedelivery)
        #expect(try await store.dryRunPullRequest(repository: Self.ops, number: 7)?.evaluateAt == nil)
        // Another delivery about the same head queues nothing new.
        try await Self.evaluate(store, delivery: "d2", Self.evaluation(Self.head, queue: [script]))
        #expect(try await store.dryRuns(DryRunFilter()).count == 1)

        let claimed = try #require(try await store.claimDryRun(owner: "w1", leaseDuration: .seconds(30)))
        #expect(try await store.claimDryRun(owner: "w2", leaseDuration: .seconds(30)) == nil, "one worker at a time")
        #expect(try await store.startDryRun(claimed.id, owner: "w2", leaseDuration: .seconds(30)) == false, "only the lease holder starts it")
        #expect(try await store.startDryRun(claimed.id, owner: "w1", leaseDuration: .seconds(30)))
        var finished = claimed
        finished.state = .finished
        finished.outcome = .succeeded
        finished.exitCode = 0
        finished.stdout = "done\n"
        try await store.finishDryRun(finished, owner: "w1", retryAt: nil)
        let stored = try #require(try await store.dryRun(claimed.id))
        #expect(stored.succeeded && stored.stdout == "done\n" && stored.approvers == ["bob"])
        #expect(try await store.successfulDryRun(repository: Self.ops, blob: script.blob) == claimed.id)
        #expect(try await store.successfulDryRun(repository: Self.ops, blob: String(repeating: "2", count: 40)) == nil)
        #expect(try await store.claimDryRun(owner: "w2", leaseDuration: .seconds(30)) == nil, "finished runs are never claimed")
        let pull = try #require(try await store.dryRunPullRequest(repository: Self.ops, number: 7))
        #expect(pull.needsReport, "the finished run makes the comment due")
    }

    @Test(arguments: StoreDriver.all)
    func aRunWhoseWorkerVanishedIsInterruptedNeverRunAgain(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        try await Self.evaluate(
            store, delivery: "d1", Self.evaluation(Self.head, queue: [NewDryRun(scriptPath: "jobs/a.sh", blob: String(repeating: "1", count: 40))]))
        let claimed = try #require(try await store.claimDryRun(owner: "w1", leaseDuration: .seconds(30)))
        // Building, not started: a crash here frees it for another worker.
        harness.clock.advance(by: .seconds(31))
        let retaken = try #require(try await store.claimDryRun(owner: "w2", leaseDuration: .seconds(30)))
        #expect(retaken.id == claimed.id)
        #expect(try await store.startDryRun(claimed.id, owner: "w1", leaseDuration: .seconds(30)) == false)
        #expect(try await store.startDryRun(retaken.id, owner: "w2", leaseDuration: .seconds(30)))
        #expect(try await store.renewDryRun(retaken.id, owner: "w2", leaseDuration: .seconds(30)))
        // Started, then the worker vanished: interrupted, never claimed again.
        harness.clock.advance(by: .seconds(31))
        #expect(try await store.claimDryRun(owner: "w3", leaseDuration: .seconds(30)) == nil)
        #expect(try await store.dryRun(retaken.id)?.state == .interrupted)
        var late = retaken
        late.state = .finished
        late.outcome = .succeeded
        try await store.finishDryRun(late, owner: "w2", retryAt: nil)
        #expect(try await store.dryRun(retaken.id)?.state == .interrupted, "a lost lease writes nothing")
    }

    @Test(arguments: StoreDriver.all)
    func aNewHeadSkipsQueuedRunsAndOutdatesFinishedOnesAndClosingSkipsTheRest(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        let a = NewDryRun(scriptPath: "jobs/a.sh", blob: String(repeating: "1", count: 40))
        let b = NewDryRun(scriptPath: "jobs/b.sh", blob: String(repeating: "2", count: 40))
        try await Self.evaluate(store, delivery: "d1", Self.evaluation(Self.head, queue: [a, b]))
        let first = try #require(try await store.claimDryRun(owner: "w1", leaseDuration: .seconds(30)))
        #expect(try await store.startDryRun(first.id, owner: "w1", leaseDuration: .seconds(30)))
        var done = first
        done.state = .finished
        done.outcome = .failed
        done.exitCode = 3
        try await store.finishDryRun(done, owner: "w1", retryAt: nil)
        // A push to the pull request: the finished run is outdated, the queued one never runs.
        let moved = try await store.recordPullRequestDelivery(Self.delivery("d2"), signal: Self.signal(Self.next))
        #expect(!moved.isRedelivery)
        let runs = try await store.dryRuns(DryRunFilter(repository: Self.ops, pullRequest: 7))
        #expect(runs.first { $0.id == first.id }?.outdated == true)
        #expect(runs.first { $0.id != first.id }?.state == .skipped)
        #expect(try await store.claimDryRun(owner: "w1", leaseDuration: .seconds(30)) == nil)
        let pull = try #require(try await store.dryRunPullRequest(repository: Self.ops, number: 7))
        #expect(pull.headCommit == Self.next && pull.evaluateAt != nil && pull.needsReport)
        // The new head is queued; closing skips it before it runs.
        try await Self.evaluate(store, delivery: "d3", Self.evaluation(Self.next, queue: [a]))
        #expect(try await store.dryRuns(DryRunFilter(headCommit: Self.next)).map(\.state) == [.queued])
        _ = try await store.recordPullRequestDelivery(Self.delivery("d4"), signal: Self.signal(Self.next, open: false))
        #expect(try await store.dryRuns(DryRunFilter(headCommit: Self.next)).map(\.state) == [.skipped])
    }

    @Test(arguments: StoreDriver.all)
    func anEventDuringAnEvaluationKeepsThePullRequestDue(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        _ = try await store.recordPullRequestDelivery(Self.delivery("d1"), signal: Self.signal(Self.head))
        #expect(try await store.claimDryRunPullRequests(owner: "c1", limit: 8, leaseDuration: .seconds(60)).count == 1)
        #expect(try await store.claimDryRunPullRequests(owner: "c2", limit: 8, leaseDuration: .seconds(60)).isEmpty, "leased")
        harness.clock.advance(by: .seconds(1))
        _ = try await store.recordPullRequestDelivery(Self.delivery("d2"), signal: Self.signal(Self.head))
        try await store.settleDryRunEvaluation(Self.evaluation(Self.head, status: "waiting"), owner: "c1")
        #expect(try await store.dryRunPullRequest(repository: Self.ops, number: 7)?.evaluateAt != nil, "the later event is not lost")
        // A failed evaluation is tried again later, not at once.
        var failed = Self.evaluation(Self.head, status: "waiting")
        failed.retryAt = harness.clock.now().addingTimeInterval(60)
        failed.error = "GitHub answered 502"
        try await store.settleDryRunEvaluation(failed, owner: "c1")
        try await store.settleDryRunReport(
            repository: Self.ops, number: 7, owner: "c1", version: 0, commentID: nil, commentURL: nil, retryAt: nil, error: nil)
        harness.clock.advance(by: .seconds(1))
        let pull = try #require(try await store.dryRunPullRequest(repository: Self.ops, number: 7))
        #expect(pull.lastError == "GitHub answered 502" && pull.evaluationAttempts == 1)
    }

    @Test(arguments: StoreDriver.all)
    func retentionForgetsDryRunsOfClosedPullRequestsOnly(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let script = NewDryRun(scriptPath: "jobs/a.sh", blob: String(repeating: "1", count: 40))
        try await Self.evaluate(store, delivery: "d1", Self.evaluation(Self.head, queue: [script]))
        let run = try #require(try await store.claimDryRun(owner: "w1", leaseDuration: .seconds(30)))
        var done = run
        done.state = .finished
        done.outcome = .succeeded
        try await store.finishDryRun(done, owner: "w1", retryAt: nil)
        harness.clock.advance(by: .seconds(10))
        _ = try await store.prune(finishedBefore: harness.clock.now(), limit: 10)
        #expect(try await store.dryRun(run.id) != nil, "an open pull request keeps its dry runs")
        _ = try await store.recordPullRequestDelivery(Self.delivery("d2"), signal: Self.signal(Self.head, open: false))
        _ = try await store.prune(finishedBefore: harness.clock.now(), limit: 10)
        #expect(try await store.dryRun(run.id) != nil, "closed after the cutoff: kept")
        harness.clock.advance(by: .seconds(10))
        _ = try await store.prune(finishedBefore: harness.clock.now(), limit: 10)
        #expect(try await store.dryRun(run.id) == nil)
        #expect(try await store.dryRunPullRequest(repository: Self.ops, number: 7) == nil)
    }
}
