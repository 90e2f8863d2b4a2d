import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import ServiceLifecycle

/// N workers that claim stages from the store and run their handlers, plus the periodic
/// lease rescue. Runs as a `Service`: on graceful shutdown it stops claiming, gives running
/// stages `shutdownGracePeriod` to finish, then stops them and hands them back to the store
/// (PROCESS/CLEANUP queued again, EXECUTE `interrupted`) so nothing is left leased.
public struct WorkerPool: Service {
    public let store: any StageQueue
    public let handlers: StageHandlers
    public let configuration: WorkerPoolConfiguration
    public let clock: any JobClock
    public let logger: Logger
    /// Ring it when work was queued (intake, operator retry) so an idle worker starts at once.
    public let workAvailable: Beacon
    /// Told when a stage fails for good (commit status, callbacks).
    public let feedback: FeedbackEvents?
    /// Masks what the pool stores and reports (errors, summaries, reasons).
    public let secrets: SecretRegistry
    /// Counts stage attempts for `/metrics`.
    public let metrics: (any ServiceMetrics)?

    public init(
        store: any StageQueue,
        handlers: StageHandlers,
        configuration: WorkerPoolConfiguration,
        clock: any JobClock = SystemClock(),
        logger: Logger,
        workAvailable: Beacon = Beacon(),
        feedback: FeedbackEvents? = nil,
        secrets: SecretRegistry = .process,
        metrics: (any ServiceMetrics)? = nil
    ) {
        self.feedback = feedback
        self.secrets = secrets
        self.metrics = metrics
        self.store = store
        self.handlers = handlers
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.workAvailable = workAvailable
    }

    public func run() async throws {
        let shutdown = Beacon()
        logger.info(
            "worker pool starting",
            metadata: [
                "workers": "\(configuration.workers)", "node": "\(configuration.nodeName)",
                "kinds": "\(handlers.kinds.sorted().map(\.rawValue).joined(separator: ","))",
            ])
        await rescue()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { group in
                    for index in 0..<max(1, configuration.workers) {
                        group.addTask { await workerLoop(name: "\(configuration.nodeName)/w\(index)", shutdown: shutdown) }
                    }
                    group.addTask { await rescueLoop(shutdown: shutdown) }
                }
            } onGracefulShutdown: {
                shutdown.signal()
            }
        } onCancel: {
            shutdown.signal()
        }
        logger.info("worker pool stopped", metadata: ["node": "\(configuration.nodeName)"])
    }

    // MARK: - Loops

    private func workerLoop(name: String, shutdown: Beacon) async {
        var consecutiveErrors = 0
        while !shutdown.hasFired && !Task.isCancelled {
            let generation = workAvailable.generation
            let claimed: ClaimedStage?
            do {
                claimed = try await store.claimNext(
                    owner: name, kinds: handlers.kinds, leaseDuration: configuration.leaseDuration)
                consecutiveErrors = 0
            } catch {
                consecutiveErrors += 1
                logger.error("claiming a stage failed", metadata: ["worker": "\(name)", "error": "\(error)"])
                await idle(generation: nil, shutdown: shutdown, backoff: consecutiveErrors)
                continue
            }
            guard let claimed else {
                await idle(generation: generation, shutdown: shutdown, backoff: 0)
                continue
            }
            await perform(claimed, worker: name, shutdown: shutdown)
        }
    }

    private func rescueLoop(shutdown: Beacon) async {
        while !shutdown.hasFired && !Task.isCancelled {
            let fired = await firstOf(shutdown: shutdown) {
                try? await clock.sleep(for: configuration.rescueInterval)
            }
            if fired { return }
            await rescue()
        }
    }

    private func rescue() async {
        do {
            let report = try await store.rescueExpiredLeases(reattachable: configuration.executeOutlivesWorker)
            guard !report.isEmpty else { return }
            logger.warning(
                "rescued expired leases",
                metadata: [
                    "requeued": "\(report.requeued.map(\.rawValue))", "failed": "\(report.failed.map(\.rawValue))",
                    "interrupted": "\(report.interrupted.map(\.rawValue))",
                ])
            if !report.requeued.isEmpty { workAvailable.signal() }
        } catch {
            logger.error("lease rescue failed", metadata: ["error": "\(error)"])
        }
    }

    /// Waits for the poll interval (longer after errors), new work, or shutdown.
    private func idle(generation: UInt64?, shutdown: Beacon, backoff: Int) async {
        let pause = configuration.pollInterval * (1 << min(backoff, 5))
        _ = await firstOf(shutdown: shutdown) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await clock.sleep(for: pause) }
                if let generation {
                    group.addTask { await workAvailable.wait(past: generation) }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Runs `body` until it returns or shutdown begins; `true` if shutdown came first.
    private func firstOf(shutdown: Beacon, _ body: @escaping @Sendable () async -> Void) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await shutdown.wait(past: 0); return true }
            group.addTask { await body(); return false }
            let first = await group.next() ?? true
            group.cancelAll()
            return first
        }
    }

    // MARK: - Running one stage

    private enum Ending: Sendable {
        case finished(Result<StageSuccess, any Error>)
        case leaseLost(any Error)
        /// Renewals kept failing: stopped before the lease could expire (no overlap with a rescue).
        case leaseExpiring(lastRenewed: Date)
        case shutdownDeadline
        /// An operator asked to stop this EXECUTE; the handler was cancelled (script killed).
        case cancelRequested
    }

    private func perform(_ claimed: ClaimedStage, worker: String, shutdown: Beacon) async {
        var logger = logger
        logger[metadataKey: "pipeline"] = "\(claimed.pipeline.id)"
        logger[metadataKey: "stage"] = "\(claimed.lease.stageID)"
        logger[metadataKey: "kind"] = "\(claimed.kind.rawValue)"
        logger[metadataKey: "attempt"] = "\(claimed.lease.attempt)"
        logger[metadataKey: "delivery"] = "\(claimed.pipeline.deliveryID)"
        logger[metadataKey: "worker"] = "\(worker)"
        guard let handler = handlers[claimed.kind] else { return }
        let stageLogger = logger
        logger.info("stage started", metadata: ["script": "\(claimed.pipeline.source.scriptPath)"])

        // A run that outlives its worker is let go at once: the next worker re-attaches to it.
        let grace: Duration = claimed.kind == .execute && configuration.executeOutlivesWorker ? .zero : configuration.shutdownGracePeriod
        let started = clock.now()
        let ending: Ending? = await withTaskGroup(of: Ending?.self) { group in
            group.addTask {
                do {
                    return .finished(.success(try await handler.run(claimed, logger: stageLogger)))
                } catch {
                    return .finished(.failure(error))
                }
            }
            group.addTask { await renewLoop(claimed.lease, claimedBy: started, logger: stageLogger) }
            // Only a stage that is not idempotent (EXECUTE) can be stopped while it runs.
            if !claimed.kind.isIdempotent {
                group.addTask { await cancelWatch(claimed.lease) }
            }
            group.addTask {
                await shutdown.wait(past: 0)
                if Task.isCancelled { return nil }
                do { try await clock.sleep(for: grace) } catch { return nil }
                return .shutdownDeadline
            }
            var first: Ending?
            while let next = await group.next() {
                if let next {
                    first = next
                    break
                }
            }
            group.cancelAll()
            return first
        }

        let lease = claimed.lease
        let elapsed = clock.now().timeIntervalSince(started)
        let record: @Sendable (StageAttemptResult) -> Void = { result in
            metrics?.stageAttemptFinished(
                kind: claimed.kind, result: result, duration: .milliseconds(Int64((elapsed * 1000).rounded())))
        }
        switch ending {
        case .finished(.success(let success)):
            record(.succeeded)
            let summary = success.summary.map(secrets.mask)
            let events = success.feedback.flatMap { feedback?($0) ?? [] }
            await persist("completing", logger: logger) { try await store.complete(lease, summary: summary, feedback: events) }
            if !events.isEmpty { feedback?.written.signal() }
            logger.info("stage succeeded", metadata: ["summary": "\(success.summary ?? "")"])
            workAvailable.signal()
        case .finished(.failure(let error)) where error is CancellationError && (shutdown.hasFired || Task.isCancelled):
            record(.released)
            await persist("handing back", logger: logger) {
                try await store.release(lease, reason: "stopped by shutdown", reattachable: configuration.executeOutlivesWorker)
            }
            logger.warning("stage stopped by shutdown and handed back")
        case .finished(.failure(let interrupted as StageInterrupted)):
            record(.interrupted)
            await persist("recording the interruption", logger: logger) {
                try await store.release(lease, reason: secrets.mask(interrupted.reason), reattachable: false)
            }
            logger.error("the run could not be followed to its end", metadata: ["reason": "\(interrupted.reason)"])
        case .finished(.failure(let deferral as StageDeferral)):
            record(.deferred)
            let reason = secrets.mask(deferral.reason)
            let events = feedback?(.waiting(reason: reason, pullRequest: deferral.pullRequest)) ?? []
            let began = await persist("deferring", logger: logger) {
                try await store.deferStage(lease, until: deferral.until, reason: reason, feedbackIfBegan: events)
            }
            if began == true {
                logger.info("stage waits", metadata: ["reason": "\(reason)"])
                if !events.isEmpty { feedback?.written.signal() }
            }
        case .finished(.failure(let error)):
            // Errors quote commands, URLs and output: masked before they are stored or sent anywhere.
            let classified = StageFailure(classifying: error)
            let failure = StageFailure(classified.kind, secrets.mask(classified.message))
            let events = feedback?(.failed(stage: claimed.kind, reason: failure.message)) ?? []
            switch await persist("recording the failure", logger: logger, {
                try await store.fail(lease, failure: failure, feedbackIfFailed: events)
            }) {
            case .willRetry(let at)?:
                record(.retrying)
                logger.warning("stage failed, will retry", metadata: ["error": "\(failure)", "retryAt": "\(at)"])
            case .failed?:
                record(.failed)
                logger.error("stage failed", metadata: ["error": "\(failure)"])
                if !events.isEmpty { feedback?.written.signal() }
            case nil:
                break
            }
        case .leaseLost(let error):
            record(.leaseLost)
            logger.error("lease lost while the stage ran; its result is discarded", metadata: ["error": "\(error)"])
        case .leaseExpiring(let lastRenewed):
            record(.leaseLost)
            logger.error(
                "the lease could not be renewed since \(lastRenewed); the stage was stopped \(configuration.fenceMargin) before it would expire, so a rescue on another node cannot overlap it",
                metadata: ["lease_duration": "\(configuration.leaseDuration)"])
        case .cancelRequested:
            record(.cancelled)
            await persist("recording the stop", logger: logger) {
                try await store.finishCancelled(lease, reason: "stopped by an operator while the script ran")
            }
            logger.warning("script stopped at an operator's request; CLEANUP will commit its log")
            workAvailable.signal()
        case .shutdownDeadline:
            record(.released)
            let reason =
                grace == .zero
                ? "its worker shut down" : "stopped: still running \(configuration.shutdownGracePeriod) after shutdown began"
            await persist("handing back", logger: logger) {
                try await store.release(lease, reason: reason, reattachable: configuration.executeOutlivesWorker)
            }
            logger.warning("stage stopped at the shutdown deadline and handed back")
        case nil:
            break
        }
    }

    /// Looks for an operator's cancel request until cancelled; returns `.cancelRequested`
    /// when one is found. A failed look is tried again at the next interval.
    private func cancelWatch(_ lease: Lease) async -> Ending? {
        while true {
            do { try await clock.sleep(for: configuration.cancelCheckInterval) } catch { return nil }
            if (try? await store.cancelRequested(lease)) == true { return .cancelRequested }
        }
    }

    /// Renews the lease until cancelled; returns `.leaseLost` if the store says it is gone, and
    /// `.leaseExpiring` when renewals kept failing until `fenceMargin` before the lease would
    /// expire — the stage (its script) is then stopped here before any node may rescue it. The
    /// lease is known to hold until the last successful renewal's *sending* time plus the lease:
    /// measured on this node's clock as a duration, it does not depend on clocks agreeing.
    private func renewLoop(_ lease: Lease, claimedBy started: Date, logger: Logger) async -> Ending? {
        var current = lease
        var renewed = min(started, lease.expiresAt.addingTimeInterval(-configuration.leaseDuration.secondsDouble))
        var fence: Date { renewed.addingTimeInterval((configuration.leaseDuration - configuration.fenceMargin).secondsDouble) }
        while true {
            let untilFence = Duration.seconds(max(0, fence.timeIntervalSince(clock.now())))
            do { try await clock.sleep(for: min(configuration.renewInterval, untilFence)) } catch { return nil }
            if clock.now() >= fence { return .leaseExpiring(lastRenewed: renewed) }
            let sent = clock.now()
            do {
                current = try await store.renew(current, leaseDuration: configuration.leaseDuration)
                renewed = sent
            } catch let error as PipelineStoreError {
                if case .leaseLost = error { return .leaseLost(error) }
                logger.warning("lease renewal failed; will try again", metadata: ["error": "\(error)", "stop_at": "\(fence)"])
            } catch {
                logger.warning("lease renewal failed; will try again", metadata: ["error": "\(error)", "stop_at": "\(fence)"])
            }
        }
    }

    /// Writes a stage's end to the store, retrying a few times: losing this write would leave
    /// the stage to lease rescue, which for EXECUTE means `interrupted` despite a finished run.
    /// Returns what the write returned, or nil when it could not be made.
    @discardableResult
    private func persist<T: Sendable>(_ what: String, logger: Logger, _ write: @Sendable () async throws -> T) async -> T? {
        var delay = Duration.milliseconds(200)
        for attempt in 1...6 {
            do {
                return try await write()
            } catch let error as PipelineStoreError {
                if case .leaseLost = error {
                    logger.error("\(what) the stage failed: lease lost", metadata: ["error": "\(error)"])
                    return nil
                }
                logger.error("\(what) the stage failed", metadata: ["error": "\(error)", "try": "\(attempt)"])
            } catch {
                logger.error("\(what) the stage failed", metadata: ["error": "\(error)", "try": "\(attempt)"])
            }
            try? await clock.sleep(for: delay)
            delay *= 2
        }
        return nil
    }
}
