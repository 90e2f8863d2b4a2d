import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import ServiceLifecycle

/// Runs queued dry runs, one at a time per process, beside — never instead of — the pipeline
/// workers: the same reader, build and executor as PROCESS and EXECUTE (runner, isolation, time
/// limit, masking), with the dry-run environment. A dry run is marked `running` durably before
/// its process starts and is never started again: a crash leaves it `interrupted`.
public struct DryRunWorker: Service {
    public let store: any DryRunLog
    public let reader: any ScriptSourceReader
    public let builder: ScriptBuilder
    public let scopes: SourceScopePolicy
    /// Configured with the dry-run environment (`ScriptExecutor.forDryRuns`, or the Kubernetes
    /// runner's `forDryRuns`).
    public let executor: any ScriptRunner
    public let clock: any JobClock
    public let owner: String
    /// Signalled when dry runs were queued.
    public let runsQueued: Beacon
    /// Signalled when a dry run changed (its report is due).
    public let changed: Beacon
    public let logger: Logger
    public var leaseDuration: Duration = .seconds(60)
    public var pollInterval: Duration = .seconds(2)
    /// Build attempts for passing trouble (git unreachable) before the dry run is given up, and
    /// the backoff between them.
    public var maxBuildAttempts = 5
    public var retryPolicy = RetryPolicy(baseDelay: .seconds(2), maxDelay: .seconds(300))

    public init(
        store: any DryRunLog, reader: any ScriptSourceReader, builder: ScriptBuilder, scopes: SourceScopePolicy,
        executor: any ScriptRunner, clock: any JobClock = SystemClock(), owner: String, runsQueued: Beacon, changed: Beacon,
        logger: Logger
    ) {
        self.store = store
        self.reader = reader
        self.builder = builder
        self.scopes = scopes
        self.executor = executor
        self.clock = clock
        self.owner = owner
        self.runsQueued = runsQueued
        self.changed = changed
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let generation = runsQueued.generation
                if let run = try? await store.claimDryRun(owner: owner, leaseDuration: leaseDuration) {
                    await process(run)
                    changed.signal()
                    continue
                }
                await runsQueued.wait(past: generation, atMost: pollInterval, clock: clock)
            }
        }
    }

    /// Builds, starts and records one claimed dry run.
    public func process(_ claimed: DryRunRecord) async {
        var record = claimed
        var logger = logger
        logger[metadataKey: "dry_run"] = "\(claimed.id)"
        let artifact: Artifact
        do {
            let script = try await reader.read(
                repository: claimed.repository, commit: claimed.headCommit, path: claimed.scriptPath,
                scope: scopes.scope(for: builder.toolchain(for: claimed.scriptPath)))
            artifact = try await builder.build(script)
        } catch {
            // Nothing ran: passing trouble is tried again, anything else ends it.
            let transient = (error as? any ClassifiedError)?.failureKind == .transient
            record.error = executor.masker.mask("\(claimed.scriptPath) at \(claimed.headCommit.prefix(12)) could not be built: \(error)")
            if transient && claimed.attempts + 1 < maxBuildAttempts {
                let retryAt = clock.now().adding(retryPolicy.delay(afterAttempt: claimed.attempts + 1, jitter: .random(in: 0...1)))
                try? await store.finishDryRun(record, owner: owner, retryAt: retryAt)
            } else {
                record.state = .error
                record.finishedAt = clock.now()
                try? await store.finishDryRun(record, owner: owner, retryAt: nil)
            }
            logger.warning("dry run not built", metadata: ["error": "\(record.error ?? "")"])
            return
        }
        record.artifactDigest = artifact.digest
        guard (try? await store.startDryRun(claimed.id, owner: owner, leaseDuration: leaseDuration)) == true else {
            logger.info("dry run not started: skipped or taken over meanwhile")
            return
        }
        changed.signal()
        let renewal = Task {
            while !Task.isCancelled {
                try? await clock.sleep(for: leaseDuration / 3)
                if Task.isCancelled { break }
                _ = try? await store.renewDryRun(claimed.id, owner: owner, leaseDuration: leaseDuration)
            }
        }
        defer { renewal.cancel() }
        let scanner = Locked((scanner: ProgressScanner(), report: ProgressReport?.none))
        let facts = RunFacts(
            pipelineID: "", repository: claimed.repository.rawValue, commit: claimed.headCommit, scriptPath: claimed.scriptPath,
            attempt: 1, dryRunID: claimed.id)
        do {
            // Stopped with its worker (shutdown): a dry run is never re-attached.
            let run = try await executor.execute(artifact, facts: facts, revision: nil, stopRequested: { true }) { stream, bytes in
                guard stream == .stdout else { return }
                scanner.withLock { state in
                    for line in state.scanner.feed(bytes) { state.report = ProgressReport.next(state.report, line, at: Date()) }
                }
            }
            record.state = .finished
            record.outcome = run.outcome
            record.exitCode = run.exitCode
            record.signal = run.signal
            record.startedAt = run.startedAt
            record.finishedAt = run.finishedAt
            record.stdout = String(decoding: run.stdout, as: UTF8.self)
            record.stderr = String(decoding: run.stderr, as: UTF8.self)
            record.stdoutTruncated = run.stdoutTruncated
            record.stderrTruncated = run.stderrTruncated
            record.progress = scanner.value.report
            logger.info("dry run finished", metadata: ["outcome": "\(run.summary)"])
        } catch {
            record.state = .error
            record.finishedAt = clock.now()
            record.error = executor.masker.mask("the script could not be started: \(error)")
            logger.warning("dry run not started", metadata: ["error": "\(record.error ?? "")"])
        }
        try? await store.finishDryRun(record, owner: owner, retryAt: nil)
    }
}
