import Foundation
import JobrunnerCore
import Testing

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test
    func delaysDoubleWithEqualJitterAndStopAtTheCap() {
        let policy = RetryPolicy(baseDelay: .seconds(4), maxDelay: .seconds(20))
        #expect(policy.delay(afterAttempt: 1, jitter: 0) == .seconds(2))
        #expect(policy.delay(afterAttempt: 1, jitter: 1) == .seconds(4))
        #expect(policy.delay(afterAttempt: 2, jitter: 0.5) == .seconds(6))
        #expect(policy.delay(afterAttempt: 3, jitter: 1) == .seconds(16))
        #expect(policy.delay(afterAttempt: 4, jitter: 1) == .seconds(20))
        #expect(policy.delay(afterAttempt: 60, jitter: 0) == .seconds(10), "huge attempt numbers do not overflow")
        #expect(policy.delay(afterAttempt: 1, jitter: 7) == .seconds(4), "jitter is clamped to 0…1")
    }

    @Test
    func executeAlwaysGetsExactlyOneAttempt() {
        let policy = RetryPolicy(maxAttempts: [.process: 3, .execute: 9, .cleanup: 0])
        #expect(policy.attempts(for: .execute) == 1)
        #expect(policy.attempts(for: .process) == 3)
        #expect(policy.attempts(for: .cleanup) == 1, "at least one attempt")
    }
}

@Suite("Durations, names and locations")
struct ParsingTests {
    @Test(arguments: [
        ("90", Duration.seconds(90)), ("90s", .seconds(90)), ("10m", .seconds(600)), ("1h30m", .seconds(5400)),
        ("250ms", .milliseconds(250)), ("2d", .seconds(172_800)), (" 5m ", .seconds(300)),
    ])
    func parsesDurations(text: String, expected: Duration) {
        #expect(DurationParser.parse(text) == expected)
    }

    @Test(arguments: ["", "m", "10x", "-5", "1.5h", "ten minutes", "5m-"])
    func rejectsMalformedDurations(text: String) {
        #expect(DurationParser.parse(text) == nil)
    }

    @Test
    func repositoryNamesAreOwnerSlashNameCaseInsensitively() {
        #expect(RepositoryName(rawValue: "Acme/Ops.Tools-1_x")?.rawValue == "acme/ops.tools-1_x")
        #expect(RepositoryName(rawValue: "acme/ops")?.owner == "acme")
        for bad in ["acme", "acme/", "/ops", "a/b/c", "acme/..", "ac me/ops", "acme/ops\n", "acmé/ops"] {
            #expect(RepositoryName(rawValue: bad) == nil, "\(bad) is refused")
        }
    }

    @Test
    func databaseLocations() {
        #expect(DatabaseLocation(parsing: "data/j.sqlite") == .sqlite(path: "data/j.sqlite"))
        #expect(DatabaseLocation(parsing: "sqlite:///var/lib/j.sqlite") == .sqlite(path: "/var/lib/j.sqlite"))
        #expect(DatabaseLocation(parsing: "sqlite:j.sqlite") == .sqlite(path: "j.sqlite"))
        #expect(DatabaseLocation(parsing: "postgres://u:pw@db:5432/j") == .postgres(url: "postgres://u:pw@db:5432/j"))
        #expect(DatabaseLocation(parsing: "postgres://u:pw@db:5432/j")?.redacted == "postgres://***@db:5432/j")
        #expect(DatabaseLocation(parsing: "mysql://db/j") == nil)
        #expect(DatabaseLocation(parsing: "sqlite:") == nil)
    }
}

@Suite("Pipeline status")
struct PipelineStatusTests {
    func stage(_ kind: StageKind, _ state: StageState) -> StageRecord {
        StageRecord(
            id: StageID(1), pipelineID: PipelineID(1), kind: kind, state: state, attempt: 1, maxAttempts: 1,
            runAfter: Date(), createdAt: Date())
    }

    @Test
    func statusFollowsTheStages() {
        #expect(PipelineStatus(stages: [stage(.process, .queued)]) == .queued)
        #expect(PipelineStatus(stages: [stage(.process, .running)]) == .running)
        #expect(PipelineStatus(stages: [stage(.process, .succeeded), stage(.execute, .queued)]) == .queued)
        #expect(PipelineStatus(stages: [stage(.process, .failed)]) == .failed)
        #expect(PipelineStatus(stages: [stage(.process, .succeeded), stage(.execute, .interrupted)]) == .interrupted)
        #expect(PipelineStatus(stages: [stage(.process, .cancelled)]) == .cancelled)
        #expect(
            PipelineStatus(stages: [stage(.process, .succeeded), stage(.execute, .succeeded), stage(.cleanup, .succeeded)])
                == .succeeded)
        #expect(StageKind.process.next == .execute && StageKind.cleanup.next == nil)
        #expect(!StageKind.execute.isIdempotent && StageKind.cleanup.isIdempotent)
    }
}
