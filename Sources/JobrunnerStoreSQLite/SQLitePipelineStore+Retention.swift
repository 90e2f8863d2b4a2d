import Foundation
import GRDB
import JobrunnerCore
import JobrunnerStore

extension SQLitePipelineStore {
    public func prune(finishedBefore cutoff: Date, limit: Int) async throws -> Int {
        let cutoff = cutoff.storedValue
        let limit = max(1, limit)
        return try await immediate { db -> Int in
            let ids = try Int64.fetchAll(
                db.cachedStatement(sql: """
                    SELECT p.id FROM pipelines p WHERE \(StoredRetention.prunableCondition(cutoff: "?1"))
                    ORDER BY p.id LIMIT ?2
                    """),
                arguments: [cutoff, limit])
            if !ids.isEmpty {
                let list = ids.map(String.init).joined(separator: ", ")
                for statement in StoredRetention.deleteStatements(ids: list) { try db.execute(sql: statement) }
            }
            try db.execute(sql: StoredRetention.orphanedDeliveries(cutoff: "?", listed: "dp.delivery_seq = deliveries.seq"), arguments: [cutoff])
            for statement in StoredRetention.closedDryRuns(cutoff: "?1") { try db.execute(sql: statement, arguments: [cutoff]) }
            return ids.count
        }
    }
}
