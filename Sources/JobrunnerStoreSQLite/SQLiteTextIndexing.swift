import JobrunnerStore
import Foundation
import GRDB
import Logging

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

extension SQLitePipelineStore {
    /// Keeps the text filter's trigram index up with new pipelines, 5,000 at a time beside intake
    /// rather than inside its commits (what is not indexed yet is scanned, so answers never lag);
    /// a full batch means more are waiting (a large history after the upgrade).
    public func textIndexing(logger: Logger) -> StoreMaintenanceLoop {
        let batch = 5000
        return StoreMaintenanceLoop(doing: "indexing pipelines for the text filter", logger: logger) {
            try await self.indexPipelineText(limit: batch) == batch
        }
    }
}
