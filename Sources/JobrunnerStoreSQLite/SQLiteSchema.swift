import JobrunnerStore
import GRDB

/// The SQLite schema, as an ordered list of migrations. Never edit a shipped migration:
/// add a new one. A database that has migrations this build does not know was written by a
/// newer Jobrunner and is refused (see `PipelineStoreError.databaseIsNewer`).
///
/// Times are stored as REAL seconds since 1970 (UTC), so comparisons are numeric.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in SQLiteMigrations.all {
            migrator.registerMigration(migration.identifier) { db in
                for statement in migration.statements { try db.execute(sql: statement) }
            }
        }
        return migrator
    }
}
