import Foundation
import JobrunnerCore
import JobrunnerStore
import Prometheus

/// `ServiceMetrics` on a swift-prometheus registry, plus the queue gauges that are read from
/// the store when `/metrics` is scraped (so they are the same on every replica).
public struct PrometheusServiceMetrics: ServiceMetrics {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    static let stageBuckets: [Duration] = [
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(900), .seconds(3600),
    ]

    public func deliveryAnswered(outcome: DeliveryAnswer) {
        deliveryCounters.counter(outcome) {
            registry.makeCounter(
                descriptor: Self.name("webhook_deliveries", unit: "total", help: "Webhook deliveries answered by this process, by outcome"),
                labels: [("outcome", outcome.rawValue)])
        }.increment()
    }

    /// The registry looks a counter up by building its name and labels each time; answering a
    /// delivery is the hottest path, so its few counters are kept once made.
    private let deliveryCounters = CounterCache()

    public func stageAttemptFinished(kind: StageKind, result: StageAttemptResult, duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: Self.name("stage_duration", unit: "seconds", help: "Duration of stage attempts run by this process"),
            labels: [("kind", kind.rawValue), ("result", result.rawValue)], buckets: Self.stageBuckets
        ).record(duration)
    }

    public func executionFinished(outcome: ExecutionOutcome) {
        registry.makeCounter(
            descriptor: Self.name("executions", unit: "total", help: "Script runs finished in this process, by outcome"),
            labels: [("outcome", outcome.rawValue)]
        ).increment()
    }

    /// Sets the queue gauges from a store snapshot.
    public func update(from statistics: QueueStatistics, now: Date) {
        for status in PipelineStatus.allCases {
            registry.makeGauge(
                descriptor: Self.name("pipelines", help: "Pipelines in the store, by state"), labels: [("state", status.rawValue)]
            ).set(Double(statistics.pipelinesByStatus[status] ?? 0))
        }
        for kind in StageKind.allCases {
            registry.makeGauge(
                descriptor: Self.name("queue_depth", help: "Stages waiting to be claimed, by kind"), labels: [("kind", kind.rawValue)]
            ).set(Double(statistics.queuedByKind[kind] ?? 0))
            registry.makeGauge(
                descriptor: Self.name("stages_running", help: "Stages held by a worker, by kind"), labels: [("kind", kind.rawValue)]
            ).set(Double(statistics.runningByKind[kind] ?? 0))
        }
        let age = statistics.oldestQueuedSince.map { max(0, now.timeIntervalSince($0)) } ?? 0
        registry.makeGauge(
            descriptor: Self.name(
                "oldest_queued_stage_age", unit: "seconds", help: "How long the longest-waiting runnable stage has waited")
        ).set(age)
    }

    /// Scripts on the branch tip with no live pipeline, per repository (`OrphanScriptScan`).
    public func update(orphans counts: [RepositoryName: Int]) {
        for (repository, count) in counts {
            registry.makeGauge(
                descriptor: Self.name(
                    "orphan_scripts", help: "Scripts in the jobs directory at the branch tip with no live pipeline"),
                labels: [("repository", repository.rawValue)]
            ).set(Double(count))
        }
    }

    static func name(_ metric: String, unit: String? = nil, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "jobrunner", metricName: metric, unitName: unit, helpText: help)
    }
}

/// Counters by one label value, made once each.
final class CounterCache: Sendable {
    private let counters = Locked([DeliveryAnswer: Counter]())

    func counter(_ label: DeliveryAnswer, make: () -> Counter) -> Counter {
        if let known = counters.withLock({ $0[label] }) { return known }
        let made = make()
        counters.withLock { $0[label] = made }
        return made
    }
}
