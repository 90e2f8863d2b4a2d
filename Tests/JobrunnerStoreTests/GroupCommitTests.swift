import Foundation
import GRDB
import JobrunnerCore
@testable import JobrunnerStore
@testable import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// Writes that arrive while a commit is in flight share the next one, and a write that fails
/// is rolled back alone.
@Suite("SQLite group commit")
struct GroupCommitTests {
    @Test
    func writesArrivingDuringACommitShareTheNextAndAFailingOneIsRolledBackAlone() async throws {
        let directory = try TemporaryDirectory("group-commit")
        let store = try SQLitePipelineStore(path: directory.file("jobrunner.sqlite"))
        try await store.pool.write { db in try db.execute(sql: "CREATE TABLE probe (value INTEGER NOT NULL)") }
        let before = store.groupCommit.transactionsCommitted.value
        let rerunBefore = store.groupCommit.batchesRerun.value

        struct Refused: Error {}
        // The first write holds the writer until the others have queued up behind it.
        let started = Locked(false)
        let groupCommit = store.groupCommit
        async let first: Void = store.immediate { db in
            try db.execute(sql: "INSERT INTO probe (value) VALUES (0)")
            started.withLock { $0 = true }
            let deadline = Date().addingTimeInterval(120)
            while groupCommit.waiting < 20 && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        }
        try await eventually("the first write holds the writer", timeout: .seconds(60)) { started.value }
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for value in 1...20 {
                group.addTask {
                    do {
                        try await store.immediate { db in
                            try db.execute(sql: "INSERT INTO probe (value) VALUES (?)", arguments: [value])
                            if value == 7 { throw Refused() }  // after writing: its row must vanish
                        }
                        return (value, true)
                    } catch {
                        return (value, error is Refused)
                    }
                }
            }
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        try await first
        #expect(outcomes.count == 20)
        #expect(outcomes.values.allSatisfy { $0 }, "every write got its own result; 7 got its own error")
        let values = try await store.pool.read { db in try Int.fetchAll(db, sql: "SELECT value FROM probe ORDER BY value") }
        #expect(values == [0] + (1...20).filter { $0 != 7 })
        let transactions = store.groupCommit.transactionsCommitted.value - before
        #expect(transactions <= 4, "21 writes took \(transactions) commits")
        #expect(store.groupCommit.batchesRerun.value - rerunBefore == 1, "only the batch with the failing write ran again")
    }

    @Test
    func aLoneWriteIsCommittedAtOnceAndIsDurableWhenItReturns() async throws {
        let directory = try TemporaryDirectory("group-commit")
        let path = directory.file("jobrunner.sqlite")
        let store = try SQLitePipelineStore(path: path)
        let recorded = try await store.recordDelivery(Fixtures.delivery("lone"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
        // Another connection (as another process would) sees it the moment the call returned.
        let other = try DatabaseQueue(path: path)
        let count = try await other.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM pipelines") }
        #expect(count == 1)
        #expect(recorded.pipelines.count == 1)
    }

    /// Commits leave the write-ahead log to the checkpointer (their own checkpoint is only a
    /// backstop far out), and the checkpointer copies all of it into the database while the
    /// writer's pool stays open.
    @Test
    func theCheckpointerCopiesTheLogBesideTheWriterWhoseOwnCheckpointIsOnlyABackstop() async throws {
        let directory = try TemporaryDirectory("checkpoints")
        let path = directory.file("jobrunner.sqlite")
        let store = try SQLitePipelineStore(path: path)
        let threshold = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
        #expect(threshold == SQLiteDurablePool.writerCheckpointPages)
        for index in 0..<40 {
            _ = try await store.recordDelivery(Fixtures.delivery("c\(index)"), pipelines: [Fixtures.pipeline("jobs/c\(index).sh")])
        }
        /// Pipelines in the database file alone, as a copy of it without its log shows them.
        @Sendable func pipelinesInTheFileAlone(_ name: String) throws -> Int {
            let copy = directory.file(name)
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            return try DatabaseQueue(path: copy).read { db in
                // Before any checkpoint even the schema is only in the log.
                guard try db.tableExists("pipelines") else { return 0 }
                return try Int.fetchOne(db, sql: "SELECT count(*) FROM pipelines") ?? 0
            }
        }
        #expect(try pipelinesInTheFileAlone("before.sqlite") < 40, "40 commits are in the log, not yet in the database")
        let checkpointer = try SQLiteWALCheckpointer(path: path)
        let done = try await checkpointer.checkpoint()
        #expect(done.frames > 0 && done.copied == done.frames, "nothing held the checkpoint back: \(done)")
        #expect(try pipelinesInTheFileAlone("after.sqlite") == 40)
    }
}
