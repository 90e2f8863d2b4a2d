import Foundation
import JobrunnerCore
import Testing

/// Fixes, discards and scripts left behind, as Core decides them.
@Suite("A script's life: the rules")
struct ScriptLifecycleRulesTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func summary(
        _ states: [(StageKind, StageState, Int)], supersededBy: Int64? = nil, discarded: Bool = false
    ) -> PipelineSummary {
        let stages = states.enumerated().map { index, entry in
            StageRecord(
                id: StageID(Int64(index + 1)), pipelineID: PipelineID(12), kind: entry.0, state: entry.1, attempt: entry.2,
                maxAttempts: 3, runAfter: now, createdAt: now)
        }
        let pipeline = PipelineRecord(
            id: PipelineID(12),
            source: NewPipeline(repository: RepositoryName(rawValue: "acme/ops")!, branch: "main", scriptPath: "jobs/x.sh", commit: "c1"),
            deliveryID: DeliveryID("d"), createdAt: now, supersededBy: supersededBy.map { PipelineID($0) },
            discard: discarded ? PipelineDiscard(operatorName: "ops", at: now, reason: "x", mayHaveRun: false) : nil)
        return PipelineSummary(pipeline: pipeline, stages: stages)
    }

    @Test
    func aFixReplacesAPipelineOnlyWhileItsExecuteHasNotStarted() {
        #expect(ModifiedScriptRule.decide(latest: nil) == .skip(reason: "modified, but no earlier pipeline of this script exists — add a new file to run it"))
        let failed = Self.summary([(.process, .failed, 1)])
        #expect(ModifiedScriptRule.decide(latest: failed) == .supersede(earlier: PipelineID(12), cancelling: []))
        let building = Self.summary([(.process, .running, 1)])
        #expect(ModifiedScriptRule.decide(latest: building) == .supersede(earlier: PipelineID(12), cancelling: building.stages))
        // EXECUTE queued behind the deploy gate has not started: it is cancelled with the old content.
        let waiting = Self.summary([(.process, .succeeded, 1), (.execute, .queued, 0)])
        #expect(ModifiedScriptRule.decide(latest: waiting) == .supersede(earlier: PipelineID(12), cancelling: [waiting.stages[1]]))
        let cancelledBefore = Self.summary([(.process, .succeeded, 1), (.execute, .cancelled, 0)])
        #expect(ModifiedScriptRule.decide(latest: cancelledBefore) == .supersede(earlier: PipelineID(12), cancelling: []))
        // A discarded one whose CLEANUP still commits its log: the CLEANUP is left to finish.
        let discarding = Self.summary([(.process, .failed, 1), (.cleanup, .queued, 0)], discarded: true)
        #expect(ModifiedScriptRule.decide(latest: discarding) == .supersede(earlier: PipelineID(12), cancelling: []))
        for state in [StageState.running, .succeeded, .failed, .interrupted, .cancelled] {
            let started = Self.summary([(.process, .succeeded, 1), (.execute, state, 1)])
            #expect(ModifiedScriptRule.decide(latest: started) == .skip(reason: "already executed in pipeline 12 — add a new file to run it again"))
        }
    }

    @Test
    func onlyWhatWillNotRunCanBeDiscarded() {
        #expect(DiscardRule.decide(Self.summary([(.process, .failed, 3)])) == .discard(mayHaveRun: false))
        #expect(DiscardRule.decide(Self.summary([(.process, .cancelled, 0)])) == .discard(mayHaveRun: false))
        #expect(DiscardRule.decide(Self.summary([(.process, .succeeded, 1), (.execute, .cancelled, 0)])) == .discard(mayHaveRun: false))
        #expect(DiscardRule.decide(Self.summary([(.process, .succeeded, 1), (.execute, .interrupted, 1)])) == .discard(mayHaveRun: true))
        let refused: [PipelineSummary] = [
            Self.summary([(.process, .queued, 0)]),
            Self.summary([(.process, .running, 1)]),
            Self.summary([(.process, .succeeded, 1), (.execute, .queued, 0)]),
            Self.summary([(.process, .succeeded, 1), (.execute, .running, 1)]),
            Self.summary([(.process, .succeeded, 1), (.execute, .succeeded, 1), (.cleanup, .failed, 3)]),
            Self.summary([(.process, .succeeded, 1), (.execute, .cancelled, 1), (.cleanup, .succeeded, 1)]),
            Self.summary([(.process, .failed, 1)], supersededBy: 13),
            Self.summary([(.process, .failed, 1), (.cleanup, .succeeded, 1)], discarded: true),
        ]
        for summary in refused {
            guard case .refuse = DiscardRule.decide(summary) else {
                Issue.record("\(summary.stages.map { "\($0.kind):\($0.state)" }) should not be discardable")
                continue
            }
        }
    }

    @Test
    func markedPipelinesAreNeitherRetriedNorShownAsFailed() {
        let superseded = Self.summary([(.process, .failed, 1)], supersededBy: 13)
        #expect(superseded.status == .superseded)
        #expect(OperatorRetryRule.decide(superseded.stages[0], in: superseded.stages, marks: superseded.pipeline.marks, policy: RetryPolicy()) == .refuseClosed(.superseded))
        let discarding = Self.summary([(.process, .failed, 1), (.cleanup, .queued, 0)], discarded: true)
        #expect(discarding.status == .queued)
        #expect(OperatorRetryRule.decide(discarding.stages[0], in: discarding.stages, marks: discarding.pipeline.marks, policy: RetryPolicy()) == .refuseClosed(.discarded))
        let cleanupFailed = Self.summary([(.process, .failed, 1), (.cleanup, .failed, 3)], discarded: true)
        #expect(cleanupFailed.status == .failed)
        #expect(OperatorRetryRule.decide(cleanupFailed.stages[1], in: cleanupFailed.stages, marks: cleanupFailed.pipeline.marks, policy: RetryPolicy()) == .queue(maxAttempts: RetryPolicy().maxAttemptsAfterOperatorRetry(kind: .cleanup, attemptsUsed: 3)))
        let done = Self.summary([(.process, .failed, 1), (.cleanup, .succeeded, 1)], discarded: true)
        #expect(done.status == .discarded)
        #expect(done.outcome == .notRun)
    }

    @Test
    func scriptsLeftOnTheBranchGetAdviceOnlyWithoutALivePipeline() {
        #expect(OrphanScriptRule.advice(latest: nil)?.hasPrefix("no pipeline") == true)
        #expect(OrphanScriptRule.advice(latest: Self.summary([(.process, .running, 1)])) == nil)
        #expect(OrphanScriptRule.advice(latest: Self.summary([(.process, .succeeded, 1), (.execute, .queued, 0)])) == nil)
        #expect(OrphanScriptRule.advice(latest: Self.summary([(.process, .failed, 1)]))?.contains("discard it") == true)
        #expect(OrphanScriptRule.advice(latest: Self.summary([(.process, .succeeded, 1), (.execute, .interrupted, 1)]))?.contains("retry EXECUTE, or discard") == true)
        #expect(OrphanScriptRule.advice(latest: Self.summary([(.process, .succeeded, 1), (.execute, .succeeded, 1), (.cleanup, .failed, 3)]))?.contains("retry it") == true)
    }

    @Test
    func aModifiedScriptIsACandidateMarkedAsAChange() {
        let detector = ScriptDetector(jobsDirectory: "jobs")
        let result = detector.detect([
            ScriptDetector.Commit(id: "c1", message: "fix", added: ["jobs/new.sh"], modified: ["jobs/old.sh", "jobs/lib/util.sh", "README.md"]),
            ScriptDetector.Commit(id: "c2", message: "again", modified: ["jobs/old.sh", "jobs/new.sh"]),
        ])
        #expect(result.scripts.map(\.path) == ["jobs/new.sh", "jobs/old.sh"])
        #expect(result.scripts.map(\.modifiesExisting) == [false, true])
        #expect(result.scripts.map(\.commit) == ["c2", "c2"])
    }
}
