import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
@testable import JobrunnerServer
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Logging
import Testing

/// At `info`, intake logs a count of what it answered per interval instead of a line per
/// delivery; at `debug` each delivery has its line; refusals are logged at once either way.
@Suite("Intake's log")
struct IntakeLogSummaryTests {
    /// Posts an accepted push, an ignored one and an unsigned one to a live server logging at
    /// `level`, waits past one summary interval, and returns every line.
    static func lines(at level: Logger.Level) async throws -> [String] {
        let directory = try TemporaryDirectory("intake-log")
        let store = try SQLitePipelineStore(path: directory.file("jobrunner.sqlite"))
        var settings = Settings(webhookSecrets: [WebhookIntakeTests.secret], repositories: [Fixtures.repository("acme/ops")])
        settings.httpPort = 0
        let lines = Locked<[String]>([])
        var logger = Logger(label: "test") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = level
        var context = ApplicationContext(settings: settings, store: store, logger: logger)
        context.intakeLogInterval = .milliseconds(300)
        let accepted = try WebhookIntakeTests.fixture("push-pr-merge")
        let (ignored, _) = try WebhookIntakeTests.notForUs("tag")
        try await buildApplication(context).test(.live) { client in
            #expect(try await WebhookIntakeTests.post(client, accepted, headers: WebhookIntakeTests.headers(accepted)).0 == .accepted)
            #expect(try await WebhookIntakeTests.post(client, ignored, headers: WebhookIntakeTests.headers(ignored)).0 == .accepted)
            #expect(
                try await WebhookIntakeTests.post(client, accepted, headers: WebhookIntakeTests.headers(accepted, signed: false)).0
                    == .unauthorized)
            // Past the interval(s) the deliveries fell into: all three are counted. On a busy
            // machine an interval may end between two of them, so they may span two lines.
            let deadline = ContinuousClock.now + .seconds(10)
            while Self.total("deliveries", in: lines.value) < 3, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        return lines.value
    }

    @Test
    func atInfoDeliveriesAreCountedInOneLineNotLoggedOneByOne() async throws {
        let lines = try await Self.lines(at: .info)
        #expect(!lines.contains { $0.hasPrefix("push accepted") || $0.hasPrefix("push ignored") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("webhook refused") }, "a refusal is logged at once: \(lines)")
        let summaries = lines.filter { $0.hasPrefix("webhook deliveries answered") }
        try #require(!summaries.isEmpty && summaries.count <= 3, "one line per interval, not per delivery: \(lines)")
        for (key, count) in [("deliveries", 3), ("pipelines_created", 1), ("outcome_accepted", 1), ("outcome_ignored", 1), ("outcome_bad-signature", 1)] {
            #expect(Self.total(key, in: summaries) == count, "\(key) in \(summaries)")
        }
    }

    /// The sum of `key`'s counts over the summary lines among `lines`.
    static func total(_ key: String, in lines: [String]) -> Int {
        lines.filter { $0.hasPrefix("webhook deliveries answered") }.reduce(0) { sum, line in
            guard let range = line.range(of: "\"\(key)\": ") else { return sum }
            return sum + (Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0)
        }
    }

    @Test
    func atDebugEachDeliveryHasItsLine() async throws {
        let lines = try await Self.lines(at: .debug)
        #expect(lines.contains { $0.hasPrefix("push accepted") && $0.contains("jobs/2026-11-22-backfill-invoices.ts") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("push ignored") }, "\(lines)")
    }

    @Test
    func anIntervalWithoutDeliveriesLogsNothingAndEachLineStartsAfresh() {
        let lines = Locked<[String]>([])
        let summary = IntakeLogSummary(logger: Logger(label: "test") { _ in CapturingLogHandler(lines: lines) })
        summary.flush()
        #expect(lines.value.isEmpty)
        summary.answered(outcome: .accepted)
        summary.created(pipelines: 2)
        summary.flush()
        summary.flush()
        summary.answered(outcome: .redelivery)
        summary.flush()
        #expect(lines.value.count == 2, "\(lines.value)")
        #expect(lines.value.first?.contains("\"pipelines_created\": 2") == true)
        #expect(lines.value.last?.contains("\"pipelines_created\": 0") == true && lines.value.last?.contains("\"outcome_redelivery\": 1") == true)
    }
}
