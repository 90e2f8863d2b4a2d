import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import ServiceLifecycle

/// Looks at pull requests intake marked due: reads each from GitHub now (`PullRequestInspector`),
/// decides with `DryRunEligibility` whether its head is dry-run, queues the scripts (at most once
/// per head and script), and publishes the report — the one comment and the head's
/// `jobrunner/dry-run` status — whenever what it shows changed. Failures are retried with
/// backoff; the lease keeps two nodes from looking at one pull request at once.
public struct DryRunCoordinator: Service {
    public let store: any DryRunLog
    public let inspector: any PullRequestInspector
    public let publisher: any DryRunPublisher
    public let policy: DryRunEligibility.Policy
    public let clock: any JobClock
    public let owner: String
    /// Signalled by intake (an event arrived) and by dry-run workers (a result to report).
    public let wake: Beacon
    /// Signalled when dry runs were queued.
    public let runsQueued: Beacon
    /// A dry run's dashboard page, when the public URL is known.
    public let pageURL: @Sendable (Int64) -> String?
    public let secrets: SecretRegistry
    public let logger: Logger
    public var leaseDuration: Duration = .seconds(120)
    public var pollInterval: Duration = .seconds(2)
    /// Backoff of a failed look or report (its `delay`; attempts are not limited).
    public var retryPolicy = RetryPolicy(baseDelay: .seconds(2), maxDelay: .seconds(300))

    public init(
        store: any DryRunLog, inspector: any PullRequestInspector, publisher: any DryRunPublisher, policy: DryRunEligibility.Policy,
        clock: any JobClock = SystemClock(), owner: String, wake: Beacon, runsQueued: Beacon,
        pageURL: @escaping @Sendable (Int64) -> String? = { _ in nil }, secrets: SecretRegistry = .process, logger: Logger
    ) {
        self.store = store
        self.inspector = inspector
        self.publisher = publisher
        self.policy = policy
        self.clock = clock
        self.owner = owner
        self.wake = wake
        self.runsQueued = runsQueued
        self.pageURL = pageURL
        self.secrets = secrets
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let generation = wake.generation
                let claimed = (try? await store.claimDryRunPullRequests(owner: owner, limit: 8, leaseDuration: leaseDuration)) ?? []
                for pull in claimed { await handle(pull) }
                if !claimed.isEmpty { continue }
                await wake.wait(past: generation, atMost: pollInterval, clock: clock)
            }
        }
    }

    /// Evaluates (when due) and reports (when needed) one claimed pull request, then lets it go.
    public func handle(_ claimed: DryRunPullRequest) async {
        var pull = claimed
        let name = "\(pull.repository)#\(pull.number)"
        do {
            // Due on the store's clock (PostgreSQL stamps with the server's time), not this process's.
            if pull.evaluationDue {
                let evaluation = await evaluate(pull)
                try await store.settleDryRunEvaluation(evaluation, owner: owner)
                if !evaluation.queue.isEmpty { runsQueued.signal() }
                logger.info("pull request evaluated for dry runs", metadata: ["pull_request": "\(name)", "status": "\(evaluation.status)"])
                pull = try await store.dryRunPullRequest(repository: pull.repository, number: pull.number) ?? pull
            }
            guard pull.reportDue else {
                try await store.settleDryRunReport(
                    repository: pull.repository, number: pull.number, owner: owner, version: pull.reportedVersion, commentID: nil,
                    commentURL: nil, retryAt: pull.reportAt, error: nil)
                return
            }
            let runs = try await store.dryRuns(DryRunFilter(repository: pull.repository, pullRequest: pull.number, limit: 200))
            let report = DryRunReport.make(pull: pull, runs: runs, pageURL: pageURL)
            do {
                let comment = try await publisher.publish(report, for: pull)
                try await store.settleDryRunReport(
                    repository: pull.repository, number: pull.number, owner: owner, version: pull.reportVersion,
                    commentID: comment?.commentID, commentURL: comment?.url, retryAt: nil, error: nil)
            } catch {
                let message = secrets.masker.mask("publishing the dry-run report of \(name) failed: \(error)")
                logger.warning("dry-run report not published", metadata: ["pull_request": "\(name)", "error": "\(message)"])
                try await store.settleDryRunReport(
                    repository: pull.repository, number: pull.number, owner: owner, version: pull.reportedVersion, commentID: nil,
                    commentURL: nil, retryAt: backoff(attempts: pull.reportAttempts), error: message)
            }
        } catch {
            // The store is unreachable: the lease expires and the pull request is taken again.
            logger.error("dry-run bookkeeping failed", metadata: ["pull_request": "\(name)", "error": "\(error)"])
        }
    }

    func evaluate(_ pull: DryRunPullRequest) async -> DryRunEvaluation {
        do {
            let inspected = try await inspector.inspect(pull.repository, number: pull.number)
            let decision = DryRunEligibility.decide(inspected.facts, policy: policy)
            var queue: [NewDryRun] = []
            if case .run(let scripts) = decision { queue = scripts }
            return DryRunEvaluation(
                repository: pull.repository, number: pull.number, head: inspected.facts.head, isOpen: inspected.facts.isOpen,
                status: decision.status, title: inspected.title, url: inspected.url, queue: queue,
                approvers: inspected.facts.approvers)
        } catch {
            let message = secrets.masker.mask("reading \(pull.repository)#\(pull.number) from GitHub failed: \(error)")
            logger.warning("pull request not evaluated", metadata: ["error": "\(message)"])
            return DryRunEvaluation(
                repository: pull.repository, number: pull.number, head: pull.headCommit, isOpen: pull.isOpen,
                status: pull.status ?? "waiting to be looked at", retryAt: backoff(attempts: pull.evaluationAttempts), error: message)
        }
    }

    func backoff(attempts: Int) -> Date {
        clock.now().adding(retryPolicy.delay(afterAttempt: attempts + 1, jitter: .random(in: 0...1)))
    }
}
