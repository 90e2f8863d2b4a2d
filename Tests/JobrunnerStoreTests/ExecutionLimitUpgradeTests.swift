import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Testing

/// The limit a run was stopped at (`stopped_by`, added with the sandbox's limits) is stored and
/// read back, and a database from before it keeps its runs and reads them as stopped by nothing.
@Suite("Executions stopped at a limit")
struct ExecutionLimitUpgradeTests {
    /// The migration that added the column, per driver.
    static func migration(_ driver: StoreDriver) -> (table: String, identifier: String) {
        driver.name == "postgres" ? ("jobrunner_migrations", "v28-execution-limits") : ("grdb_migrations", "v23-execution-limits")
    }

    static func finishedRun(_ store: any PipelineStore, path: String, stoppedBy: RunLimit?) async throws -> PipelineID {
        // A repository per run: none waits for another's CLEANUP.
        let repository = "acme/" + path.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: ".sh", with: "")
        let id = try await store.recordDelivery(
            Fixtures.delivery("d-\(path)", repository: repository), pipelines: [Fixtures.pipeline(path, repository: repository)]
        ).pipelines[0].id
        let process = try await store.mustClaim(.process)
        try await store.saveArtifact(Fixtures.artifact(), lease: process.lease)
        try await store.complete(process.lease, summary: "built")
        let execute = try await store.mustClaim(.execute)
        let run = try await store.startExecution(lease: execute.lease)
        var finished = try #require(try await store.executions(for: id).first { $0.id == run })
        finished.finishedAt = Date()
        finished.outcome = stoppedBy == nil ? .failed : .killed
        finished.exitCode = stoppedBy == nil ? 3 : nil
        finished.signal = stoppedBy == nil ? nil : 9
        finished.stoppedBy = stoppedBy
        try await store.finishExecution(finished)
        return id
    }

    @Test(arguments: StoreDriver.all)
    func theLimitIsStoredAndAnOlderDatabaseKeepsItsRuns(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let killed = try await Self.finishedRun(harness.store, path: "jobs/hog.sh", stoppedBy: .memory)
        #expect(try await harness.store.executions(for: killed).first?.stoppedBy == .memory)

        // What a database written before the column looks like: its runs, without the column
        // or the migration that adds it.
        let old = try await Self.finishedRun(harness.store, path: "jobs/old.sh", stoppedBy: nil)
        let (table, identifier) = Self.migration(driver)
        try await harness.execute("ALTER TABLE executions DROP COLUMN stopped_by")
        try await harness.execute("DELETE FROM \(table) WHERE identifier = '\(identifier)'")

        let upgraded = try await harness.secondHandle()
        let kept = try #require(try await upgraded.executions(for: old).first)
        #expect(kept.outcome == .failed && kept.exitCode == 3 && kept.stoppedBy == nil, "\(kept)")
        #expect(try await upgraded.executions(for: killed).first?.stoppedBy == nil, "the value went with the dropped column")
        let next = try await Self.finishedRun(upgraded, path: "jobs/next.sh", stoppedBy: .processes)
        #expect(try await upgraded.executions(for: next).first?.stoppedBy == .processes)
    }
}
