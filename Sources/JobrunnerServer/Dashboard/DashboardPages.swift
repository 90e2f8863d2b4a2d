import Foundation
import JobrunnerCore
import JobrunnerStages
import JobrunnerStore

/// Turns store records into the values the mustache templates show. Missing values are left
/// out (not nil), so template sections simply do not render.
struct DashboardPages: Sendable {
    let links: RepositoryLinks
    let logsDirectory: String
    let repositories: [RepositoryName]

    func list(
        _ summaries: [PipelineSummary], filter: PipelineFilter, olderThan next: PipelineID?
    ) -> [String: Any] {
        var values: [String: Any] = [
            "pipelines": summaries.map(row), "hasPipelines": !summaries.isEmpty, "q": filter.text ?? "",
            "states": PipelineStatus.allCases.map { ["value": $0.rawValue, "selected": $0 == filter.status] },
            "repositories": repositories.map { ["value": $0.rawValue, "selected": $0 == filter.repository] },
        ]
        let parameters = DashboardQuery.parameters(of: filter)
        if filter.before != nil { values["newestURL"] = "/?" + DashboardQuery.encode(parameters) }
        if let next {
            var older = parameters
            older["before"] = String(next.rawValue)
            values["olderURL"] = "/?" + DashboardQuery.encode(older)
        }
        return values
    }

    /// The overview's values.
    func overview(_ overview: QueueOverview, now: Date) -> [String: Any] {
        func item(_ summary: PipelineSummary, _ extra: [String: Any] = [:]) -> [String: Any] {
            var values: [String: Any] = [
                "id": summary.pipeline.id.rawValue, "script": summary.pipeline.source.scriptPath,
                "repository": summary.pipeline.source.repository.rawValue, "status": summary.status.rawValue,
                "outcomeText": Self.outcomeText(summary.outcome.rawValue, exitStatus: summary.script?.exitCode),
            ]
            values.merge(extra) { _, new in new }
            return values
        }
        let count = { (status: PipelineStatus) in overview.counts[status] ?? 0 }
        var values: [String: Any] = [
            "runningCount": count(.running), "queuedCount": count(.queued),
            "attentionCount": count(.failed) + count(.interrupted),
            "running": overview.running.map { summary in
                let stage = summary.stages.last { $0.state == .running }
                return item(summary, [
                    "stage": stage?.kind.displayName ?? "", "since": DashboardFormat.time(stage?.startedAt),
                ])
            },
            "queued": overview.queued.map { item($0, ["why": QueueOverview.waitReason($0, now: now)]) },
            "attention": overview.needingAttention.map { summary in
                let stopped = summary.stages.last { $0.state == .failed || $0.state == .interrupted }
                return item(summary, ["why": stopped?.lastError ?? summary.status.rawValue])
            },
            "recent": overview.recent.map { summary in
                item(summary, [
                    "runTime": DashboardFormat.duration(seconds: QueueOverview.runTime(summary)),
                    "finished": DashboardFormat.time(summary.stage(.execute)?.finishedAt),
                ])
            },
        ]
        if let orphans = overview.orphans {
            values["orphanCount"] = orphans.scripts.count
            values["orphansScanned"] = DashboardFormat.time(orphans.scannedAt)
            values["orphans"] = orphans.scripts.map { script -> [String: Any] in
                var row: [String: Any] = [
                    "path": script.path, "repository": script.repository.rawValue, "advice": script.advice,
                ]
                if let latest = script.latest { row["pipeline"] = latest.pipeline.id.rawValue }
                return row
            }
            values["orphanProblems"] = orphans.problems
        }
        return values
    }

    func row(_ summary: PipelineSummary) -> [String: Any] {
        let resource = PipelineResource(summary, links: links, logsDirectory: logsDirectory)
        var values = common(resource)
        values["stages"] = summary.stages.map {
            ["kind": $0.kind.rawValue, "state": $0.state.rawValue, "letter": String($0.kind.displayName.prefix(1))]
        }
        if let waiting = summary.stages.first(where: { $0.state == .queued && $0.waitReason != nil })?.waitReason {
            values["waitReason"] = waiting
        }
        return values
    }

    func detail(
        _ detail: PipelineDetail, artifact: Artifact?, executions: [ExecutionRecord], feedback: [FeedbackRecord],
        outbox: [OutboxMessage] = []
    ) -> [String: Any] {
        let summary = detail.summary
        let resource = PipelineResource(summary, links: links, logsDirectory: logsDirectory)
        var values = common(resource)
        values["branch"] = resource.branch
        values["commit"] = resource.commit
        values["delivery"] = resource.delivery
        values["logPath"] = resource.logPath
        values["logCommitted"] = summary.stage(.cleanup)?.state == .succeeded
        values["logURL"] = resource.logUrl
        if let pusher = resource.pusher { values["pusher"] = pusher }
        let status = summary.status
        // The button is offered exactly when the operation would act (`CancelRule`).
        let decision = CancelRule.decide(summary.stages)
        let (cancellable, stoppable) =
            switch decision {
            case .cancel: (true, false)
            case .requestStop: (true, true)
            case .refuse, .noStages: (false, false)
            }
        values["canCancel"] = status != .cancelled && status != .superseded && cancellable
        if case .discard(let mayHaveRun) = DiscardRule.decide(summary) {
            values["canDiscard"] = true
            values["discardNote"] =
                mayHaveRun
                ? "Its run was interrupted: the log will say the script may have run, with the output captured so far."
                : "The script did not run: the log will say so."
        }
        if case .accept(let execute) = DryRunOverrideRule.decide(pipeline: summary.pipeline.id, stages: summary.stages, marks: summary.pipeline.marks),
            execute.waitReason?.contains("JOBRUNNER_REQUIRE_DRY_RUN") == true
        {
            values["canOverrideDryRun"] = true
        }
        if let earlier = summary.pipeline.supersedes { values["supersedes"] = earlier.rawValue }
        if let later = summary.pipeline.supersededBy { values["supersededBy"] = later.rawValue }
        if let discard = summary.pipeline.discard {
            values["discard"] = [
                "by": discard.operatorName, "at": DashboardFormat.time(discard.at), "reason": discard.reason,
                "mayHaveRun": discard.mayHaveRun,
            ] as [String: Any]
        }
        values["cancelLabel"] = stoppable ? "Stop the script (kill EXECUTE)" : "Cancel pipeline"
        values["live"] = summary.stages.contains { $0.state == .queued || $0.state == .running }
        values["stages"] = summary.stages.map { stage -> [String: Any] in
            var row: [String: Any] = [
                "kind": stage.kind.rawValue, "label": stage.kind.displayName, "state": stage.state.rawValue,
                "attempt": stage.attempt, "maxAttempts": stage.maxAttempts, "started": DashboardFormat.time(stage.startedAt),
                "finished": DashboardFormat.time(stage.finishedAt),
                // The operator rule decides (a stopped EXECUTE's CLEANUP stays retryable, a superseded
                // pipeline never is); the attempt budget does not matter here.
                "retryable": Self.retryable(stage, in: summary),
                "needsConfirmation": stage.kind == .execute,
            ]
            if let text = stage.summary { row["summary"] = text }
            if let text = stage.lastError, stage.state != .succeeded { row["lastError"] = text }
            if let who = stage.cancelRequestedBy { row["cancelRequestedBy"] = who }
            if let reason = stage.waitReason, stage.state == .queued { row["waitReason"] = reason }
            return row
        }
        values["attempts"] = detail.attempts.map { attempt -> [String: Any] in
            var row: [String: Any] = [
                "kind": attempt.kind.displayName, "attempt": attempt.attempt, "worker": attempt.worker,
                "started": DashboardFormat.time(attempt.startedAt), "finished": DashboardFormat.time(attempt.finishedAt),
                "outcome": attempt.outcome.rawValue,
            ]
            if let error = attempt.error { row["error"] = error }
            return row
        }
        values["hasActions"] = !detail.operatorActions.isEmpty
        values["actions"] = detail.operatorActions.map { action -> [String: Any] in
            var row: [String: Any] = [
                "operator": action.operatorName, "action": Self.actionVerb(action.kind),
                "at": DashboardFormat.time(action.at),
            ]
            if let kind = action.stageKind { row["stage"] = kind.displayName }
            if let reason = action.reason { row["reason"] = reason }
            return row
        }
        if let artifact {
            var build: [String: Any] = [
                "toolchain": artifact.toolchain, "toolchainVersion": artifact.toolchainVersion,
                "fileName": artifact.fileName, "size": DashboardFormat.size(artifact.content.count),
                "digest": artifact.digest, "buildTime": DashboardFormat.duration(seconds: artifact.buildDuration.secondsDouble),
            ]
            if let approval = artifact.approval {
                build["approvedBy"] = approval.approvers.joined(separator: ", ")
                if let merger = approval.mergedBy { build["mergedBy"] = merger }
            }
            values["artifact"] = build
        }
        if let latest = executions.last { values["execution"] = execution(latest) }
        let earlier = executions.dropLast().map { run -> [String: Any] in
            var row: [String: Any] = [
                "attempt": run.attempt, "outcome": run.outcome.rawValue, "started": DashboardFormat.time(run.startedAt),
            ]
            if let code = run.exitCode { row["exitCode"] = "\(code)" }
            return row
        }
        values["hasEarlierRuns"] = !earlier.isEmpty
        values["earlierRuns"] = earlier
        values["hasFeedback"] = !feedback.isEmpty
        values["feedback"] = feedback.map { record -> [String: Any] in
            var row: [String: Any] = [
                "channel": record.channel, "event": record.event, "target": record.target,
                "at": DashboardFormat.time(record.at),
            ]
            if let error = record.error { row["error"] = error }
            return row
        }
        let waiting = outbox.filter { $0.state != .delivered }
        values["hasOutbox"] = !waiting.isEmpty
        values["outbox"] = waiting.map { message -> [String: Any] in
            var row: [String: Any] = [
                "event": message.event.name, "state": message.state.rawValue, "attempts": message.attempts,
                "created": DashboardFormat.time(message.createdAt),
            ]
            if message.state == .pending { row["next"] = DashboardFormat.time(message.nextAttemptAt) }
            if let error = message.lastError { row["error"] = error }
            return row
        }
        return values
    }

    static func retryable(_ stage: StageRecord, in summary: PipelineSummary) -> Bool {
        if case .queue = OperatorRetryRule.decide(stage, in: summary.stages, marks: summary.pipeline.marks, policy: RetryPolicy()) {
            return true
        }
        return false
    }

    private func execution(_ run: ExecutionRecord) -> [String: Any] {
        var values: [String: Any] = [
            "attempt": run.attempt, "outcome": run.outcome.rawValue,
            "stdout": String(decoding: run.stdout, as: UTF8.self), "stderr": String(decoding: run.stderr, as: UTF8.self),
            "stdoutTruncated": run.stdoutTruncated, "stderrTruncated": run.stderrTruncated,
            "stdoutBytes": run.stdoutBytes, "stderrBytes": run.stderrBytes,
        ]
        // A string, so exit status 0 still shows (a number 0 would hide its section).
        if let code = run.exitCode { values["exitCode"] = "\(code)" }
        if let limit = run.stoppedBy { values["stoppedBy"] = limit.killedBecause }
        if let duration = run.duration { values["duration"] = DashboardFormat.duration(seconds: duration.secondsDouble) }
        if let progress = run.progress { values["progress"] = Self.progress(progress) }
        return values
    }

    /// The progress bar's values (the live view sends the same).
    static func progress(_ report: ProgressReport) -> [String: Any] {
        var values: [String: Any] = ["text": ProgressText.describe(report), "done": report.done]
        if let total = report.total { values["max"] = total }
        if let fraction = report.fraction { values["percent"] = Int((fraction * 100).rounded()) }
        return values
    }

    /// What the list row and the page heading share.
    private func common(_ resource: PipelineResource) -> [String: Any] {
        var values: [String: Any] = [
            "id": resource.id, "status": resource.status, "script": resource.script, "repository": resource.repository,
            "shortCommit": String(resource.commit.prefix(10)), "created": DashboardFormat.time(resource.createdAt),
            "finished": DashboardFormat.time(resource.finishedAt),
            "duration": DashboardFormat.duration(seconds: resource.durationSeconds),
        ]
        if let url = resource.commitUrl { values["commitURL"] = url }
        if let number = resource.pullRequest { values["pullRequest"] = "\(number)" }
        if let url = resource.pullRequestUrl { values["pullRequestURL"] = url }
        if let author = resource.author { values["author"] = author }
        values["outcome"] = resource.outcome
        values["outcomeText"] = Self.outcomeText(resource.outcome, exitStatus: resource.exitStatus)
        return values
    }

    /// A dry run for the list and its page.
    func dryRun(_ run: DryRunRecord, withOutput: Bool) -> [String: Any] {
        var values: [String: Any] = [
            "id": run.id, "repository": run.repository.rawValue, "pullRequest": run.pullRequest,
            "head": String(run.headCommit.prefix(12)), "headCommit": run.headCommit, "script": run.scriptPath,
            "blob": run.blob, "state": run.state.rawValue, "outcomeText": DryRunReport.outcomeText(run),
            "outdated": run.outdated, "created": DashboardFormat.time(run.createdAt),
            "approvers": run.approvers.joined(separator: ", "),
        ]
        if let url = links.pullRequest(run.repository, run.pullRequest) { values["pullRequestURL"] = url }
        if let exit = run.exitCode { values["exitStatus"] = String(exit) }
        if let duration = run.duration { values["duration"] = DashboardFormat.duration(seconds: duration.secondsDouble) }
        if let finished = run.finishedAt { values["finished"] = DashboardFormat.time(finished) }
        if let progress = run.progress { values["progress"] = ProgressText.describe(progress) }
        if let error = run.error { values["error"] = error }
        if withOutput {
            values["stdout"] = run.stdout
            values["stderr"] = run.stderr
            values["stdoutTruncated"] = run.stdoutTruncated
            values["stderrTruncated"] = run.stderrTruncated
        }
        return values
    }

    static func actionVerb(_ kind: OperatorAction.Kind) -> String {
        switch kind {
        case .retry: "retried"
        case .cancel: "cancelled"
        case .discard: "discarded"
        case .overrideDryRun: "let run without a dry run"
        }
    }

    /// The script's result in words, for the badge: "exit 3", "timed out", "not run".
    static func outcomeText(_ outcome: String, exitStatus: Int32?) -> String {
        switch PipelineOutcome(rawValue: outcome) {
        case .exitedNonZero?: exitStatus.map { "exit \($0)" } ?? "exited non-zero"
        case .succeeded?: "exit 0"
        case .timedOut?: "timed out"
        case .notRun?: "not run"
        case let other?: other.rawValue
        case nil: outcome
        }
    }
}
