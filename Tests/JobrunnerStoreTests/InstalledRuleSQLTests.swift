import Foundation
import JobrunnerCore
@testable import JobrunnerStore
@testable import JobrunnerStorePostgres
@testable import JobrunnerStoreSQLite
import Testing

/// Rules that must also exist in SQL (the status rule in triggers, the EXECUTE rule in the claim
/// function) are decided in Core and generated into SQL by `StoredStatus` and `PostgresFunctions`.
/// Migrations are frozen text, so when a rule changes the database keeps the old SQL until a new
/// migration installs the new one: this suite fails until that migration exists, and prints it.
@Suite("Rules installed in SQL agree with today's rules")
struct InstalledRuleSQLTests {
    static func trimmed(_ sql: String) -> String {
        var text = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        while text.hasSuffix(";") { text = String(text.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
        return text
    }

    /// The newest SQLite statement that starts with `prefix`.
    static func newestSQLite(_ prefix: String) -> String? {
        SQLiteMigrations.all.flatMap(\.statements).last { $0.hasPrefix(prefix) }
    }

    /// The newest PostgreSQL migration text that starts with `prefix`.
    static func newestPostgres(_ prefix: String) -> String? {
        PostgresMigrations.all.last { trimmed($0.sql).hasPrefix(prefix) }?.sql
    }

    @Test
    func sqliteStatusTriggersAreTodaysRule() throws {
        for write in StoredStatus.writes {
            let generated = try #require(StoredStatus.sqliteTrigger(named: write.name))
            let installed = try #require(Self.newestSQLite("CREATE TRIGGER \(write.name) "), "no migration creates \(write.name)")
            #expect(
                Self.trimmed(installed) == Self.trimmed(generated),
                "PipelineStatus.rule changed: add a SQLite migration that drops and re-creates the status triggers (StoredStatus.sqliteTriggersReplaced):\n\(StoredStatus.sqliteTriggersReplaced)")
        }
    }

    @Test
    func postgresStatusFunctionsAreTodaysRule() throws {
        for function in [StoredStatus.postgresChildFunction, StoredStatus.postgresPipelineFunction] {
            let head = try #require(function.split(separator: "(").first.map(String.init))
            let installed = try #require(Self.newestPostgres(head), "no migration creates \(head)")
            #expect(
                Self.trimmed(installed) == Self.trimmed(function),
                "PipelineStatus.rule changed: add a PostgreSQL migration (isOneStatement) installing:\n\(function)")
        }
        let guarded = try #require(Self.newestPostgres("DROP TRIGGER IF EXISTS stages_status ON stages"))
        #expect(
            Self.trimmed(guarded) == Self.trimmed(StoredStatus.postgresStageTriggersGuarded),
            "PipelineStatus.rule changed the insert guard: add a PostgreSQL migration re-creating the stage triggers:\n\(StoredStatus.postgresStageTriggersGuarded)")
    }

    @Test
    func postgresClaimAndCompleteAreTodaysRules() throws {
        for function in [PostgresFunctions.claim, PostgresFunctions.complete] {
            let head = try #require(function.split(separator: "(").first.map(String.init))
            let installed = try #require(Self.newestPostgres(head), "no migration creates \(head)")
            #expect(
                Self.trimmed(installed) == Self.trimmed(function),
                "the claim or completion rule changed: add a PostgreSQL migration (isOneStatement) installing:\n\(function)")
        }
    }

    /// The completion function spells out `StageKind.next`: it must say what Core says.
    @Test
    func postgresCompletionQueuesTheStageCoreNames() {
        for kind in StageKind.allCases {
            guard let next = kind.next else {
                #expect(PostgresFunctions.complete.contains("IF held.kind <> '\(kind.rawValue)' THEN"), "\(kind) is last: nothing is queued after it")
                continue
            }
            let spelled = kind == .process ? "WHEN 'process' THEN '\(next.rawValue)'" : "ELSE '\(next.rawValue)' END"
            #expect(PostgresFunctions.complete.contains(spelled), "StageKind.next(\(kind)) = \(next) is not what jobrunner_complete queues")
        }
    }
}
