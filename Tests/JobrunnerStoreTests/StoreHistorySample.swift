import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerTestSupport

/// A varied history written through the store's own operations — what a database in use holds:
/// pipelines in every status, runs with output and progress, operator actions, a superseded
/// and a discarded pipeline, feedback and its outbox, a rejected delivery and a dry run. The
/// upgrade tests copy it into databases of every earlier schema version, and the
/// previous-release fixture was written by it.
enum StoreHistorySample {
    static let repositories = ["acme/ops", "acme/billing", "acme/search"]

    /// Writes the history into `store`, moving `clock` as time would pass.
    static func write(_ store: any PipelineStore, clock: ManualClock) async throws {
        func step() { clock.advance(by: .seconds(7)) }
        func pipeline(_ path: String, _ repository: String, commit: String, fix: Bool = false) -> NewPipeline {
            var pipeline = Fixtures.pipeline(path, repository: repository, commit: commit)
            pipeline.blob = String(repeating: "b", count: 39) + String(path.count % 10)
            pipeline.modifiesExisting = fix
            return pipeline
        }
        func claim(_ kind: StageKind, owner: String = "node-a") async throws -> ClaimedStage {
            guard let claimed = try await store.claimNext(owner: owner, kinds: [kind], leaseDuration: .seconds(60)) else {
                throw SampleError("no \(kind.rawValue) stage to claim")
            }
            return claimed
        }
        func run(_ kind: StageKind, summary: String) async throws -> ClaimedStage {
            let claimed = try await claim(kind)
            step()
            try await store.complete(claimed.lease, summary: summary)
            return claimed
        }
        func execute(exitCode: Int32, stdout: String, stderr: String = "", progress: Bool = false) async throws -> Int64 {
            let claimed = try await claim(.execute)
            let execution = try await store.startExecution(lease: claimed.lease, feedback: [.running])
            try await store.appendOutput(execution: execution, stdout: Array(stdout.utf8), stderr: Array(stderr.utf8))
            if progress {
                let report = ProgressReport(done: 40, total: 100, unit: "rows", firstDone: 10, firstAt: clock.now(), at: clock.now())
                try await store.recordProgress(execution: execution, progress: report, feedback: [.progress])
            }
            step()
            guard var record = try await store.executions(for: claimed.pipeline.id).first(where: { $0.id == execution }) else {
                throw SampleError("execution \(execution) was not stored")
            }
            record.finishedAt = clock.now()
            record.outcome = exitCode == 0 ? .succeeded : .failed
            record.exitCode = exitCode
            record.application = ApplicationFacts(directory: "/srv/app", revision: "abc123", lockfile: "uv.lock", lockfileDigest: "sha256:99")
            try await store.finishExecution(record)
            if exitCode == 0 {
                try await store.complete(claimed.lease, summary: "exit 0")
            } else {
                _ = try await store.fail(claimed.lease, failure: .permanent("the script exited with \(exitCode)"))
            }
            return execution
        }

        // 1. acme/ops: a script that ran to the end, its feedback recorded and its outbox settled.
        let first = try await store.recordDelivery(
            Fixtures.delivery("delivery-1", repository: "acme/ops"),
            pipelines: [pipeline("jobs/backfill_orders.py", "acme/ops", commit: "c1")]
        ).pipelines[0].id
        step()
        let process = try await claim(.process)
        try await store.saveArtifact(Fixtures.artifact(), lease: process.lease)
        try await store.enqueueFeedback([.started], for: first)
        try await store.complete(process.lease, summary: "built with bash 5.2")
        _ = try await execute(exitCode: 0, stdout: "updated 40 rows\n", stderr: "warning: slow\n", progress: true)
        _ = try await run(.cleanup, summary: "log committed")
        try await store.recordFeedback(
            FeedbackRecord(pipelineID: first, channel: "github", event: "finished", target: "status", error: nil, at: clock.now()))
        for claimed in try await store.claimFeedback(owner: "node-a", limit: 10, leaseDuration: .seconds(60)) {
            try await store.settleFeedback(claimed.message, owner: "node-a", .delivered, records: [])
        }

        // 2. acme/billing: a run that failed, retried by an operator, and failed again for good.
        let failed = try await store.recordDelivery(
            Fixtures.delivery("delivery-2", repository: "acme/billing"),
            pipelines: [pipeline("jobs/fix_invoices.sh", "acme/billing", commit: "c2")]
        ).pipelines[0].id
        _ = try await run(.process, summary: "built")
        _ = try await execute(exitCode: 3, stdout: "", stderr: "invoice 17: not found\n")
        if let stage = try await store.pipeline(failed)?.summary.stage(.execute) {
            try await store.retry(stage: stage.id, operatorName: "carol", reason: "data fixed")
        }
        _ = try await execute(exitCode: 4, stdout: "partial\n")

        // 3. acme/search: PROCESS failed, then a fix supersedes it and waits in the queue.
        let broken = try await store.recordDelivery(
            Fixtures.delivery("delivery-3", repository: "acme/search"),
            pipelines: [pipeline("jobs/reindex.ts", "acme/search", commit: "c3")]
        ).pipelines[0].id
        let building = try await claim(.process)
        _ = try await store.fail(building.lease, failure: .permanent("esbuild: syntax error"))
        _ = try await store.recordDelivery(
            Fixtures.delivery("delivery-4", repository: "acme/search"),
            pipelines: [pipeline("jobs/reindex.ts", "acme/search", commit: "c4", fix: true)])
        _ = broken
        // The fix is being built on another node.
        _ = try await claim(.process, owner: "node-b")

        // 4. acme/ops: one discarded by an operator, one cancelled while queued, one waiting.
        let later = try await store.recordDelivery(
            Fixtures.delivery("delivery-5", repository: "acme/ops"),
            pipelines: [
                pipeline("jobs/drop_tmp.sql", "acme/ops", commit: "c5"),
                pipeline("jobs/rotate_keys.rb", "acme/ops", commit: "c5"),
                pipeline("jobs/warm_cache.go", "acme/ops", commit: "c5"),
            ]
        ).pipelines.map(\.id)
        step()
        let discardable = try await claim(.process)
        _ = try await store.fail(discardable.lease, failure: .permanent("unsupported extension"))
        try await store.discard(pipeline: later[0], operatorName: "dave", reason: "replaced by a migration")
        _ = try await store.cancel(pipeline: later[1], operatorName: "erin", reason: "not needed")

        // 5. A delivery that named nothing to run, and one for a repository not served.
        _ = try await store.recordDelivery(Fixtures.delivery("delivery-6", repository: "acme/ops", outcome: .ignored), pipelines: [])
        _ = try await store.recordDelivery(Fixtures.delivery("delivery-7", repository: "other/repo", outcome: .failed), pipelines: [])

        // 6. A dry run of an approved pull request, finished.
        let signal = PullRequestSignal(
            repository: Fixtures.repository("acme/ops"), number: 21, headCommit: String(repeating: "d", count: 40), isOpen: true,
            title: "Backfill refunds", url: "https://github.com/acme/ops/pull/21")
        _ = try await store.recordPullRequestDelivery(
            NewDelivery(id: DeliveryID("delivery-8"), event: "pull_request", repository: "acme/ops", outcome: .accepted), signal: signal)
        let pulls = try await store.claimDryRunPullRequests(owner: "node-a", limit: 8, leaseDuration: .seconds(60))
        try await store.settleDryRunEvaluation(
            DryRunEvaluation(
                repository: signal.repository, number: 21, head: signal.headCommit, isOpen: true, status: "dry-running",
                queue: [NewDryRun(scriptPath: "jobs/backfill_refunds.py", blob: String(repeating: "e", count: 40))], approvers: ["bob"]),
            owner: "node-a")
        for pull in pulls {
            try await store.settleDryRunReport(
                repository: signal.repository, number: pull.number, owner: "node-a", version: pull.reportVersion, commentID: 9001,
                commentURL: "https://github.com/acme/ops/pull/21#issuecomment-9001", retryAt: nil, error: nil)
        }
        if var dryRun = try await store.claimDryRun(owner: "node-a", leaseDuration: .seconds(60)),
            try await store.startDryRun(dryRun.id, owner: "node-a", leaseDuration: .seconds(60))
        {
            step()
            dryRun.state = .finished
            dryRun.outcome = .succeeded
            dryRun.exitCode = 0
            dryRun.stdout = "would refund 3 orders\n"
            try await store.finishDryRun(dryRun, owner: "node-a", retryAt: nil)
        }
    }

    struct SampleError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
