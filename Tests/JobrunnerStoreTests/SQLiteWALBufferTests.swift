import CSQLiteConfig
import CSQLiteWALBuffer
import Foundation
import GRDB
@testable import JobrunnerStore
@testable import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// The store's VFS gathers a commit's write-ahead-log frames into few writes, and holds nothing
/// past the commit: other connections see every committed frame (that acknowledged deliveries
/// survive a SIGKILL is `CrashRecoveryTests`).
@Suite("SQLite WAL writes")
struct SQLiteWALBufferTests {
    /// The connection's log writes so far: SQLite's, and those that reached the file.
    static func writes(_ db: Database) throws -> JobrunnerWALWrites {
        var writes = JobrunnerWALWrites()
        let rc = sqlite3_file_control(db.sqliteConnection, "main", JOBRUNNER_SQLITE_FCNTL_WAL_WRITES, &writes)
        try #require(rc == SQLITE_OK)
        return writes
    }

    @Test
    func aCommitsFramesGoOutInFewWritesAndAreInTheFileWhenItReturns() async throws {
        let directory = try TemporaryDirectory("wal-buffer")
        let path = directory.file("jobrunner.sqlite")
        let pool = try SQLiteDurablePool.open(path: path, busyTimeout: .seconds(5))
        #expect(SQLiteDurablePool.walBufferRegistered == SQLITE_OK)
        try await pool.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)") }

        let (before, after) = try await pool.writeWithoutTransaction { db in
            let before = try Self.writes(db)
            try db.inTransaction {
                for i in 0..<300 {
                    try db.execute(sql: "INSERT INTO t (id, payload) VALUES (?, randomblob(3000))", arguments: [i])
                }
                return .commit
            }
            return (before, try Self.writes(db))
        }
        let requested = after.requested - before.requested
        let written = after.written - before.written
        // 300 rows of 3 KB: some 300 pages, each frame a header and a page (~1.2 MB), which
        // reaches the file in pieces of 64 KiB.
        #expect(requested >= 600, "SQLite wrote \(requested) times")
        #expect(written <= 25, "\(requested) writes reached the file in \(written)")

        // Everything the commit wrote is in the file now, as SQLite's own count of frames says.
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
        let pageSize = try await pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } ?? 4096
        let frames = try await pool.writeWithoutTransaction { db in
            try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")?[1] as Int?
        }
        #expect(frames.map { 32 + $0 * (24 + pageSize) } == size, "\(String(describing: frames)) frames, \(size) bytes")
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 300)
    }

    /// Whatever `synchronous` says: with NORMAL a commit does not sync the log, and the frames
    /// are still written out before the commit is published to other connections.
    @Test
    func readersSeeEveryCommitAtOnceWithoutSyncsToo() async throws {
        let directory = try TemporaryDirectory("wal-buffer-normal")
        let path = directory.file("jobrunner.sqlite")
        let pool = try SQLiteDurablePool.open(path: path, busyTimeout: .seconds(5))
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        }
        let reader = try DatabaseQueue(path: path)
        for round in 1...200 {
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO t (payload) VALUES (randomblob(3000)), (randomblob(200))")
            }
            let count = try await reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") }
            try #require(count == 2 * round, "after commit \(round)")
        }
        let counted = try await pool.writeWithoutTransaction { db in try Self.writes(db) }
        #expect(counted.requested > 2 * counted.written, "\(counted)")
    }
}
