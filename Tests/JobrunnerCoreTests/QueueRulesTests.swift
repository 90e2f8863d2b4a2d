import Foundation
import JobrunnerCore
import Testing

/// The queue's rules as Core states them; the drivers' agreement with them is checked in
/// `QueueRuleAgreementTests` (JobrunnerStoreTests).
@Suite("Queue rules")
struct QueueRulesTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func stage(_ kind: StageKind, _ state: StageState, attempt: Int = 1, stopRequested: Bool = false) -> StageRecord {
        StageRecord(
            id: StageID(Int64(kind == .process ? 1 : kind == .execute ? 2 : 3)), pipelineID: PipelineID(1), kind: kind,
            state: state, attempt: attempt, maxAttempts: 3, runAfter: now, createdAt: now,
            cancelRequestedAt: stopRequested ? now : nil)
    }

    @Test
    func aTransientFailureWithAttemptsLeftIsRetriedAfterTheBackoffAnythingElseFails() {
        let policy = RetryPolicy(baseDelay: .seconds(4))
        let retried = policy.decide(after: .transient("503"), attempt: 1, maxAttempts: 3, now: Self.now, jitter: 1)
        #expect(retried.disposition == .willRetry(at: Self.now.addingTimeInterval(4)))
        #expect(retried.stageError == "attempt 1 of 3: 503")
        #expect(policy.decide(after: .transient("503"), attempt: 3, maxAttempts: 3, now: Self.now, jitter: 0).disposition == .failed)
        #expect(policy.decide(after: .permanent("syntax"), attempt: 1, maxAttempts: 3, now: Self.now, jitter: 0).disposition == .failed)
        #expect(policy.maxAttemptsAfterOperatorRetry(kind: .execute, attemptsUsed: 1) == 2, "exactly one more run")
    }

    @Test(arguments: StageKind.allCases)
    func aLostLeaseNeverRerunsAStageThatIsNotIdempotent(kind: StageKind) {
        let withAttempts = kind.rescued(attempt: 1, maxAttempts: 3, owner: "w", expiredAt: Self.now)
        let lastAttempt = kind.rescued(attempt: 3, maxAttempts: 3, owner: "w", expiredAt: Self.now)
        let released = kind.released(reason: "shutdown")
        if kind.isIdempotent {
            #expect(withAttempts.state == .queued && withAttempts.attemptOutcome == .abandoned && !withAttempts.refundsAttempt)
            #expect(lastAttempt.state == .failed)
            #expect(released.state == .queued && released.refundsAttempt)
        } else {
            #expect(withAttempts.state == .interrupted && lastAttempt.state == .interrupted)
            #expect(withAttempts.message.contains("not re-run automatically"))
            #expect(released.state == .interrupted && !released.refundsAttempt)
        }
    }

    @Test
    func theSuccessorsRunProcessExecuteCleanupThenNothing() {
        #expect(StageKind.process.next == .execute)
        #expect(StageKind.execute.next == .cleanup)
        #expect(StageKind.cleanup.next == nil)
    }

    @Test
    func cancelTakesTheCurrentStageStopsARunningScriptOnceAndRefusesTheRest() {
        #expect(CancelRule.decide([]) == .noStages)
        let queued = [Self.stage(.process, .succeeded), Self.stage(.execute, .queued)]
        #expect(CancelRule.decide(queued) == .cancel(queued[1]))
        let running = [Self.stage(.process, .succeeded), Self.stage(.execute, .running)]
        #expect(CancelRule.decide(running) == .requestStop(running[1]))
        let asked = [Self.stage(.process, .succeeded), Self.stage(.execute, .running, stopRequested: true)]
        #expect(CancelRule.decide(asked) == .refuse(asked[1]))
        let building = [Self.stage(.process, .running)]
        #expect(CancelRule.decide(building) == .refuse(building[0]), "a running PROCESS cannot be stopped")
    }

    @Test
    func operatorsRetryFailedOrInterruptedStagesOfPipelinesNotCancelled() {
        let policy = RetryPolicy()
        let failed = Self.stage(.process, .failed, attempt: 5)
        #expect(OperatorRetryRule.decide(failed, in: [failed], policy: policy) == .queue(maxAttempts: 10))
        let succeeded = Self.stage(.process, .succeeded)
        #expect(OperatorRetryRule.decide(succeeded, in: [succeeded], policy: policy) == .refuse(from: .succeeded))
        // A stopped script's CLEANUP may be retried; a pipeline cancelled before it ran may not.
        let stoppedCleanup = [Self.stage(.process, .succeeded), Self.stage(.execute, .cancelled), Self.stage(.cleanup, .failed)]
        #expect(OperatorRetryRule.decide(stoppedCleanup[2], in: stoppedCleanup, policy: policy) == .queue(maxAttempts: 9))
        let cancelledEarly = [Self.stage(.process, .cancelled), Self.stage(.execute, .interrupted)]
        #expect(OperatorRetryRule.decide(cancelledEarly[1], in: cancelledEarly, policy: policy) == .refuse(from: .cancelled))
    }

    @Test
    func theStatusRuleTakesTheFirstConditionThatHolds() {
        #expect(PipelineStatus(stages: []) == .queued)
        #expect(PipelineStatus(stages: [Self.stage(.process, .running)]) == .running)
        #expect(PipelineStatus(stages: [Self.stage(.process, .failed), Self.stage(.execute, .cancelled)]) == .cancelled)
        #expect(
            PipelineStatus(stages: [Self.stage(.process, .succeeded), Self.stage(.execute, .succeeded), Self.stage(.cleanup, .succeeded)])
                == .succeeded)
        #expect(PipelineStatus.allCases.filter(\.isAtRest) == [.succeeded, .failed, .interrupted, .cancelled, .superseded, .discarded])
    }

    @Test(arguments: [
        (Duration.seconds(90 * 86_400), "90d"), (.seconds(12 * 3600), "12h"), (.seconds(600), "10m"), (.seconds(90), "90s"),
        (.milliseconds(250), "250ms"), (.seconds(3600), "1h"),
    ])
    func durationsAreShownInTheirLargestWholeUnitAndReadBack(duration: Duration, text: String) {
        #expect(DurationParser.format(duration) == text)
        #expect(DurationParser.parse(text) == duration)
    }
}

@Suite("The application's settings file and revisions")
struct ApplicationSettingsTests {
    @Test
    func readsTheFormatSystemdAndDockerReadAndFindsWhatLooksSecret() throws {
        let variables = try EnvironmentFile.parse(
            """
            # comment
            GREETING=hello world
            export DATABASE_URL="postgres://app:pa55@db:5432/app"
            QUOTED='single $kept'
            ESCAPED="line\\nnext \\"quoted\\""
            STRIPE_API_KEY=sk_live_1
            AUTHOR=alice

            """)
        #expect(variables.map(\.name) == ["GREETING", "DATABASE_URL", "QUOTED", "ESCAPED", "STRIPE_API_KEY", "AUTHOR"])
        #expect(variables[1].value == "postgres://app:pa55@db:5432/app")
        #expect(variables[2].value == "single $kept")
        #expect(variables[3].value == "line\nnext \"quoted\"")
        #expect(Set(EnvironmentFile.secretValues(variables)) == ["pa55", "sk_live_1"])
        #expect(throws: EnvironmentFile.Problem.self) { _ = try EnvironmentFile.parse("JUST A LINE\n") }
    }

    @Test
    func aRevisionIsReadAsTheFirstFullCommitId() {
        let commit = String(repeating: "a1", count: 20)
        #expect(RevisionLocation.commit(in: "{\"sha\": \"\(commit)\"}") == commit)
        #expect(RevisionLocation.commit(in: "deadbeef \(commit.uppercased())\n") == commit)
        #expect(RevisionLocation.commit(in: String(repeating: "a", count: 41)) == nil, "41 hex digits are not a commit id")
        #expect(RevisionLocation(parsing: "file:/srv/app/REVISION") == .file("/srv/app/REVISION"))
        #expect(RevisionLocation(parsing: "https://app.internal/version") == .url("https://app.internal/version"))
        #expect(RevisionLocation(parsing: "/srv/app/REVISION") == nil)
    }
}

@Suite("A pipeline's outcome")
struct PipelineOutcomeTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func stages(_ states: [(StageKind, StageState)]) -> [StageRecord] {
        states.enumerated().map { index, pair in
            StageRecord(
                id: StageID(Int64(index + 1)), pipelineID: PipelineID(1), kind: pair.0, state: pair.1, attempt: 1, maxAttempts: 1,
                runAfter: now, createdAt: now)
        }
    }

    @Test
    func aScriptThatFailedMakesTheFinishedPipelineFailedAndSaysHow() {
        let logged = Self.stages([(.process, .succeeded), (.execute, .succeeded), (.cleanup, .succeeded)])
        let cases: [(ScriptResult, PipelineOutcome)] = [
            (ScriptResult(outcome: .failed, exitCode: 3), .exitedNonZero), (ScriptResult(outcome: .timedOut), .timedOut),
            (ScriptResult(outcome: .killed, signal: 9), .killed),
        ]
        for (script, outcome) in cases {
            let summary = PipelineSummary(pipeline: Self.pipeline, stages: logged, script: script)
            #expect(summary.status == .failed, "the list and the filter say the script failed")
            #expect(summary.outcome == outcome)
            #expect(summary.stages.allSatisfy { $0.state == .succeeded }, "stage states keep their meaning")
        }
        #expect(PipelineSummary(pipeline: Self.pipeline, stages: logged, script: ScriptResult(outcome: .succeeded, exitCode: 0)).status == .succeeded)
        // While its log is still being committed, the pipeline is not finished.
        let committing = Self.stages([(.process, .succeeded), (.execute, .succeeded), (.cleanup, .queued)])
        let pending = PipelineSummary(pipeline: Self.pipeline, stages: committing, script: ScriptResult(outcome: .failed, exitCode: 3))
        #expect(pending.status == .queued && pending.outcome == .exitedNonZero)
        #expect(PipelineSummary(pipeline: Self.pipeline, stages: Self.stages([(.process, .failed)])).outcome == .notRun)
        #expect(PipelineSummary(pipeline: Self.pipeline, stages: Self.stages([(.process, .succeeded), (.execute, .interrupted)]),
            script: ScriptResult(outcome: .running)).outcome == .interrupted)
    }

    static let pipeline = PipelineRecord(
        id: PipelineID(1), source: NewPipeline(repository: RepositoryName(rawValue: "acme/ops")!, branch: "main", scriptPath: "jobs/x.sh", commit: String(repeating: "a", count: 40)),
        deliveryID: DeliveryID("d"), createdAt: now)
}
