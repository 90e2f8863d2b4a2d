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
///
/// A run that outlives its worker (a Kubernetes Job) is re-attached: when the claimed attempt
/// already has an execution, the handler follows that run instead of starting one.
public struct ExecuteStageHandler: StageHandler {
    public let store: any RunRecords & PipelineLookup & StageQueue
    public let executor: any ScriptRunner
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
        store: any RunRecords & PipelineLookup & StageQueue, executor: any ScriptRunner, flushInterval: Duration = .milliseconds(250),
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
        let source = stage.pipeline.source
        let facts = RunFacts(
            pipelineID: String(stage.pipeline.id.rawValue), repository: source.repository.rawValue, commit: source.commit,
            scriptPath: source.scriptPath, attempt: stage.lease.attempt)
        // This attempt's run was started by a worker that let go of it. Only a runner whose runs
        // outlive their worker hands an attempt back after starting it: no other needs the look.
        if executor.outlivesWorker,
            let earlier = try await store.executions(for: stage.pipeline.id).last(where: { $0.attempt == stage.lease.attempt })
        {
            guard earlier.outcome == .running else {
                // It ended and was recorded; only completing the stage was lost.
                return StageSuccess(summary: "\(earlier.outcome.rawValue) (recorded before its worker stopped)")
            }
            logger.warning("re-attaching to the run an earlier worker started", metadata: ["execution": "\(earlier.id)"])
            return try await follow(
                stage, execution: earlier.id, alreadyStored: (earlier.stdout.count, earlier.stderr.count), logger: logger
            ) { stopRequested, onOutput in
                try await executor.reattach(artifact, facts: facts, revision: nil, stopRequested: stopRequested, onOutput: onOutput)
            }
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
        let gateRevision = revision
        return try await follow(stage, execution: executionID, alreadyStored: (0, 0), logger: logger) { stopRequested, onOutput in
            try await executor.execute(artifact, facts: facts, revision: gateRevision, stopRequested: stopRequested, onOutput: onOutput)
        }
    }

    /// Runs (or re-attaches to) the script of execution `executionID`, writing its output as it
    /// comes and its record at the end. `alreadyStored`: live output an earlier worker wrote,
    /// which a re-attached run repeats from its beginning.
    private func follow(
        _ stage: ClaimedStage, execution executionID: Int64, alreadyStored: (stdout: Int, stderr: Int), logger: Logger,
        _ body: (
            _ stopRequested: @escaping @Sendable () async -> Bool,
            _ onOutput: @escaping @Sendable (StandardStream, [UInt8]) async -> Void
        ) async throws -> ScriptRun
    ) async throws -> StageSuccess {
        let live = LiveOutput(
            store: store, execution: executionID, limit: executor.outputLimit, feedback: feedback, alreadyStored: alreadyStored)
        let flusher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: flushInterval)
                await live.flush()
            }
        }
        let lease = stage.lease
        let store = store
        // Asked once the task is cancelled: an operator's stop, or the worker going away.
        let stopRequested: @Sendable () async -> Bool = {
            (try? await Task { try await store.cancelRequested(lease) }.value) ?? false
        }
        let run: ScriptRun
        do {
            run = try await body(stopRequested) { stream, bytes in await live.append(stream, bytes) }
        } catch let detached as ScriptRunDetached {
            flusher.cancel()
            await live.flush()
            logger.warning("the worker let go of a run that goes on without it", metadata: ["run": "\(detached.run)"])
            throw CancellationError()
        } catch let lost as ScriptRunLost {
            flusher.cancel()
            await live.flush()
            throw StageInterrupted(executor.masker.mask(lost.reason))
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
    /// Bytes of a re-attached run's output that an earlier worker already stored: skipped.
    private var skip: (stdout: Int, stderr: Int)
    private var scanner = ProgressScanner()
    private(set) var progress: ProgressReport?
    private var progressChanged = false

    let feedback: FeedbackEvents?

    init(
        store: any RunRecords, execution: Int64, limit: Int, feedback: FeedbackEvents? = nil,
        alreadyStored: (stdout: Int, stderr: Int) = (0, 0)
    ) {
        self.feedback = feedback
        skip = alreadyStored
        written = alreadyStored
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
        var bytes = bytes[...]
        if stream == .stdout {
            let skipped = min(skip.stdout, bytes.count)
            skip.stdout -= skipped
            bytes = bytes.dropFirst(skipped)
        } else {
            let skipped = min(skip.stderr, bytes.count)
            skip.stderr -= skipped
            bytes = bytes.dropFirst(skipped)
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
