import Foundation
import GRDB
import JobrunnerCore
@testable import JobrunnerStore
@testable import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

@Suite("SQLite database file")
struct SchemaTests {
    @Test
    func processesOpeningTheSameNewFileAtOnceMigrateItOnce() async throws {
        for round in 0..<3 {
            let directory = try TemporaryDirectory("concurrent-migration")
            let path = directory.file("jobrunner-\(round).sqlite")
            // Separate pools, as separate processes have: each decides for itself what to apply.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 {
                    group.addTask { _ = try await onDedicatedThread { try SQLitePipelineStore(path: path) } }
                }
                try await group.waitForAll()
            }
            let store = try SQLitePipelineStore(path: path)
            #expect(try await store.pipelines(PipelineFilter()).isEmpty)
        }
    }

    /// Every stage change refreshes its pipeline's stored status. SQLite keeps no statistics
    /// unless asked, and without them it once answered "has this pipeline a failed stage?"
    /// through the stage-state index — reading every failed (or succeeded) stage of the whole
    /// history, at each intake and claim. The installed triggers must find the stages by their
    /// pipeline, whatever the statistics say.
    @Test
    func theStatusTriggersLookUpOnlyTheirPipelinesStages() async throws {
        let directory = try TemporaryDirectory("plan")
        let path = directory.file("jobrunner.sqlite")
        _ = try SQLitePipelineStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try await queue.read { db in
            #expect(try Bool.fetchOne(db, sql: "SELECT COUNT(*) > 0 FROM sqlite_master WHERE name = 'sqlite_stat1'") == false)
            for write in StoredStatus.writes {
                let trigger = try #require(
                    try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", arguments: [write.name]))
                let statement = try Self.refresh(in: trigger, of: write.pipeline, pipeline: 1)
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + statement).map { $0["detail"] as String }
                let stageLookups = plan.filter { $0.hasPrefix("SEARCH x ") || $0.hasPrefix("SCAN x") }
                #expect(!stageLookups.isEmpty, "\(write.name): the plan looks at stages")
                for lookup in stageLookups {
                    #expect(lookup.contains("pipeline_id=?"), "\(write.name): \(lookup)")
                }
            }
        }
    }

    /// v22 dropped two indexes (`stages_leases`, `pipelines_by_script`); the statements they
    /// served still look up rows through an index instead of reading the table, even over a
    /// history (sqlite_stat1 from ANALYZE, as a long-lived database would have).
    @Test
    func theExpiredLeaseScanAndAScriptsLatestPipelineStillUseAnIndex() async throws {
        let directory = try TemporaryDirectory("plans")
        let path = directory.file("jobrunner.sqlite")
        let store = try SQLitePipelineStore(path: path)
        for chunk in 0..<4 {
            _ = try await store.recordDelivery(
                Fixtures.delivery("d\(chunk)"),
                pipelines: (0..<50).map { Fixtures.pipeline("jobs/s\(chunk * 50 + $0).sh", repository: "acme/r\($0 % 5)") })
        }
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "ANALYZE")
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'")
            #expect(!indexes.contains("stages_leases") && !indexes.contains("pipelines_by_script"))
            let statements: [(sql: String, arguments: StatementArguments, index: String)] = [
                (SQLitePipelineStore.expiredLeasesSQL, [1.0], "stages_runnable"),
                (StoredSQL.latestPipelineOfScript(repository: "?", path: "?"), ["acme/r1", "jobs/s1.sh"], "sqlite_autoindex_pipelines_1"),
            ]
            for (statement, arguments, index) in statements {
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + statement, arguments: arguments).map { $0["detail"] as String }
                #expect(plan.contains { $0.hasPrefix("SEARCH") && $0.contains(index) }, "\(plan)")
                #expect(!plan.contains { $0.hasPrefix("SCAN") && !$0.contains("TEMP") }, "\(plan)")
            }
        }
    }

    /// A trigger's status refresh as a statement of its own, for pipeline `pipeline`.
    static func refresh(in trigger: String, of reference: String, pipeline: Int64) throws -> String {
        let start = try #require(trigger.range(of: "UPDATE pipelines SET status"))
        let end = try #require(trigger.range(of: ";", range: start.upperBound..<trigger.endIndex))
        return trigger[start.lowerBound..<end.lowerBound].replacingOccurrences(of: reference, with: "\(pipeline)")
    }

    @Test
    func aStatusRefreshWritesThePipelineOnlyWhenItsStatusChanges() async throws {
        let directory = try TemporaryDirectory("refresh")
        let path = directory.file("jobrunner.sqlite")
        let store = try SQLitePipelineStore(path: path)
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")]).pipelines[0].id
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            for write in StoredStatus.writes {
                let trigger = try #require(
                    try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", arguments: [write.name]))
                let refresh = try Self.refresh(in: trigger, of: write.pipeline, pipeline: id.rawValue)
                try db.execute(sql: refresh)
                #expect(db.changesCount == 0, "\(write.name): an unchanged status is not written")
                // A stored status that disagrees is corrected (and written).
                try db.execute(sql: "UPDATE pipelines SET status = 'failed' WHERE id = ?", arguments: [id.rawValue])
                try db.execute(sql: refresh)
                #expect(db.changesCount == 1, "\(write.name): a changed status is written")
                #expect(try String.fetchOne(db, sql: "SELECT status FROM pipelines WHERE id = ?", arguments: [id.rawValue]) == "queued")
            }
        }
        #expect(try await store.statistics().pipelinesByStatus[.queued] == 1, "the counts followed both writes")
    }

    /// Migration v21 numbers the deliveries and keys `delivery_pipelines` by that number:
    /// deliveries recorded before it still answer their redeliveries with the same pipelines in
    /// the same order, and new deliveries are numbered after them.
    @Test
    func deliveriesRecordedBeforeTheyWereNumberedKeepTheirPipelines() async throws {
        let directory = try TemporaryDirectory("numbered")
        let path = directory.file("jobrunner.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteSchema.migrator.migrate(queue, upTo: "v20-status-insert-guarded")
            try await queue.write { db in
                try db.execute(sql: """
                    INSERT INTO deliveries (id, event, repository, ref, head_commit, sender, outcome, received_at)
                    VALUES ('old-1', 'push', 'acme/ops', 'refs/heads/main', 'c0ffee', 'octocat', 'accepted', 1),
                           ('old-2', 'push', 'acme/ops', 'refs/heads/main', 'c0ffee', 'octocat', 'ignored', 2);
                    INSERT INTO pipelines (id, repository, branch, script_path, commit_sha, delivery_id, created_at)
                    VALUES (1, 'acme/ops', 'main', 'jobs/a.sh', 'c0ffee', 'old-1', 1),
                           (2, 'acme/ops', 'main', 'jobs/b.sh', 'c0ffee', 'old-1', 1);
                    INSERT INTO delivery_pipelines (delivery_id, pipeline_id, position) VALUES ('old-1', 2, 0), ('old-1', 1, 1);
                    """)
            }
        }
        let store = try SQLitePipelineStore(path: path)
        let old = try await store.recordDelivery(
            Fixtures.delivery("old-1"), pipelines: [Fixtures.pipeline("jobs/b.sh"), Fixtures.pipeline("jobs/a.sh")])
        #expect(old.isRedelivery)
        #expect(old.pipelines.map { $0.id.rawValue } == [2, 1])
        #expect(old.pipelines.map { $0.path } == ["jobs/b.sh", "jobs/a.sh"])
        let new = try await store.recordDelivery(
            Fixtures.delivery("new-1"), pipelines: [Fixtures.pipeline("jobs/c.sh"), Fixtures.pipeline("jobs/a.sh")])
        #expect(!new.isRedelivery && new.pipelines.map { $0.created } == [true, false])
        let again = try await store.recordDelivery(Fixtures.delivery("new-1"), pipelines: [])
        #expect(again.isRedelivery && again.pipelines.map { $0.id } == new.pipelines.map { $0.id })

        let queue = try DatabaseQueue(path: path)
        try await queue.read { db in
            #expect(try String.fetchAll(db, sql: "SELECT id FROM deliveries ORDER BY seq") == ["old-1", "old-2", "new-1"])
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            let table = try #require(try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'delivery_pipelines'"))
            #expect(table.contains("delivery_seq") && table.contains("WITHOUT ROWID"))
        }
    }

    @Test
    func opensInWALWithFullSynchronousAndKeepsDataAcrossReopen() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("nested/dir/jobrunner.sqlite")
        do {
            let store = try SQLitePipelineStore(path: path)
            _ = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            try await store.checkReady()
        }
        let reopened = try SQLitePipelineStore(path: path)
        #expect(try await reopened.pipelines(PipelineFilter()).count == 1)
        let mode = try await reopened.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        // synchronous is per connection; 2 is FULL: a commit is on disk before the call returns.
        let writer = try await reopened.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        let reader = try await reopened.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(writer == 2)
        #expect(reader == 2)
        let busy = try await reopened.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA busy_timeout") }
        #expect(busy == 10_000)
        // The writer's larger page cache (negative: KiB).
        let cache = try await reopened.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") }
        #expect(cache == -SQLiteDurablePool.writerCacheKiB)
    }

    @Test
    func refusesADatabaseMigratedByANewerVersion() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("jobrunner.sqlite")
        _ = try SQLitePipelineStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
        }
        #expect(throws: PipelineStoreError.databaseIsNewer(location: path, unknownMigrations: ["v99-from-the-future"])) {
            _ = try SQLitePipelineStore(path: path)
        }
    }

    @Test
    func reportsAnUnopenableLocationClearly() throws {
        let directory = try TemporaryDirectory()
        let blocker = directory.file("file")
        _ = FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        let path = blocker + "/jobrunner.sqlite"
        #expect {
            _ = try SQLitePipelineStore(path: path)
        } throws: { error in
            guard case .unavailable(let location, _)? = error as? PipelineStoreError else { return false }
            return location == path
        }
    }
}
