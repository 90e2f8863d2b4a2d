import JobrunnerCore
import Logging
import ServiceLifecycle

/// What intake logs at `info`: one line per interval with how many deliveries the front door
/// answered, by outcome, and how many pipelines they created — not a formatted line per
/// delivery. Each delivery is in the database (the API and the dashboard show it) and gets
/// its own line at `debug`; refusals, failures and errors still get theirs at once, at
/// `warning` or `error`. At full load, formatting and masking a line per delivery cost ~5 % of
/// the service's CPU (bench/README.md).
final class IntakeLogSummary: Service, Sendable {
    private struct Counts: Sendable {
        var outcomes: [DeliveryAnswer: Int] = [:]
        var pipelinesCreated = 0
    }

    private let counts = Locked(Counts())
    let interval: Duration
    let logger: Logger

    init(interval: Duration = .seconds(60), logger: Logger) {
        self.interval = interval
        self.logger = logger
    }

    /// A delivery was answered with this outcome (the label `/metrics` counts it under).
    func answered(outcome: DeliveryAnswer) {
        counts.withLock { $0.outcomes[outcome, default: 0] += 1 }
    }

    /// An accepted push created pipelines.
    func created(pipelines: Int) {
        guard pipelines > 0 else { return }
        counts.withLock { $0.pipelinesCreated += pipelines }
    }

    /// Logs what was counted since the last line, if anything, and starts counting afresh.
    func flush() {
        let counted = counts.withLock { counts -> Counts in
            defer { counts = Counts() }
            return counts
        }
        guard !counted.outcomes.isEmpty else { return }
        var metadata: Logger.Metadata = [
            "deliveries": "\(counted.outcomes.values.reduce(0, +))",
            "pipelines_created": "\(counted.pipelinesCreated)",
            "interval": "\(interval)",
        ]
        for (outcome, count) in counted.outcomes { metadata["outcome_\(outcome.rawValue)"] = "\(count)" }
        logger.info("webhook deliveries answered", metadata: metadata)
    }

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            flush()
        }
    }
}
