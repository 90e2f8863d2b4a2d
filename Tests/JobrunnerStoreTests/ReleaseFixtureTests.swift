import Foundation
import GRDB
import JobrunnerCore
@testable import JobrunnerStore
@testable import JobrunnerStorePostgres
@testable import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// Databases written by a released Jobrunner (`Fixtures/release-*`: a SQLite file and a
/// PostgreSQL dump, each holding `StoreHistorySample`) open with today's build — which upgrades
/// them — and read back exactly as that release read them (`expected.txt`, written with the
/// fixture). A release that changes the schema adds its own fixture; older ones stay.
///
/// To write a fixture for a new release: `JOBRUNNER_WRITE_RELEASE_FIXTURE=Tests/JobrunnerStoreTests/Fixtures/release-NAME
/// scripts/test --filter ReleaseFixtureTests` (the PostgreSQL dump needs the test command's server).
@Suite("Databases written by earlier releases")
struct ReleaseFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static var releases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []).filter { $0.hasPrefix("release-") }.sorted()
    }

    /// What a user sees of a database: every pipeline (status, outcome, stages, runs and their
    /// output), every delivery and dry run. One line per fact, so a difference reads plainly.
    static func view(_ store: any PipelineStore) async throws -> [String] {
        var lines: [String] = []
        for summary in try await store.pipelines(PipelineFilter(limit: 1000)).reversed() {
            let id = summary.pipeline.id
            guard let detail = try await store.pipeline(id) else {
                lines.append("pipeline \(id): unreadable")
                continue
            }
            let source = detail.summary.pipeline.source
            lines.append(
                "pipeline \(id) \(source.repository) \(source.scriptPath) @\(source.commit) by \(source.pusher ?? "-"): "
                    + "\(detail.summary.status.rawValue), outcome \(detail.summary.outcome.rawValue)"
                    + (detail.summary.pipeline.supersededBy.map { ", superseded by \($0)" } ?? "")
                    + (detail.summary.pipeline.discard.map { ", discarded by \($0.operatorName): \($0.reason)" } ?? ""))
            for stage in detail.summary.stages {
                lines.append("  \(stage.kind.rawValue): \(stage.state.rawValue), attempt \(stage.attempt) of \(stage.maxAttempts), \(stage.summary ?? "-")")
            }
            for attempt in detail.attempts {
                lines.append("  attempt \(attempt.kind.rawValue) \(attempt.attempt): \(attempt.outcome) \(attempt.error ?? "")")
            }
            for action in detail.operatorActions {
                lines.append("  operator \(action.operatorName): \(action.kind) \(action.reason ?? "")")
            }
            for run in try await store.executions(for: id) {
                lines.append(
                    "  run \(run.attempt): \(run.outcome.rawValue), exit \(run.exitCode.map(String.init) ?? "-"), "
                        + "stdout \(String(decoding: run.stdout, as: UTF8.self).debugDescription), stderr \(String(decoding: run.stderr, as: UTF8.self).debugDescription), "
                        + "progress \(run.progress.map { "\($0.done)/\($0.total ?? 0)" } ?? "-"), app \(run.application?.directory ?? "-")@\(run.application?.revision ?? "-")")
            }
            if let artifact = try await store.artifact(for: id) {
                lines.append("  artifact \(artifact.fileName) \(artifact.digest) \(artifact.content.count) bytes, approved by \(artifact.approval?.approvers ?? [])")
            }
            for message in try await store.outbox(for: id) {
                lines.append("  outbox \(message.event): \(message.state.rawValue)")
            }
            for record in try await store.feedback(for: id) {
                lines.append("  feedback \(record.channel) \(record.event) \(record.target)")
            }
        }
        for number in 1...8 {
            if let delivery = try await store.delivery(DeliveryID("delivery-\(number)")) {
                lines.append(
                    "delivery \(delivery.delivery.id.rawValue) \(delivery.delivery.event) \(delivery.delivery.repository ?? "-"): \(delivery.delivery.outcome.rawValue) → \(delivery.pipelineIDs)")
            }
        }
        for run in try await store.dryRuns(DryRunFilter()) {
            lines.append("dry run \(run.repository)#\(run.pullRequest) \(run.scriptPath): \(run.state.rawValue) \(run.outcome?.rawValue ?? "-") \(run.stdout.debugDescription)")
        }
        let statistics = try await store.statistics()
        for status in PipelineStatus.allCases where statistics.pipelinesByStatus[status, default: 0] > 0 {
            lines.append("count \(status.rawValue): \(statistics.pipelinesByStatus[status]!)")
        }
        return lines
    }

    static func expected(_ release: String) throws -> [String] {
        try String(contentsOf: fixtures.appendingPathComponent("\(release)/expected.txt"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }

    @Test
    func aFixtureOfTheCurrentReleaseIsCommitted() {
        #expect(!Self.releases.isEmpty, "Fixtures/release-* holds the databases earlier releases wrote")
    }

    @Test(arguments: Self.releases)
    func sqliteDatabaseOfAnEarlierReleaseUpgradesAndKeepsItsHistory(release: String) async throws {
        let directory = try TemporaryDirectory("release")
        let path = directory.file("jobrunner.sqlite")
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("\(release)/jobrunner.sqlite").path, toPath: path)
        let store = try SQLitePipelineStore(path: path, clock: ManualClock())
        #expect(try await Self.view(store) == Self.expected(release))
        let applied = try await DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == SQLiteSchema.migrator.migrations, "every migration of today's build ran")
    }

    @Test(.enabled(if: TestPostgres.url != nil, "the test command starts PostgreSQL"), arguments: Self.releases)
    func postgresDatabaseOfAnEarlierReleaseUpgradesAndKeepsItsHistory(release: String) async throws {
        let url = try await TestPostgres.freshDatabase()
        let dump = Self.fixtures.appendingPathComponent("\(release)/postgres.sql").path
        let restored = try await onDedicatedThread {
            try runToCompletion(["psql", url, "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-f", dump], in: NSTemporaryDirectory())
        }
        try #require(restored.status == 0, "psql: \(String(decoding: restored.stderr, as: UTF8.self))")
        let store = try await PostgresPipelineStore.connect(url: url, clock: ManualClock())
        defer { store.close() }
        #expect(try await Self.view(store) == Self.expected(release))
    }

    /// Writes a fixture of this build (only when asked: see the suite's comment).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["JOBRUNNER_WRITE_RELEASE_FIXTURE"] != nil))
    func writeAFixtureOfThisBuild() async throws {
        let target = try #require(ProcessInfo.processInfo.environment["JOBRUNNER_WRITE_RELEASE_FIXTURE"])
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let clock = ManualClock()
        let scratch = try TemporaryDirectory("release-fixture")
        let store = try SQLitePipelineStore(path: scratch.file("jobrunner.sqlite"), clock: clock)
        try await StoreHistorySample.write(store, clock: clock)
        try (try await Self.view(store).joined(separator: "\n") + "\n").write(toFile: target + "/expected.txt", atomically: true, encoding: .utf8)
        // One self-contained file (no write-ahead log beside it), as a backup would be.
        let path = target + "/jobrunner.sqlite"
        try? FileManager.default.removeItem(atPath: path)
        try await DatabaseQueue(path: scratch.file("jobrunner.sqlite")).writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }

        let url = try await TestPostgres.freshDatabase()
        let postgresClock = ManualClock()
        let pg = try await PostgresPipelineStore.connect(url: url, clock: postgresClock)
        defer { pg.close() }
        try await StoreHistorySample.write(pg, clock: postgresClock)
        #expect(try await Self.view(pg) == Self.view(store), "both drivers keep the same history")
        let dumped = try await onDedicatedThread {
            try runToCompletion(["pg_dump", "--no-owner", "--no-privileges", "--inserts", url], in: NSTemporaryDirectory())
        }
        try #require(dumped.status == 0, "pg_dump: \(String(decoding: dumped.stderr, as: UTF8.self))")
        // Without psql's `\restrict` guard lines (psql 15.14 and later only), so any psql restores it.
        let dump = String(decoding: dumped.stdout, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }.joined(separator: "\n")
        try dump.write(toFile: target + "/postgres.sql", atomically: true, encoding: .utf8)
    }
}
