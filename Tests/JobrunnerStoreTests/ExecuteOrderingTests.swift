import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Synchronization
import Testing

@Suite("EXECUTE ordering and exclusion per repository")
struct ExecuteOrderingTests {
    @Test(arguments: StoreDriver.all)
    func executeWaitsForEarlierPipelinesAndForTheRunningOne(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        let ids = try await store.recordDelivery(
            Fixtures.delivery("d"),
            pipelines: [
                Fixtures.pipeline("jobs/1-first.sh", repository: "acme/ops", commit: "c1"),
                Fixtures.pipeline("jobs/2-second.sh", repository: "acme/ops", commit: "c2"),
                Fixtures.pipeline("jobs/other.sh", repository: "acme/web", commit: "c1"),
            ]
        ).pipelines.map(\.id)
        // Build the second and the other repository's script before the first.
        var processes: [PipelineID: ClaimedStage] = [:]
        for _ in 0..<3 {
            let claimed = try await store.mustClaim(.process)
            processes[claimed.pipeline.id] = claimed
        }
        try await store.complete(processes[ids[1]]!.lease, summary: nil)
        try await store.complete(processes[ids[2]]!.lease, summary: nil)

        // The other repository is independent; acme/ops#2 must wait for acme/ops#1.
        let other = try await store.mustClaim(.execute, owner: "w1")
        #expect(other.pipeline.id == ids[2])
        #expect(try await store.claimNext(owner: "w2", kinds: [.execute], leaseDuration: .seconds(30)) == nil)

        try await store.complete(processes[ids[0]]!.lease, summary: nil)
        let first = try await store.mustClaim(.execute, owner: "w2")
        #expect(first.pipeline.id == ids[0])
        #expect(
            try await store.claimNext(owner: "w3", kinds: [.execute], leaseDuration: .seconds(30)) == nil,
            "no overlap while acme/ops#1 runs")
        try await store.complete(first.lease, summary: nil)
        let second = try await store.mustClaim(.execute, owner: "w3")
        #expect(second.pipeline.id == ids[1])
    }

    @Test(arguments: StoreDriver.all)
    func aPermanentlyFailedEarlierPipelineDoesNotBlockTheRepository(driver: StoreDriver) async throws {
        let store = try await driver.open(RetryPolicy(), 0).store
        let ids = try await store.recordDelivery(
            Fixtures.delivery("d"),
            pipelines: [Fixtures.pipeline("jobs/broken.ts", commit: "c1"), Fixtures.pipeline("jobs/fine.sh", commit: "c2")]
        ).pipelines.map(\.id)
        let broken = try await store.mustClaim(.process)
        #expect(broken.pipeline.id == ids[0])
        try await store.fail(broken.lease, failure: .permanent("syntax error"))
        try await store.runToSuccess(.process)
        let execute = try await store.mustClaim(.execute)
        #expect(execute.pipeline.id == ids[1])
    }

    @Test(arguments: StoreDriver.all)
    func concurrentWorkersNeverOverlapAndFollowArrivalOrder(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let repositories = ["acme/a", "acme/b", "acme/c"]
        var pipelines: [NewPipeline] = []
        for index in 0..<30 {
            pipelines.append(
                Fixtures.pipeline(
                    "jobs/\(String(format: "%03d", index)).sh", repository: repositories[index % 3], commit: "c\(index)"))
        }
        let recorded = try await harness.store.recordDelivery(Fixtures.delivery("d"), pipelines: pipelines)
        let repositoryOf = Dictionary(
            uniqueKeysWithValues: zip(recorded.pipelines.map(\.id), pipelines.map(\.repository.rawValue)))
        let journal = ExecutionJournal()
        var handles: [any PipelineStore] = []
        for _ in 0..<4 { handles.append(try await harness.secondHandle()) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in handles.enumerated() {
                group.addTask {
                    var idle = 0
                    while idle < 200 {
                        guard
                            let claimed = try await store.claimNext(
                                owner: "w\(index)", kinds: [.process, .execute], leaseDuration: .seconds(60))
                        else {
                            idle += 1
                            await Task.yield()
                            continue
                        }
                        idle = 0
                        if claimed.kind == .execute {
                            let repository = repositoryOf[claimed.pipeline.id]!
                            try journal.begin(repository: repository, pipeline: claimed.pipeline.id)
                            await Task.yield()
                            journal.end(repository: repository)
                        }
                        try await store.complete(claimed.lease, summary: nil)
                    }
                }
            }
            try await group.waitForAll()
        }
        let order = journal.order
        #expect(order.values.reduce(0) { $0 + $1.count } == 30, "every EXECUTE ran exactly once")
        for repository in repositories {
            let ran = order[repository] ?? []
            #expect(ran == ran.sorted(), "\(repository) ran in arrival order")
            #expect(Set(ran).count == ran.count)
        }
    }
}

/// Records which EXECUTE runs per repository and fails on overlap.
final class ExecutionJournal: Sendable {
    struct Overlap: Error {}
    private let state = Mutex<(running: Set<String>, order: [String: [PipelineID]])>(([], [:]))

    func begin(repository: String, pipeline: PipelineID) throws {
        try state.withLock { state in
            guard state.running.insert(repository).inserted else { throw Overlap() }
            state.order[repository, default: []].append(pipeline)
        }
    }

    func end(repository: String) {
        _ = state.withLock { $0.running.remove(repository) }
    }

    var order: [String: [PipelineID]] { state.withLock { $0.order } }
}
