import Foundation
import JobrunnerCore
import JobrunnerStages
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Logging
import ServiceLifecycle
import Testing

/// A handler made of a closure, so each test states what its stages do.
struct ClosureHandler: StageHandler {
    let body: @Sendable (ClaimedStage) async throws -> StageSuccess
    init(_ body: @escaping @Sendable (ClaimedStage) async throws -> StageSuccess) { self.body = body }
    func run(_ stage: ClaimedStage, logger: Logger) async throws -> StageSuccess { try await body(stage) }
}

/// A running worker pool inside a real `ServiceGroup`.
struct RunningPool {
    let group: ServiceGroup
    let task: Task<Void, any Error>

    static func start(_ pool: WorkerPool) -> RunningPool {
        let group = ServiceGroup(configuration: .init(services: [pool], logger: quietLogger))
        let task = Task { try await group.run() }
        return RunningPool(group: group, task: task)
    }

    func shutdown() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

func sqliteStore(
    _ directory: TemporaryDirectory, clock: any JobClock = SystemClock(), policy: RetryPolicy = RetryPolicy()
) throws -> SQLitePipelineStore {
    try SQLitePipelineStore(path: directory.file("jobrunner.sqlite"), clock: clock, retryPolicy: policy)
}

func poolConfiguration(workers: Int, grace: Duration = .seconds(30)) -> WorkerPoolConfiguration {
    WorkerPoolConfiguration(
        workers: workers, nodeName: "test-node", leaseDuration: .seconds(60), renewInterval: .seconds(15),
        pollInterval: .milliseconds(20), rescueInterval: .seconds(30), shutdownGracePeriod: grace)
}
