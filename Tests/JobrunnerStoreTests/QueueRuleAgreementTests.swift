import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport
import Testing

/// The queue's rules live in Core; where a driver needs one in SQL (the status filter, the
/// successor inside PostgreSQL's `jobrunner_complete`), these tests prove the SQL and the Swift
/// rule agree for every combination, on every driver.
@Suite("Queue rules: SQL agrees with Core")
struct QueueRuleAgreementTests {
    /// Every combination of stage states a pipeline can be stored with: PROCESS in each state,
    /// EXECUTE and CLEANUP each absent or in each state; and, after a PROCESS that succeeded,
    /// every EXECUTE and CLEANUP state with every outcome of a script run.
    static let combinations: [(process: StageState, execute: StageState?, cleanup: StageState?, script: ExecutionOutcome?)] = {
        let optional: [StageState?] = [nil] + StageState.allCases.map { $0 }
        let stagesOnly = StageState.allCases.flatMap { process in
            optional.flatMap { execute in optional.map { cleanup in (process, execute, cleanup, ExecutionOutcome?.none) } }
        }
        let withScripts = StageState.allCases.flatMap { execute in
            optional.flatMap { cleanup in
                ExecutionOutcome.allCases.map { script in (StageState.succeeded, StageState?.some(execute), cleanup, Optional(script)) }
            }
        }
        return stagesOnly + withScripts
    }()

    static let markSets: [Set<PipelineMark>] = [[], [.superseded], [.discarded], [.superseded, .discarded]]

    @Test(arguments: StoreDriver.all)
    func theStatusFilterAndTheDerivedStatusAgreeForEveryCombination(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        let combinations = Self.combinations
        var ids: [PipelineID] = []
        for chunk in stride(from: 0, to: combinations.count, by: 25) {
            ids += try await store.recordDelivery(
                Fixtures.delivery("combinations-\(chunk)"),
                pipelines: (chunk..<min(chunk + 25, combinations.count)).map {
                    Fixtures.pipeline("jobs/c\($0).sh", repository: "acme/r\($0)")
                }
            ).pipelines.map(\.id)
        }
        var sql: [String] = []
        for (id, combination) in zip(ids, combinations) {
            sql.append("UPDATE stages SET state = '\(combination.process.rawValue)' WHERE pipeline_id = \(id.rawValue)")
            for (kind, state) in [(StageKind.execute, combination.execute), (.cleanup, combination.cleanup)] {
                guard let state else { continue }
                sql.append("""
                    INSERT INTO stages (pipeline_id, repository, kind, state, attempt, max_attempts, run_after, created_at)
                    VALUES (\(id.rawValue), 'acme/x', '\(kind.rawValue)', '\(state.rawValue)', 0, 1, 0, 0)
                    """)
            }
            // The pipeline's marks cycle through every subset; the cycle (4) and the innermost
            // dimension (CLEANUP: 7 values) are coprime, so every mark set meets every CLEANUP state.
            let marks = Self.markSets[ids.firstIndex(of: id)! % Self.markSets.count]
            if marks.contains(.superseded) { sql.append("UPDATE pipelines SET superseded_by = \(id.rawValue + 100000) WHERE id = \(id.rawValue)") }
            if marks.contains(.discarded) {
                sql.append("UPDATE pipelines SET discarded_by = 'ops', discarded_at = 1, discard_reason = 'x', discard_may_have_run = 0 WHERE id = \(id.rawValue)")
            }
            if let script = combination.script {
                // An earlier run that succeeded, then the latest: only the latest counts.
                sql.append("INSERT INTO executions (pipeline_id, attempt, started_at, outcome) VALUES (\(id.rawValue), 1, 0, 'succeeded')")
                sql.append("""
                    INSERT INTO executions (pipeline_id, attempt, started_at, outcome, exit_code)
                    VALUES (\(id.rawValue), 2, 1, '\(script.rawValue)', 3)
                    """)
            }
        }
        try await harness.execute(sql.joined(separator: ";\n"))

        var filtered: [PipelineID: PipelineStatus] = [:]
        for status in PipelineStatus.allCases {
            for summary in try await store.pipelines(PipelineFilter(status: status, limit: 1000)) {
                #expect(summary.status == status, "the list's own status agrees with the filter")
                #expect(filtered[summary.pipeline.id] == nil, "pipeline \(summary.pipeline.id) matched two status filters")
                filtered[summary.pipeline.id] = status
            }
        }
        let statistics = try await store.statistics()
        let summaries = Dictionary(
            uniqueKeysWithValues: try await store.pipelines(PipelineFilter(limit: 1000)).map { ($0.pipeline.id, $0) })
        #expect(summaries.count == ids.count)
        for (id, combination) in zip(ids, combinations) {
            let summary = try #require(summaries[id])
            #expect(summary.script?.outcome == combination.script)
            #expect(summary.pipeline.marks == Self.markSets[ids.firstIndex(of: id)! % Self.markSets.count])
            let swift = PipelineStatus(stages: summary.stages, script: summary.script, marks: summary.pipeline.marks)
            #expect(filtered[id] == swift, "\(combination): SQL says \(String(describing: filtered[id])), Core says \(swift)")
        }
        for status in PipelineStatus.allCases {
            #expect(statistics.pipelinesByStatus[status, default: 0] == filtered.values.filter { $0 == status }.count)
        }
    }

    /// The stage-insert trigger skips its refresh when the new stage cannot change the status
    /// (SQLite). Here the earlier stage (in each state), the script run and the marks come
    /// first and a stage in each state is the last write, so a skip Core disagrees with shows
    /// (e.g. a queued CLEANUP turning a discarded pipeline with a failed EXECUTE `queued`).
    @Test(arguments: StoreDriver.all)
    func aStageInsertedLastLeavesTheStoredStatusCoreWouldDerive(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(), 0)
        let store = harness.store
        var cases: [(marks: Set<PipelineMark>, kind: StageKind, before: StageState, state: StageState, script: ExecutionOutcome?)] = []
        for marks in Self.markSets {
            for kind in [StageKind.execute, .cleanup] {
                for before in StageState.allCases {
                    for state in StageState.allCases {
                        for script in [nil, ExecutionOutcome.failed] { cases.append((marks, kind, before, state, script)) }
                    }
                }
            }
        }
        var ids: [PipelineID] = []
        for chunk in stride(from: 0, to: cases.count, by: 50) {
            ids += try await store.recordDelivery(
                Fixtures.delivery("inserted-last-\(chunk)"),
                pipelines: (chunk..<min(chunk + 50, cases.count)).map { Fixtures.pipeline("jobs/i\($0).sh", repository: "acme/i\($0)") }
            ).pipelines.map(\.id)
        }
        var sql: [String] = []
        for (id, next) in zip(ids, cases) {
            // The stage before the inserted one is in state `before`; any earlier one succeeded.
            sql.append("UPDATE stages SET state = '\(next.kind == .execute ? next.before : .succeeded)' WHERE pipeline_id = \(id.rawValue)")
            if next.kind == .cleanup {
                sql.append("""
                    INSERT INTO stages (pipeline_id, repository, kind, state, attempt, max_attempts, run_after, created_at)
                    VALUES (\(id.rawValue), 'acme/x', 'execute', '\(next.before.rawValue)', 1, 1, 0, 0)
                    """)
            }
            if let script = next.script {
                sql.append("INSERT INTO executions (pipeline_id, attempt, started_at, outcome, exit_code) VALUES (\(id.rawValue), 1, 0, '\(script.rawValue)', 3)")
            }
            if next.marks.contains(.superseded) { sql.append("UPDATE pipelines SET superseded_by = \(id.rawValue + 100000) WHERE id = \(id.rawValue)") }
            if next.marks.contains(.discarded) {
                sql.append("UPDATE pipelines SET discarded_by = 'ops', discarded_at = 1, discard_reason = 'x', discard_may_have_run = 0 WHERE id = \(id.rawValue)")
            }
            sql.append("""
                INSERT INTO stages (pipeline_id, repository, kind, state, attempt, max_attempts, run_after, created_at)
                VALUES (\(id.rawValue), 'acme/x', '\(next.kind.rawValue)', '\(next.state.rawValue)', 0, 1, 0, 0)
                """)
        }
        try await harness.execute(sql.joined(separator: ";\n"))

        var filtered: [PipelineID: PipelineStatus] = [:]
        for status in PipelineStatus.allCases {
            for summary in try await store.pipelines(PipelineFilter(status: status, limit: 1000)) { filtered[summary.pipeline.id] = status }
        }
        let summaries = Dictionary(
            uniqueKeysWithValues: try await store.pipelines(PipelineFilter(limit: 1000)).map { ($0.pipeline.id, $0) })
        #expect(summaries.count == cases.count)
        for (id, next) in zip(ids, cases) {
            let summary = try #require(summaries[id])
            #expect(summary.pipeline.marks == next.marks && summary.stages.last?.state == next.state)
            let swift = PipelineStatus(stages: summary.stages, script: summary.script, marks: summary.pipeline.marks)
            #expect(filtered[id] == swift, "\(next): stored \(String(describing: filtered[id])), Core says \(swift)")
        }
    }

    @Test(arguments: StoreDriver.all)
    func completingEachKindQueuesTheSuccessorCoreNames(driver: StoreDriver) async throws {
        let policy = RetryPolicy(maxAttempts: [.process: 3, .execute: 1, .cleanup: 7])
        let harness = try await driver.open(policy, 0)
        let store = harness.store
        let id = try await store.recordDelivery(Fixtures.delivery("d"), pipelines: [Fixtures.pipeline("jobs/a.sh")])
            .pipelines[0].id
        for kind in StageKind.allCases.sorted() {
            let claimed = try await store.mustClaim(kind)
            try await store.complete(claimed.lease, summary: nil)
            let stages = try #require(try await store.pipeline(id)).summary.stages
            #expect(stages.last?.kind == (kind.next ?? kind), "after \(kind)")
            if let next = kind.next {
                let created = try #require(stages.first { $0.kind == next })
                #expect(created.state == .queued && created.maxAttempts == policy.attempts(for: next))
            } else {
                #expect(stages.count == StageKind.allCases.count, "nothing follows \(kind)")
            }
        }
        #expect(try await store.status(id) == .succeeded)
    }

    @Test(arguments: StoreDriver.all)
    func rescueAndReleaseDoWhatCoreDecidesForEveryKind(driver: StoreDriver) async throws {
        let harness = try await driver.open(RetryPolicy(maxAttempts: [.process: 2, .cleanup: 2]), 0)
        let store = harness.store
        var number = 0
        /// A pipeline of its own whose stages before `kind` succeeded.
        func pipeline(reaching kind: StageKind) async throws -> PipelineID {
            number += 1
            let id = try await store.recordDelivery(
                Fixtures.delivery("d\(number)"), pipelines: [Fixtures.pipeline("jobs/s\(number).sh", repository: "acme/r\(number)")]
            ).pipelines[0].id
            for earlier in StageKind.allCases.sorted() where earlier < kind { try await store.runToSuccess(earlier) }
            return id
        }
        /// Nothing of a checked pipeline stays claimable for the next case.
        func settle(_ id: PipelineID) async throws {
            if try await store.status(id) == .queued { try await store.cancel(pipeline: id, operatorName: "test", reason: nil) }
        }
        for kind in StageKind.allCases.sorted() {
            for attemptsLeft in [true, false] {
                let id = try await pipeline(reaching: kind)
                if !attemptsLeft && kind.isIdempotent {
                    let first = try await store.mustClaim(kind)
                    try await store.fail(first.lease, failure: .transient("flaky"))
                    harness.clock.advance(by: .seconds(3600))
                }
                let claimed = try await store.mustClaim(kind, lease: .seconds(10))
                #expect(claimed.pipeline.id == id)
                harness.clock.advance(by: .seconds(11))
                _ = try await store.rescueExpiredLeases()
                let stage = try #require(try await store.stage(id, kind))
                let expected = kind.rescued(
                    attempt: claimed.lease.attempt, maxAttempts: stage.maxAttempts, owner: "w1", expiredAt: claimed.lease.expiresAt)
                #expect(stage.state == expected.state, "\(kind), attempts left: \(attemptsLeft)")
                #expect(stage.lastError == expected.message)
                try await settle(id)
            }
            // Handing back at shutdown.
            let id = try await pipeline(reaching: kind)
            let claimed = try await store.mustClaim(kind)
            #expect(claimed.pipeline.id == id)
            try await store.release(claimed.lease, reason: "shutdown")
            let stage = try #require(try await store.stage(id, kind))
            let expected = kind.released(reason: "shutdown")
            #expect(stage.state == expected.state, "\(kind)")
            #expect(stage.attempt == claimed.lease.attempt - (expected.refundsAttempt ? 1 : 0))
            try await settle(id)
        }
    }
}
