import JobrunnerStore
/// The PostgreSQL schema, as an ordered list of migrations — the same tables and columns as
/// the SQLite schema's latest state (`SQLiteSchema`), so both drivers share their row decoders.
/// Never edit a shipped migration: add a new one. Times are DOUBLE PRECISION seconds since
/// 1970 (UTC), as on SQLite.
///
/// Several nodes may start at once: `PostgresMigrator` applies migrations inside one
/// transaction holding an advisory lock, so one node migrates and the others then find
/// nothing left to do.
enum PostgresSchema {
    typealias Migration = PostgresMigrations.Migration
    static var migrations: [Migration] { PostgresMigrations.all }
}
