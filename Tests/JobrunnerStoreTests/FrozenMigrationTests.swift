import Foundation
import GRDB
import JobrunnerCore
@testable import JobrunnerStore
@testable import JobrunnerStorePostgres
@testable import JobrunnerStoreSQLite
import Testing

/// A shipped migration is never edited: each one's SQL — as it runs, so SQL a migration builds
/// from today's code counts too — is recorded in `Fixtures/migration-digests.json`, and any
/// change to a recorded migration fails here. A new migration fails until its digest is
/// recorded, which is the moment to check it is a new migration and not an edit.
@Suite("Frozen migrations")
struct FrozenMigrationTests {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/migration-digests.json")

    /// Every statement each SQLite migration runs on a fresh database, in order.
    static func sqliteStatements() throws -> [(String, [String])] {
        let captured = Locked<[String]>([])
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            db.trace { event in
                guard case .statement(let statement) = event else { return }
                let sql = statement.expandedSQL.trimmingCharacters(in: .whitespacesAndNewlines)
                // GRDB's own bookkeeping (its migrations table, transactions, checks) is not the migration's.
                let upper = sql.uppercased()
                if upper.contains("GRDB_MIGRATIONS") || upper.hasPrefix("PRAGMA") || upper.hasPrefix("BEGIN")
                    || upper.hasPrefix("COMMIT") || upper.hasPrefix("ROLLBACK") || upper.hasPrefix("SAVEPOINT")
                    || upper.hasPrefix("RELEASE") || upper.hasPrefix("SELECT")
                {
                    return
                }
                captured.withLock { $0.append(sql) }
            }
        }
        let queue = try DatabaseQueue(configuration: configuration)
        let migrator = SQLiteSchema.migrator
        var result: [(String, [String])] = []
        for identifier in migrator.migrations {
            captured.withLock { $0 = [] }
            try migrator.migrate(queue, upTo: identifier)
            result.append((identifier, captured.value))
        }
        return result
    }

    static func postgresStatements() -> [(String, [String])] {
        PostgresMigrations.all.map { ($0.identifier, [$0.sql]) }
    }

    /// FNV-1a, 64 bits: enough to notice an edit; the file is reviewed, not trusted against forgery.
    static func digest(_ statements: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in statements.joined(separator: "\n;\n").utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(format: "%016llx", hash)
    }

    static func current() throws -> [String: [(String, String)]] {
        [
            "sqlite": try sqliteStatements().map { ($0.0, digest($0.1)) },
            "postgres": postgresStatements().map { ($0.0, digest($0.1)) },
        ]
    }

    @Test
    func noShippedMigrationChanged() throws {
        let recorded = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.file)) as? [String: [String: String]],
            "\(Self.file.path) holds the recorded digests")
        for (driver, migrations) in try Self.current() {
            let shipped = recorded[driver] ?? [:]
            for (identifier, digest) in migrations {
                if let was = shipped[identifier] {
                    #expect(was == digest, "\(driver) migration \(identifier) changed (\(was) → \(digest)): a shipped migration is never edited — undo the change and add a new migration")
                } else {
                    Issue.record("new \(driver) migration \(identifier): check it adds and edits nothing shipped, then record \"\(identifier)\": \"\(digest)\" in \(Self.file.lastPathComponent)")
                }
            }
            let known = Set(migrations.map(\.0))
            for identifier in shipped.keys where !known.contains(identifier) {
                Issue.record("\(driver) migration \(identifier) was removed: databases that ran it still have its effects")
            }
        }
    }

    @Test
    func eachMigrationRunsTheSameSQLEveryTime() throws {
        let first = try Self.sqliteStatements().map { Self.digest($0.1) }
        let second = try Self.sqliteStatements().map { Self.digest($0.1) }
        #expect(first == second, "a migration whose SQL varies between runs cannot be frozen")
        #expect(first.count == SQLiteSchema.migrator.migrations.count)
    }
}
