import JobrunnerStore
import GRDB
import Logging
import ServiceLifecycle

/// Copies the write-ahead log into the database from a connection of its own, beside the
/// writer, so that no group commit waits for a checkpoint: a PASSIVE checkpoint never blocks
/// the writer or readers. The writer's own checkpoint is only the backstop
/// (`SQLiteDurablePool.writerCheckpointPages`).
public struct SQLiteWALCheckpointer: Sendable {
    private let connection: DatabaseQueue

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "jobrunner-checkpoints"
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Frames in the log, and how many of them are now in the database.
    @discardableResult
    public func checkpoint() async throws -> (frames: Int, copied: Int) {
        try await connection.writeWithoutTransaction { db in
            let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
            return (frames: row?[1] ?? 0, copied: row?[2] ?? 0)
        }
    }
}

extension SQLitePipelineStore {
    /// The checkpointer as a service of `jobrunner serve` and `jobrunner worker`.
    public func walCheckpointing(logger: Logger, every interval: Duration = .milliseconds(250)) throws -> StoreMaintenanceLoop {
        let checkpointer = try SQLiteWALCheckpointer(path: location)
        return StoreMaintenanceLoop(doing: "checkpointing the write-ahead log", interval: interval, logger: logger) {
            try await checkpointer.checkpoint()
            return false
        }
    }
}

extension SQLitePipelineStore {
    /// The text index filled in the background, and WAL checkpoints beside the writer (without
    /// their own connection, commits checkpoint the WAL themselves: said, not fatal).
    public func upkeepServices(logger: Logger) -> [any Service] {
        var services: [any Service] = [textIndexing(logger: logger)]
        do {
            services.append(try walCheckpointing(logger: logger))
        } catch {
            logger.warning(
                "cannot open a connection for WAL checkpoints; commits checkpoint the WAL themselves",
                metadata: ["database": "\(location)", "error": "\(error)"])
        }
        return services
    }
}
