import Logging
import PostgresNIO
import ServiceLifecycle

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
}

/// Keeps PostgreSQL's status count deltas down to a handful of rows, so reading the counts
/// (`/metrics`, the dashboard) stays cheap however busy intake is. Every node runs it; two
/// compactions at once are harmless.
public struct PostgresStatusCountCompactor: Service {
    let store: PostgresPipelineStore
    let interval: Duration
    let logger: Logger

    public init(store: PostgresPipelineStore, interval: Duration = .seconds(2), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await store.compactStatusCounts()
            } catch {
                logger.warning("folding the pipeline status counts failed; trying again later", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
