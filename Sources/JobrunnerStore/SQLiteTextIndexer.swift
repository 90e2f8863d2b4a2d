import Foundation
import GRDB
import Logging
import ServiceLifecycle

extension SQLitePipelineStore {
    /// Adds up to `limit` pipelines not yet in the text filter's trigram index to it, in one
    /// transaction; returns how many. Safe from several processes: the position is read and
    /// moved in the same write transaction.
    @discardableResult
    public func indexPipelineText(limit: Int) async throws -> Int {
        try await immediate { db -> Int in
            let through = try Int64.fetchOne(db, sql: "SELECT indexed_through FROM pipelines_text_state") ?? 0
            guard
                let last = try Int64.fetchOne(
                    db, sql: "SELECT MAX(id) FROM (SELECT id FROM pipelines WHERE id > ? ORDER BY id LIMIT ?)", arguments: [through, limit])
            else { return 0 }
            try db.execute(sql: StoredTextSearch.sqliteIndexBatch, arguments: [through, last])
            let added = db.changesCount
            try db.execute(sql: "UPDATE pipelines_text_state SET indexed_through = ?", arguments: [last])
            return added
        }
    }
}

/// Keeps the SQLite text filter's trigram index up with new pipelines, in batches beside intake
/// rather than inside its commits (what is not indexed yet is scanned, so answers never lag).
public struct SQLiteTextIndexer: Service {
    let store: SQLitePipelineStore
    let interval: Duration
    let batchSize: Int
    let logger: Logger

    public init(store: SQLitePipelineStore, interval: Duration = .seconds(2), batchSize: Int = 5000, logger: Logger) {
        self.store = store
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var added = 0
            do {
                added = try await store.indexPipelineText(limit: batchSize)
            } catch {
                logger.warning("indexing pipelines for the text filter failed; trying again later", metadata: ["error": "\(error)"])
            }
            // A full batch: more are waiting (a large history after the upgrade).
            if added < batchSize {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
        }
    }
}
