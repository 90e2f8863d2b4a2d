import Foundation
import GRDB
import JobrunnerCore
@testable import JobrunnerStore
@testable import JobrunnerStorePostgres
@testable import JobrunnerStoreSQLite
import JobrunnerTestSupport
import PostgresNIO
import Testing

/// A database left at any earlier schema version, holding a history, upgrades to exactly the
/// schema a fresh database has (tables, columns, indexes, triggers, functions), keeps every
/// value it held, and reads back through the store as the same pipelines.
///
/// The history is `StoreHistorySample`, written at today's version and copied into the older
/// schema column by column (a column that existed then and is gone now needs a rule in
/// `olderColumns`); triggers are off while copying, so the rows are exactly the sample's.
@Suite("Upgrades from every schema version")
struct UpgradeFromEveryVersionTests {
    /// Columns of earlier versions that no longer exist, filled from today's rows (SQLite; `s` is the source row).
    static let olderColumns: [String: String] = [
        "delivery_pipelines.delivery_id": "(SELECT d.id FROM src.deliveries d WHERE d.seq = s.delivery_seq)"
    ]

    // MARK: SQLite

    static func sqliteTables(_ db: Database, schema: String = "main") throws -> [String: [String]] {
        let names = try String.fetchAll(
            db,
            sql: """
                SELECT name FROM \(schema).sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                  AND name <> 'grdb_migrations' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'
                """)
        var tables: [String: [String]] = [:]
        for name in names {
            tables[name] = try Row.fetchAll(db, sql: "PRAGMA \(schema).table_info(\(name))").map { $0["name"] as String }
        }
        return tables
    }

    static func sqliteSchema(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || COALESCE(sql, '') FROM sqlite_master
                    WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name
                    """)
        }
    }

    /// Every row of `table` as text, `columns` only, sorted.
    static func sqliteRows(_ db: Database, _ table: String, _ columns: [String], schema: String = "main") throws -> [String] {
        let text = columns.map { "quote(\($0))" }.joined(separator: " || '|' || ")
        return try String.fetchAll(db, sql: "SELECT \(text) FROM \(schema).\(table)").sorted()
    }

    @Test(arguments: SQLiteMigrations.all.dropLast().map(\.identifier))
    func sqliteUpgradesKeepEverything(from version: String) async throws {
        let directory = try TemporaryDirectory("upgrade")
        let clock = ManualClock()
        let sourcePath = directory.file("today.sqlite")
        let source = try SQLitePipelineStore(path: sourcePath, clock: clock)
        try await StoreHistorySample.write(source, clock: clock)

        let oldPath = directory.file("old.sqlite")
        try SQLiteSchema.migrator.migrate(DatabaseQueue(path: oldPath), upTo: version)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let old = try DatabaseQueue(path: oldPath, configuration: configuration)
        // What each table held then, in the columns it still has, to compare after the upgrade.
        let kept = try old.inDatabase { db -> [String: (columns: [String], rows: [String])] in
            var kept: [String: (columns: [String], rows: [String])] = [:]
            try db.execute(sql: "ATTACH DATABASE ? AS src", arguments: [sourcePath])
            let then = try Self.sqliteTables(db)
            let now = try Self.sqliteTables(db, schema: "src")
            let triggers = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger'")
            for name in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'") {
                try db.execute(sql: "DROP TRIGGER \(name)")
            }
            for (table, columns) in then {
                let today = try #require(now[table], "table \(table) of \(version) is gone: say in olderColumns how its rows move")
                let values = try columns.map { column -> String in
                    if today.contains(column) { return "s.\(column)" }
                    return try #require(
                        Self.olderColumns["\(table).\(column)"], "\(table).\(column) of \(version) is gone: add how to fill it to olderColumns")
                }
                // What the migrations seeded an empty database with is replaced by what a database in use held.
                try db.execute(sql: "DELETE FROM main.\(table)")
                try db.execute(
                    sql: "INSERT INTO main.\(table) (\(columns.joined(separator: ", "))) SELECT \(values.joined(separator: ", ")) FROM src.\(table) s")
                let common = columns.filter(today.contains)
                kept[table] = (common, try Self.sqliteRows(db, table, common, schema: "src"))
            }
            for trigger in triggers { try db.execute(sql: trigger) }
            try db.execute(sql: "DETACH DATABASE src")
            return kept
        }
        try old.close()

        let upgraded = try SQLitePipelineStore(path: oldPath, clock: clock)
        #expect(try Self.sqliteSchema(oldPath) == Self.sqliteSchema(sourcePath), "upgraded from \(version), the schema differs from a fresh one")
        try await DatabaseQueue(path: oldPath).read { db in
            for (table, then) in kept.sorted(by: { $0.key < $1.key }) {
                let rows = try Self.sqliteRows(db, table, then.columns)
                #expect(rows == then.rows, "upgraded from \(version), \(table) lost or changed rows")
            }
        }
        try await Self.expectSameHistory(upgraded, as: source, from: version, statusKept: Self.statusKept(kept.mapValues(\.columns)))
    }

    // MARK: PostgreSQL

    /// One connection to a test database, for the catalog and the copy.
    struct Session {
        let client: PostgresClient
        let running: Task<Void, Never>

        init(_ url: String) throws {
            client = PostgresClient(configuration: try PostgresConnectionURL(url).configuration)
            let client = client
            running = Task { await client.run() }
        }

        func strings(_ query: PostgresQuery) async throws -> [String] {
            var values: [String] = []
            for try await (value,) in try await client.query(query).decode((String?).self) { values.append(value ?? "NULL") }
            return values
        }

        func close() { running.cancel() }
    }

    static func postgresTables(_ session: Session) async throws -> [String: [String]] {
        var tables: [String: [String]] = [:]
        for line in try await session.strings(
            """
            SELECT c.table_name || ' ' || c.column_name FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> 'jobrunner_migrations'
            ORDER BY c.table_name, c.ordinal_position
            """)
        {
            let parts = line.split(separator: " ").map(String.init)
            tables[parts[0], default: []].append(parts[1])
        }
        return tables
    }

    static func postgresSchema(_ session: Session) async throws -> [String] {
        try await session.strings(
            """
            SELECT 'column ' || table_name || '.' || column_name || ' #' || ordinal_position || ' ' || data_type || ' null:' || is_nullable
                || ' default:' || COALESCE(column_default, '') || ' identity:' || is_identity
              FROM information_schema.columns WHERE table_schema = 'public'
            UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
            UNION ALL SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t
              JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND NOT t.tgisinternal
            UNION ALL SELECT 'function ' || pg_get_functiondef(p.oid) FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.prokind = 'f'
            UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
              FROM pg_constraint WHERE connamespace = 'public'::regnamespace
            ORDER BY 1
            """)
    }

    static func postgresRows(_ session: Session, _ table: String, _ columns: [String]) async throws -> [String] {
        try await session.strings("SELECT row_to_json(x)::text FROM (SELECT \(unescaped: columns.joined(separator: ", ")) FROM \(unescaped: table)) x")
            .sorted()
    }

    static func openPostgres(_ url: String, clock: ManualClock, through version: String? = nil) async throws -> PostgresPipelineStore {
        let migrations = PostgresMigrations.all
        let count = version.flatMap { last in migrations.firstIndex { $0.identifier == last } }.map { $0 + 1 } ?? migrations.count
        return try await PostgresPipelineStore.connect(
            url: url, clock: clock, retryPolicy: RetryPolicy(), jitter: { 0 }, connectTimeout: .seconds(10),
            operationTimeout: .seconds(30), textScanWindow: nil, logger: quietLogger, migrations: Array(migrations.prefix(count)))
    }

    @Test(
        .enabled(if: TestPostgres.url != nil, "the test command starts PostgreSQL"),
        arguments: PostgresMigrations.all.dropLast().map(\.identifier))
    func postgresUpgradesKeepEverything(from version: String) async throws {
        let clock = ManualClock()
        let sourceURL = try await TestPostgres.freshDatabase()
        let source = try await Self.openPostgres(sourceURL, clock: clock)
        defer { source.close() }
        try await StoreHistorySample.write(source, clock: clock)

        let oldURL = try await TestPostgres.freshDatabase()
        try await Self.openPostgres(oldURL, clock: clock, through: version).close()
        let today = try Session(sourceURL)
        defer { today.close() }
        var kept: [String: (columns: [String], rows: [String])] = [:]
        let now = try await Self.postgresTables(today)
        do {
            let old = try Session(oldURL)
            defer { old.close() }
            let then = try await Self.postgresTables(old)
            var copy: [String] = ["SET LOCAL session_replication_role = replica"]
            for (table, columns) in then {
                let columnsToday = try #require(now[table], "table \(table) of \(version) is gone: add how its rows move")
                let missing = columns.filter { !columnsToday.contains($0) }
                #expect(missing.isEmpty, "\(table).\(missing) of \(version) are gone: add how to fill them")
                let json = try await today.strings("SELECT COALESCE(json_agg(t), '[]')::text FROM \(unescaped: table) t").first ?? "[]"
                let list = columns.joined(separator: ", ")
                let literal = "'" + json.replacingOccurrences(of: "'", with: "''") + "'"
                copy.append("DELETE FROM \(table)")
                copy.append("INSERT INTO \(table) (\(list)) SELECT \(list) FROM json_populate_recordset(NULL::\(table), \(literal)::json)")
                let common = columns.filter(columnsToday.contains)
                kept[table] = (common, try await Self.postgresRows(today, table, common))
            }
            try await TestPostgres.execute(oldURL, "DO $jr$ BEGIN \(copy.joined(separator: "; ")); END $jr$")
            // Identity columns continue after the copied rows, as they did in the old database.
            for line in try await old.strings(
                "SELECT table_name || ' ' || column_name FROM information_schema.columns WHERE table_schema = 'public' AND is_identity = 'YES'")
            {
                let parts = line.split(separator: " ").map(String.init)
                try await TestPostgres.execute(
                    oldURL,
                    "SELECT setval(pg_get_serial_sequence('\(parts[0])', '\(parts[1])'), COALESCE((SELECT MAX(\(parts[1])) FROM \(parts[0])), 0) + 1, false)")
            }
        }

        let upgraded = try await Self.openPostgres(oldURL, clock: clock)
        defer { upgraded.close() }
        let after = try Session(oldURL)
        defer { after.close() }
        #expect(try await Self.postgresSchema(after) == Self.postgresSchema(today), "upgraded from \(version), the schema differs from a fresh one")
        for (table, then) in kept.sorted(by: { $0.key < $1.key }) {
            #expect(try await Self.postgresRows(after, table, then.columns) == then.rows, "upgraded from \(version), \(table) lost or changed rows")
        }
        try await Self.expectSameHistory(upgraded, as: source, from: version, statusKept: Self.statusKept(kept.mapValues(\.columns)))
    }

    // MARK: Both

    /// Whether a version stored everything a status is derived from (runs, and the marks of
    /// superseded and discarded pipelines); before that, a status could not be what it is today.
    static func statusKept(_ columns: [String: [String]]) -> Bool {
        columns["executions"] != nil && columns["pipelines"]?.contains("discarded_at") == true
    }

    /// The upgraded store reads every pipeline and delivery as the source store does.
    static func expectSameHistory(_ upgraded: any PipelineStore, as source: any PipelineStore, from version: String, statusKept: Bool)
        async throws
    {
        let all = PipelineFilter(limit: 1000)
        let expected = try await source.pipelines(all)
        let found = try await upgraded.pipelines(all)
        #expect(found.map(\.pipeline.id) == expected.map(\.pipeline.id), "upgraded from \(version)")
        #expect(expected.count >= 7, "the sample has a history to keep")
        for summary in expected {
            let id = summary.pipeline.id
            let detail = try #require(try await upgraded.pipeline(id), "pipeline \(id) unreadable after upgrading from \(version)")
            let stages = { (s: PipelineSummary) in s.stages.map { "\($0.kind.rawValue) \($0.state.rawValue) \($0.attempt)" } }
            #expect(stages(detail.summary) == stages(summary), "pipeline \(id), upgraded from \(version)")
            #expect(detail.summary.pipeline.source == summary.pipeline.source)
            if statusKept {
                #expect(detail.summary.status == summary.status, "pipeline \(id), upgraded from \(version)")
                #expect(try await upgraded.executions(for: id).map(\.exitCode) == source.executions(for: id).map(\.exitCode))
            }
        }
        for number in 1...8 {
            let id = DeliveryID("delivery-\(number)")
            #expect(try await upgraded.delivery(id)?.pipelineIDs == source.delivery(id)?.pipelineIDs, "\(id) upgraded from \(version)")
        }
    }
}
