import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging

/// EXECUTE: run the artifact PROCESS stored — once the deploy gate, when there is one, sees the
/// script's commit deployed. The stage is already durably `running` (the claim did that) before
/// the process starts. Output goes to the store while the script runs.
/// A script that fails is recorded as such and the stage succeeds, so CLEANUP still commits
/// its log; only an infrastructure failure fails the stage — and EXECUTE is never retried
/// automatically.
public struct ExecuteStageHandler: StageHandler {
    public let store: any RunRecords & PipelineLookup
    public let executor: ScriptExecutor
    /// `JOBRUNNER_APP_REVISION`: the script waits for the deploy of its commit.
    public let deployGate: DeployGate?
    /// How often live output is written to the store.
    public let flushInterval: Duration
    /// Counts runs by outcome for `/metrics`.
    public let metrics: (any ServiceMetrics)?
    /// The start and the progress of the script, for the outbox.
    public let feedback: FeedbackEvents?
    /// `JOBRUNNER_REQUIRE_DRY_RUN`: where successful dry runs are looked up; nil: not required.
    public var requiredDryRuns: (any DryRunLog)?
    /// How often a script waiting for its dry run looks again (an override wakes it at once).
    public var dryRunRecheck: Duration = .seconds(15)
    /// When the next look is due is measured on this clock.
    public var clock: any JobClock = SystemClock()

    public init(
        store: any RunRecords & PipelineLookup, executor: ScriptExecutor, flushInterval: Duration = .milliseconds(250),
        metrics: (any ServiceMetrics)? = nil, deployGate: DeployGate? = nil, feedback: FeedbackEvents? = nil
    ) {
        self.feedback = feedback
        self.deployGate = deployGate
        self.metrics = metrics
        self.store = store
        self.executor = executor
        self.flushInterval = flushInterval
    }

    public func run(_ stage: ClaimedStage, logger: Logger) async throws -> StageSuccess {
        guard let artifact = try await store.artifact(for: stage.pipeline.id) else {
            throw StageFailure.permanent("pipeline \(stage.pipeline.id) has no artifact: PROCESS did not store one")
        }
        if let requiredDryRuns {
            let source = stage.pipeline.source
            let blob = GitBlobID.of(artifact.source)
            let overriddenBy = (try await store.pipeline(stage.pipeline.id))?.operatorActions
                .last { $0.kind == .overrideDryRun }?.operatorName
            let decision = DryRunRequirement.decide(
                required: true, blob: blob, scriptPath: source.scriptPath,
                successfulDryRun: try await requiredDryRuns.successfulDryRun(repository: source.repository, blob: blob),
                overriddenBy: overriddenBy)
            if case .wait(let reason) = decision {
                throw StageDeferral(
                    until: clock.now().addingTimeInterval(dryRunRecheck.secondsDouble), reason: reason,
                    pullRequest: artifact.approval?.number ?? source.pullRequest)
            }
        }
        var revision: String?
        if let deployGate {
            // Unreadable: the wait is measured from now; the gate still decides (a failed read must
            // not fail an EXECUTE that never started).
            let waitingSince = (try? await store.pipeline(stage.pipeline.id))??.summary.stage(.execute)?.waitingSince
            switch await deployGate.check(stage.pipeline, waitingSince: waitingSince) {
            case .open(let running):
                revision = running
            case .wait(let reason, let until):
                throw StageDeferral(
                    until: until, reason: reason, pullRequest: artifact.approval?.number ?? stage.pipeline.source.pullRequest)
            case .expired(let reason):
                throw StageFailure.permanent(reason)
            }
        }
        let started = feedback?(.running) ?? []
        let executionID = try await store.startExecution(lease: stage.lease, feedback: started)
        if !started.isEmpty { feedback?.written.signal() }
        let live = LiveOutput(store: store, execution: executionID, limit: executor.outputLimit, feedback: feedback)
        let flusher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: flushInterval)
                await live.flush()
            }
        }
        let source = stage.pipeline.source
        let facts = RunFacts(
            pipelineID: String(stage.pipeline.id.rawValue), repository: source.repository.rawValue, commit: source.commit,
            scriptPath: source.scriptPath, attempt: stage.lease.attempt)
        let run: ScriptRun
        do {
            run = try await executor.execute(artifact, facts: facts, revision: revision) { stream, bytes in
                await live.append(stream, bytes)
            }
        } catch {
            flusher.cancel()
            await live.flush()
            // The run did not happen; close its record so nothing shows it as running. Stopped
            // before it started (an operator, shutdown), it is a cancellation, not a failure.
            let stopped = error is CancellationError
            let message = executor.masker.mask(
                Array((stopped ? "jobrunner: stopped before the script started\n" : "jobrunner: the script could not be started: \(error)\n").utf8))
            let now = Date()
            try? await Task {
                try await store.finishExecution(
                    ExecutionRecord(
                        id: executionID, pipelineID: stage.pipeline.id, attempt: stage.lease.attempt, startedAt: now,
                        finishedAt: now, outcome: stopped ? .cancelled : .failed, stderr: message, stderrBytes: message.count))
            }.value
            if stopped { throw error }
            throw StageFailure.permanent("the script could not be started: \(error)")
        }
        flusher.cancel()
        await live.flush()
        var record = ExecutionRecord(run, id: executionID, pipelineID: stage.pipeline.id, attempt: stage.lease.attempt)
        record.progress = await live.progress
        // Recorded even when the stage is being stopped: the run happened.
        try await Task { try await store.finishExecution(record) }.value
        metrics?.executionFinished(outcome: run.outcome)
        if run.outcome == .cancelled { throw CancellationError() }
        logger.info("script finished", metadata: ["outcome": "\(run.outcome.rawValue)", "summary": "\(run.summary)"])
        return StageSuccess(summary: run.summary)
    }
}

/// Batches live output into the store, up to a limit per stream (the final record keeps head
/// and tail; the live view needs only what a person can read while it runs), and keeps the
/// script's latest `::progress` report (written with the next batch).
actor LiveOutput {
    let store: any RunRecords
    let execution: Int64
    let limit: Int
    private var pending: (stdout: [UInt8], stderr: [UInt8]) = ([], [])
    private var written: (stdout: Int, stderr: Int) = (0, 0)
    private var scanner = ProgressScanner()
    private(set) var progress: ProgressReport?
    private var progressChanged = false

    let feedback: FeedbackEvents?

    init(store: any RunRecords, execution: Int64, limit: Int, feedback: FeedbackEvents? = nil) {
        self.feedback = feedback
        self.store = store
        self.execution = execution
        self.limit = limit
    }

    func append(_ stream: StandardStream, _ bytes: [UInt8]) {
        if stream == .stdout {
            // Every line counts, also those past what the live view keeps.
            for line in scanner.feed(bytes) {
                progress = ProgressReport.next(progress, line, at: Date())
                progressChanged = true
            }
        }
        switch stream {
        case .stdout:
            let room = max(0, limit - written.stdout - pending.stdout.count)
            pending.stdout += bytes.prefix(room)
        case .stderr:
            let room = max(0, limit - written.stderr - pending.stderr.count)
            pending.stderr += bytes.prefix(room)
        }
    }

    func flush() async {
        if progressChanged, let progress {
            progressChanged = false
            let events = feedback?(.progress) ?? []
            try? await store.recordProgress(execution: execution, progress: progress, feedback: events)
            if !events.isEmpty { feedback?.written.signal() }
        }
        let batch = pending
        guard !batch.stdout.isEmpty || !batch.stderr.isEmpty else { return }
        pending = ([], [])
        written.stdout += batch.stdout.count
        written.stderr += batch.stderr.count
        try? await store.appendOutput(execution: execution, stdout: batch.stdout, stderr: batch.stderr)
    }
}
