import JobrunnerStore
import Logging
import ServiceLifecycle
import PostgresNIO

extension PostgresPipelineStore {
    /// Folds the status count deltas into one row per status; false when there was nothing to fold.
    @discardableResult
    public func compactStatusCounts() async throws -> Bool {
        let logger = logger
        return try await transaction("folding the pipeline status counts") { db -> Bool in
            guard
                try await db.row(PostgresQuery(unsafeSQL: StoredStatusCounts.postgresNeedsCompaction), logger: logger)?
                    .bool("more") == true
            else { return false }
            try await db.run(PostgresQuery(unsafeSQL: StoredStatusCounts.postgresCompaction), logger: logger)
            return true
        }
    }

    /// Keeps the status count deltas down to a handful of rows, so reading the counts
    /// (`/metrics`, the dashboard) stays cheap however busy intake is. Every node runs it; two
    /// foldings at once are harmless.
    public func statusCountFolding(logger: Logger) -> StoreMaintenanceLoop {
        StoreMaintenanceLoop(doing: "folding the pipeline status counts", logger: logger) {
            try await self.compactStatusCounts()
            return false
        }
    }
}

extension PostgresPipelineStore {
    /// The store itself (it closes the connections when the service stops, after everything
    /// else), then the folding of status counts.
    public func upkeepServices(logger: Logger) -> [any Service] {
        [self, statusCountFolding(logger: logger)]
    }
}
