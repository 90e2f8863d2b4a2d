import ArgumentParser
import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStorePostgres
import JobrunnerStoreSQLite

/// Stage transitions per second through a real `PipelineStore`: `workers` concurrent loops
/// claim the next runnable stage and complete it, until every stage of `pipelines` pipelines
/// (spread over `repositories`, so EXECUTE's one-per-repository rule does not serialise them)
/// has succeeded. A transition is one durable state change: a claim (queued → running) or a
/// completion (running → succeeded, queueing the next stage) — each its own transaction, as in
/// the service. No scripts run: this measures the queue, not the stages' work.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "Stage transitions per second.")

    @Option(help: "A SQLite file (created) or a postgres:// URL of an empty database.")
    var database: String
    @Option var workers = 4
    @Option var pipelines = 1000
    @Option var repositories = 64

    struct Result: Encodable {
        var driver: String
        var workers: Int
        var pipelines: Int
        var transitions: Int
        var seconds: Double
        var transitionsPerSecond: Double
        var stagesPerSecond: Double
    }

    func run() async throws {
        let target = try databaseLocation(database)
        let store = try await openStore(target)
        try await seed(store)
        let totalStages = pipelines * StageKind.allCases.count
        let completed = Locked(0)
        let watch = Stopwatch()
        let transitions = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var count = 0
                    while completed.value < totalStages {
                        guard
                            let claimed = try await store.claimNext(
                                owner: "bench-\(worker)", kinds: Set(StageKind.allCases), leaseDuration: .seconds(300))
                        else {
                            // Everything runnable is held by the other workers for a moment.
                            try await Task.sleep(for: .microseconds(200))
                            continue
                        }
                        try await store.complete(claimed.lease, summary: nil)
                        completed.withLock { $0 += 1 }
                        count += 2
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let seconds = watch.seconds
        (store as? PostgresPipelineStore)?.close()
        try printJSON(
            Result(
                driver: target.driverName, workers: workers, pipelines: pipelines, transitions: transitions,
                seconds: seconds, transitionsPerSecond: Double(transitions) / seconds,
                stagesPerSecond: Double(totalStages) / seconds))
    }

    /// One delivery per repository, each adding its share of the pipelines (not timed).
    private func seed(_ store: any PipelineStore) async throws {
        for repository in 0..<repositories {
            let name = RepositoryName(rawValue: "bench/repository-\(repository)")!
            let mine = stride(from: repository, to: pipelines, by: repositories).map { index in
                NewPipeline(
                    repository: name, branch: "main", scriptPath: "jobs/script-\(index).sh",
                    commit: String(repeating: "0", count: 32) + String(format: "%08x", index))
            }
            guard !mine.isEmpty else { continue }
            _ = try await store.recordDelivery(
                NewDelivery(id: DeliveryID("seed-\(repository)"), event: "push", repository: name.rawValue, outcome: .accepted),
                pipelines: mine)
        }
    }
}

/// Opens the store the service would open for this database (migrated, ready).
func openStore(_ target: DatabaseLocation) async throws -> any PipelineStore {
    switch target {
    case .sqlite(let path):
        try SQLitePipelineStore(path: path)
    case .postgres(let url):
        try await PostgresPipelineStore.connect(url: url)
    }
}
