import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import PostgresNIO

/// Applies `PostgresMigrations.all` in one transaction under an advisory lock: when
/// several nodes start at once, one migrates and the others wait, then find nothing to do.
/// A database that has migrations this build does not know was written by a newer Jobrunner
/// and is refused.
struct PostgresMigrator {
    let store: PostgresPipelineStore
    var migrations = PostgresMigrations.all

    func migrate() async throws {
        let logger = store.logger
        let location = store.location
        try await store.transaction("migrating the schema") { db in
            try await db.run(
                "SELECT pg_advisory_xact_lock(\(PostgresPipelineStore.LockClass.migrations.rawValue), 0)", logger: logger)
            try await db.run(
                """
                CREATE TABLE IF NOT EXISTS jobrunner_migrations (
                    identifier TEXT PRIMARY KEY,
                    applied_at DOUBLE PRECISION NOT NULL
                )
                """, logger: logger)
            let applied = Set(
                try await db.rows("SELECT identifier FROM jobrunner_migrations", logger: logger).map {
                    try $0.string("identifier")
                })
            let known = migrations.map(\.identifier)
            let unknown = applied.subtracting(known)
            guard unknown.isEmpty else {
                throw PipelineStoreError.databaseIsNewer(location: location, unknownMigrations: unknown.sorted())
            }
            for migration in migrations where !applied.contains(migration.identifier) {
                for statement in migration.isOneStatement ? [migration.sql] : Self.statements(migration.sql) {
                    try await db.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await db.run(
                    """
                    INSERT INTO jobrunner_migrations (identifier, applied_at)
                    VALUES (\(migration.identifier), \(Date().timeIntervalSince1970))
                    """, logger: logger)
                logger.info("applied migration", metadata: ["migration": "\(migration.identifier)"])
            }
        }
    }

    /// One migration's statements (the extended protocol runs one at a time). Migrations
    /// contain no semicolons except between statements.
    static func statements(_ sql: String) -> [String] {
        sql.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}
