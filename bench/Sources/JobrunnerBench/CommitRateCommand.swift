import ArgumentParser
import Foundation
import GRDB
import JobrunnerCore
import JobrunnerStore
import JobrunnerStorePostgres
import JobrunnerStoreSQLite
import Logging
import PostgresNIO

/// The ceiling the queue is compared with: the raw durable commit rate of the same database on
/// the same disk — `clients` concurrent loops of single-row INSERT transactions, nothing else.
/// SQLite gets the store's own pool (`SQLiteDurablePool`: WAL, synchronous=FULL, one writer);
/// PostgreSQL gets one autocommit INSERT per transaction on a pool of `clients` connections.
struct CommitRateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit-rate", abstract: "Raw durable single-row commits per second.")

    @Option(help: "A SQLite file (created) or a postgres:// URL.")
    var database: String
    @Option var clients = 4
    @Option(help: "How long to commit, in seconds.") var seconds = 5.0

    struct Result: Encodable {
        var driver: String
        var clients: Int
        var commits: Int
        var seconds: Double
        var commitsPerSecond: Double
    }

    func run() async throws {
        let target = try databaseLocation(database)
        let commit: @Sendable (Int) async throws -> Void
        var close: @Sendable () -> Void = {}
        switch target {
        case .sqlite(let path):
            let pool = try SQLiteDurablePool.open(path: path, busyTimeout: .seconds(10))
            try await pool.writeWithoutTransaction { db in
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS bench_commits (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
            }
            commit = { value in
                try await pool.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        try db.execute(sql: "INSERT INTO bench_commits (payload) VALUES (?)", arguments: ["commit \(value)"])
                        return .commit
                    }
                }
            }
        case .postgres(let url):
            var configuration = try PostgresConnectionURL(url).configuration
            configuration.options.maximumConnections = clients
            let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "bench"))
            let runTask = Task { await client.run() }
            close = { runTask.cancel() }
            let logger = Logger(label: "bench")
            try await client.query(
                "CREATE TABLE IF NOT EXISTS bench_commits (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)", logger: logger)
            commit = { value in
                try await client.query("INSERT INTO bench_commits (payload) VALUES (\("commit \(value)"))", logger: logger)
            }
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let watch = Stopwatch()
        let commits = try await withThrowingTaskGroup(of: Int.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        try await commit(client * 1_000_000 + count)
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = watch.seconds
        close()
        try printJSON(
            Result(
                driver: target.driverName, clients: clients, commits: commits, seconds: elapsed,
                commitsPerSecond: Double(commits) / elapsed))
    }
}
