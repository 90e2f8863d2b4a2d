import GRDB
import JobrunnerCore
import JobrunnerStore

/// Group commit for the SQLite store. SQLite has one writer and every commit waits for the
/// disk, so writers that arrive while a commit is being flushed are run together in the next
/// transaction, and all learn their result only once that transaction is durable. A lone writer
/// is committed at once (no waiting for company); under load many writes share one flush.
///
/// A write that throws must be undone alone. The batch first runs as one transaction without
/// savepoints (a savepoint per write copied every page it touched into the statement journal);
/// if a write throws, that transaction is rolled back and the batch runs again, each write in a
/// savepoint of its own. Writes are functions of the database alone (`@Sendable`, capturing
/// nothing they change), so running one twice when the first run was rolled back is safe.
final class SQLiteGroupCommit: Sendable {
    /// At most this many writes share a transaction, which bounds how long one batch holds the lock.
    static let maximumBatch = 64

    private struct Entry: Sendable {
        /// Runs the write inside the shared transaction, keeping its own result: with `alone`,
        /// in a savepoint of its own, keeping a failure as its result; without, a failure
        /// throws `WriteFailed` and the transaction must be rolled back.
        let run: @Sendable (Database, _ alone: Bool) throws -> Void
        /// Hands the kept result over (or the transaction's failure) once the commit is done.
        let finish: @Sendable ((any Error)?) -> Void
    }

    private struct State {
        var pending: [Entry] = []
        var flushing = false
    }

    private let pool: DatabasePool
    private let state = Locked(State())
    /// Transactions committed so far (for tests: writes per commit).
    let transactionsCommitted = Locked(0)
    /// Batches run again write by write because one of their writes threw (for tests).
    let batchesRerun = Locked(0)
    /// Writes waiting for the next transaction (for tests: a batch is formed before it runs).
    var waiting: Int { state.withLock { $0.pending.count } }

    /// A write of the batch threw: the shared transaction is rolled back and the batch rerun.
    private struct WriteFailed: Error {}

    init(pool: DatabasePool) { self.pool = pool }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction, possibly shared with other writes, and
    /// returns once that transaction has committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let outcome = Locked<Result<T, any Error>?>(nil)
        return try await withCheckedThrowingContinuation { continuation in
            let entry = Entry(
                run: { db, alone in
                    guard alone else {
                        do {
                            let value = try body(db)
                            outcome.withLock { $0 = .success(value) }
                        } catch {
                            throw WriteFailed()
                        }
                        return
                    }
                    do {
                        let value = try Self.inSavepoint(db) { try body(db) }
                        outcome.withLock { $0 = .success(value) }
                    } catch {
                        outcome.withLock { $0 = .failure(error) }
                    }
                },
                finish: { failure in
                    if let failure {
                        continuation.resume(throwing: failure)
                    } else {
                        continuation.resume(with: outcome.value ?? .failure(SQLiteGroupCommitError.writeDidNotRun))
                    }
                })
            let leads = state.withLock { state -> Bool in
                state.pending.append(entry)
                guard !state.flushing else { return false }
                state.flushing = true
                return true
            }
            if leads { pool.asyncWriteWithoutTransaction { db in self.drain(db) } }
        }
    }

    /// Runs `body` in a savepoint of the open transaction, undone alone if it throws. GRDB's
    /// `inSavepoint` compiles its SAVEPOINT and RELEASE statements afresh on every call; these
    /// are compiled once per connection, as every write runs in one (perf: two statement
    /// compilations per delivery on the writer).
    static func inSavepoint<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "SAVEPOINT group_commit_entry").execute()
        do {
            let value = try body()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT group_commit_entry").execute()
            return value
        } catch {
            // Undo this write alone; if the transaction itself is gone (SQLite rolls it all back on
            // some errors), these fail too and the commit reports it to the whole batch.
            try? db.cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT group_commit_entry").execute()
            try? db.cachedStatement(sql: "RELEASE SAVEPOINT group_commit_entry").execute()
            throw error
        }
    }

    /// Batches committed in one turn on the writer's queue before it is handed back, so a
    /// direct write on the pool (a migration, a test) is not starved by a steady stream.
    static let batchesPerTurn = 32

    /// Commits batch after batch until nothing is pending, on the writer's own queue: the next
    /// batch starts the moment the previous one is durable, without a hop through the
    /// cooperative pool (where it would wait behind request handlers while the writer idles).
    private func drain(_ db: Database) {
        for _ in 0..<Self.batchesPerTurn {
            let batch = state.withLock { state -> [Entry] in
                let batch = Array(state.pending.prefix(Self.maximumBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                do {
                    try db.inTransaction(.immediate) {
                        for entry in batch { try entry.run(db, false) }
                        return .commit
                    }
                } catch is WriteFailed {
                    batchesRerun.withLock { $0 += 1 }
                    try db.inTransaction(.immediate) {
                        for entry in batch { try entry.run(db, true) }
                        return .commit
                    }
                }
                transactionsCommitted.withLock { $0 += 1 }
                for entry in batch { entry.finish(nil) }
            } catch {
                for entry in batch { entry.finish(error) }
            }
        }
        pool.asyncWriteWithoutTransaction { db in self.drain(db) }
    }
}

enum SQLiteGroupCommitError: Error, CustomStringConvertible {
    case writeDidNotRun
    var description: String { "a write queued for the SQLite store was not run (internal error)" }
}
