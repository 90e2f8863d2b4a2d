import CSQLiteConfig
import CSQLiteWALBuffer
import Foundation
import GRDB
import JobrunnerCore
import JobrunnerStore

/// The connection pool every durable SQLite write goes through: WAL, `synchronous=FULL` on the
/// writer, a busy timeout for writers in other processes. One place, so the store and the
/// benchmark's raw commit rate (bench/) cannot differ in what "durable" means.
public enum SQLiteDurablePool {
    /// The WAL size (pages) at which a commit checkpoints it itself. SQLite's 1,000 made every
    /// ~25th group commit under load copy the WAL into the database and wait for the disk before
    /// answering; `SQLiteWALCheckpointing` does that beside the writer instead, and this is
    /// only the backstop (a process without it, or a checkpoint held off by a long read).
    public static let writerCheckpointPages = 8_000

    /// SQLite's memory statistics take a process-wide mutex on every allocation it makes; nothing
    /// here reads them (perf: 5 % of the writer's time in that mutex). Set before the first
    /// connection, once per process; a later call changes nothing.
    static let memoryStatisticsOff: Int32 = jobrunner_sqlite_memory_statistics_off()

    /// Every connection of the process opens through the VFS that writes a commit's WAL frames
    /// in a few calls instead of two per page (CSQLiteWALBuffer; perf: ~10 % of the writer's
    /// time was in those pwrite(2)s). It holds nothing past a sync, nor past the barrier that
    /// publishes a commit to other connections; registered before the first connection, once
    /// per process.
    static let walBufferRegistered: Int32 = jobrunner_sqlite_wal_buffer_register()

    /// The writer's page cache, in KiB. At a million pipelines each intake otherwise read the
    /// inner pages of a dozen indexes with a pread(2) each, past SQLite's 2 MB cache (intake
    /// 0.89x the empty database's rate; 0.95x with this). It fills only as a large database's
    /// pages are touched. A memory map did better at a million (0.99x) but its pages count in
    /// the process's RSS: 165-172 MB under the intake benchmark, over its 150 MB bound.
    public static let writerCacheKiB = 32 * 1024

    public static func open(path: String, busyTimeout: Duration) throws -> DatabasePool {
        _ = memoryStatisticsOff
        _ = walBufferRegistered
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout.secondsDouble)
        configuration.label = "jobrunner"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Statement journals (each savepoint of a group commit whose statements fire
            // triggers needs one) in memory: as files, every commit created, wrote and unlinked
            // one in the temporary directory. They only undo a statement inside its
            // transaction, so durability is unchanged.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB's WAL set-up lowers the writer to synchronous=NORMAL after prepareDatabase ran; a
        // commit must be on disk before a delivery is acknowledged, so raise it again on the
        // pool's single, long-lived writer connection.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(writerCheckpointPages)")
            try db.execute(sql: "PRAGMA cache_size = -\(writerCacheKiB)")
        }
        return pool
    }
}
