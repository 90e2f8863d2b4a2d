import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

@Suite("Listing and querying pipelines")
struct QueryTests {
    /// Pipelines in every status: 1 succeeded, 2 failed, 3 interrupted, 4 running, 5 cancelled, 6 queued.
    static func populate(_ harness: StoreHarness) async throws -> [PipelineID] {
        let store = harness.store
        let ids = try await store.recordDelivery(
            Fixtures.delivery("d"),
            pipelines: [
                Fixtures.pipeline("jobs/succeeds.sh", repository: "acme/one", pusher: "alice"),
                Fixtures.pipeline("jobs/fails.ts", repository: "acme/two", pusher: "bob"),
                Fixtures.pipeline("jobs/interrupted.sh", repository: "acme/three", pusher: "carol"),
                Fixtures.pipeline("jobs/runs_100%.py", repository: "acme/four", pusher: "dave"),
                Fixtures.pipeline("jobs/cancelled.sh", repository: "acme/five", pusher: "erin"),
                Fixtures.pipeline("jobs/waits.sh", repository: "acme/six", pusher: "frank"),
            ]
        ).pipelines.map(\.id)
        try await store.cancel(pipeline: ids[4], operatorName: "op", reason: nil)
        var process: [PipelineID: ClaimedStage] = [:]
        for _ in 0..<4 {
            let claimed = try await store.mustClaim(.process)
            process[claimed.pipeline.id] = claimed
        }
        try await store.complete(process[ids[0]]!.lease, summary: nil)
        try await store.fail(process[ids[1]]!.lease, failure: .permanent("syntax error"))
        try await store.complete(process[ids[2]]!.lease, summary: nil)
        let e1 = try await store.mustClaim(.execute)
        let e3 = try await store.mustClaim(.execute)
        try await store.complete(e1.lease, summary: nil)
        try await store.runToSuccess(.cleanup)
        try await store.release(e3.lease, reason: "shutdown")
        _ = process[ids[3]]  // still running
        return ids
    }

    @Test(arguments: StoreDriver.all)
    func statusFilterAgreesWithTheDerivedStatus(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let ids = try await Self.populate(harness)
        let expected: [PipelineStatus] = [.succeeded, .failed, .interrupted, .running, .cancelled, .queued]
        for (id, status) in zip(ids, expected) {
            #expect(try await harness.store.status(id) == status)
            let filtered = try await harness.store.pipelines(PipelineFilter(status: status))
            #expect(filtered.map(\.pipeline.id) == [id], "filter \(status.rawValue)")
            #expect(filtered.allSatisfy { $0.status == status })
        }
    }

    /// The text filter goes through a trigram index (FTS5, pg_trgm) for texts of three characters
    /// or more: what it finds must be exactly what a substring match of the columns finds —
    /// whatever the text holds (quotes, FTS syntax, LIKE wildcards, case, non-ASCII).
    @Test(arguments: StoreDriver.all)
    func theIndexedTextFilterFindsExactlyTheSubstringMatches(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let paths = [
            "jobs/backfill-\"quoted\".ts", "jobs/NEAR AND OR-*.sh", "jobs/Ünïcode-migration.py", "jobs/fix_users.ts", "jobs/a.sh",
            "jobs/backfill-invoices.ts",
        ]
        var ids: [PipelineID] = []
        for (index, path) in paths.enumerated() {
            ids.append(
                try await store.recordDelivery(
                    Fixtures.delivery("t\(index)"), pipelines: [Fixtures.pipeline(path, pusher: index == 4 ? "Margaret" : "octocat")]
                ).pipelines[0].id)
        }
        // Both drivers scan the newest pipelines first and ask their index only when those do not
        // fill the page: a window of one makes every query below go through the index.
        let indexed = try await harness.handle(textScanWindow: 1)
        func found(_ text: String) async throws -> [PipelineID] {
            let scanned = try await store.pipelines(PipelineFilter(text: text)).map(\.pipeline.id).sorted()
            let viaIndex = try await indexed.pipelines(PipelineFilter(text: text)).map(\.pipeline.id).sorted()
            #expect(scanned == viaIndex, "\(text): the scan and the index agree")
            return viaIndex
        }
        #expect(try await found("backfill") == [ids[0], ids[5]])
        #expect(try await found("BACKFILL-INV") == [ids[5]], "ASCII case is ignored")
        #expect(try await found("\"quoted\"") == [ids[0]], "quotes are text, not FTS syntax")
        #expect(try await found("NEAR AND OR-*") == [ids[1]], "operators are text")
        #expect(try await found("Ünïcode") == [ids[2]])
        #expect(try await found("fix_u") == [ids[3]], "_ is literal")
        #expect(try await found("fixxu").isEmpty)
        #expect(try await found("garet") == [ids[4]], "the pusher")
        #expect(try await found("ice") == ids, "the author (alice) of all")
        #expect(try await found("a.") == [ids[4]], "shorter than a trigram: scanned")
        #expect(try await found("ill-in") == [ids[5]])
        // PostgreSQL asks its index for each three-letter run apart (MIG, IGR, …), case ignored.
        #expect(try await found("MIGRATION") == [ids[2]])
        #expect(try await found("ckfill-invo") == [ids[5]])
        #expect(try await found("fill-xyz").isEmpty, "every run is there but one")
        // Indexed in the background (SQLite): the same answers once the rows are in the index,
        // also after one is deleted (retention) and while newer ones are not indexed yet.
        if let sqlite = store as? SQLitePipelineStore {
            #expect(try await sqlite.indexPipelineText(limit: 4) == 4)
            #expect(try await sqlite.indexPipelineText(limit: 100) == 2)
            #expect(try await sqlite.indexPipelineText(limit: 100) == 0)
            #expect(try await found("backfill") == [ids[0], ids[5]])
            #expect(try await found("\"quoted\"") == [ids[0]])
            #expect(try await found("garet") == [ids[4]])
            #expect(try await found("fixxu").isEmpty)
            let newer = try await store.recordDelivery(Fixtures.delivery("t-new"), pipelines: [Fixtures.pipeline("jobs/backfill-late.ts")])
                .pipelines[0].id
            #expect(try await found("backfill") == [ids[0], ids[5], newer], "not indexed yet, still found")
            let gone = ids[5].rawValue
            try await harness.execute("DELETE FROM stages WHERE pipeline_id = \(gone); DELETE FROM delivery_pipelines WHERE pipeline_id = \(gone); DELETE FROM pipelines WHERE id = \(gone)")
            #expect(try await found("backfill") == [ids[0], newer])
            #expect(try await sqlite.indexPipelineText(limit: 100) == 1)
            #expect(try await found("backfill") == [ids[0], newer])
            #expect(try await found("late") == [newer])
        }
    }

    @Test(arguments: StoreDriver.all)
    func filtersByRepositoryAndTextAndPagesNewestFirst(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let ids = try await Self.populate(harness)
        let store = harness.store
        #expect(try await store.pipelines(PipelineFilter(repository: Fixtures.repository("acme/two"))).map(\.pipeline.id) == [ids[1]])
        #expect(try await store.pipelines(PipelineFilter(text: "carol")).map(\.pipeline.id) == [ids[2]])
        #expect(try await store.pipelines(PipelineFilter(text: "alice")).map(\.pipeline.id).sorted() == ids, "author matches all")
        #expect(try await store.pipelines(PipelineFilter(text: "100%")).map(\.pipeline.id) == [ids[3]], "% is literal")
        #expect(try await store.pipelines(PipelineFilter(text: "s_cc")).isEmpty, "_ is literal")

        let page1 = try await store.pipelines(PipelineFilter(limit: 4))
        #expect(page1.map(\.pipeline.id) == Array(ids.reversed().prefix(4)))
        let page2 = try await store.pipelines(PipelineFilter(before: page1.last!.pipeline.id, limit: 4))
        #expect(page2.map(\.pipeline.id) == Array(ids.reversed().dropFirst(4)))
        #expect(page1.first?.stages.map(\.kind) == [.process])
    }
}
