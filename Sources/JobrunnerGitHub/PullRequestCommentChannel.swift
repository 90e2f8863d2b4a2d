import Crypto
import Foundation
import JobrunnerCore

/// One comment per pipeline on the merged pull request its script came from, created at the
/// first event and edited as the pipeline moves (building → waiting → running with progress →
/// finished). The comment shows the pipeline as it is when delivered, so messages a later one
/// covers are skipped, an unchanged body is not sent again, and edits are spaced by
/// `minimumInterval` — a chatty script cannot exhaust the API quota.
public struct PullRequestCommentChannel: FeedbackChannel {
    public let api: any GitHubAPI
    public let threads: any CommentThreadStore
    /// Where operators look at a pipeline (`JOBRUNNER_PUBLIC_URL`).
    public let dashboardURL: String?
    public let minimumInterval: Duration
    public let clock: any JobClock
    /// Masks the stderr lines quoted on a failure.
    public let secrets: SecretRegistry
    /// Lines of stderr a failure shows.
    public let stderrLines: Int

    public var name: String { "pull-request-comment" }

    public init(
        api: any GitHubAPI, threads: any CommentThreadStore, dashboardURL: String?, minimumInterval: Duration = .seconds(10),
        clock: any JobClock = SystemClock(), secrets: SecretRegistry = .process, stderrLines: Int = 20
    ) {
        self.api = api
        self.threads = threads
        self.dashboardURL = dashboardURL
        self.minimumInterval = minimumInterval
        self.clock = clock
        self.secrets = secrets
        self.stderrLines = stderrLines
    }

    public func wants(_ event: PipelineEvent) -> Bool { true }

    public func deliver(_ delivery: FeedbackDelivery) async throws -> [String] {
        // A later message shows a newer state: only the latest is written.
        guard delivery.isLatest else { return [] }
        let pipeline = delivery.pipeline
        let thread = try await threads.commentThread(for: pipeline.id)
        let now = clock.now()
        do {
            let found: Int? = if let thread { thread.issue } else { try await pullRequest(delivery) }
            guard let number = found else { return [] }
            let body = render(delivery)
            if let thread {
                guard thread.bodyDigest != Self.digest(body) else { return [] }
                let next = thread.editedAt.adding(minimumInterval)
                if next > now { throw FeedbackDeferral(until: next) }
                let comment = try await api.updateComment(thread.commentID, body: body, in: thread.repository)
                var edited = thread
                edited.editedAt = now
                edited.bodyDigest = Self.digest(body)
                edited.url = comment.htmlURL
                try await threads.saveCommentThread(edited)
                return ["\(comment.htmlURL) (edited)"]
            }
            let comment = try await api.createComment(body, onIssue: number, in: pipeline.source.repository)
            try await threads.saveCommentThread(
                CommentThread(
                    pipelineID: pipeline.id, repository: pipeline.source.repository, issue: number, commentID: comment.id,
                    url: comment.htmlURL, editedAt: now, bodyDigest: Self.digest(body)))
            return [comment.htmlURL]
        } catch let deferral as FeedbackDeferral {
            throw deferral
        } catch {
            throw GitHubFeedbackErrors.classify(error, now: now)
        }
    }

    /// The merged pull request: as intake or PROCESS found it, else asked now (PROCESS's lookup
    /// may have failed in an outage) — not for running and progress, which come often.
    func pullRequest(_ delivery: FeedbackDelivery) async throws -> Int? {
        if let known = delivery.snapshot.pullRequest(of: delivery.pipeline) { return known }
        switch delivery.event {
        case .waiting(_, let number?): return number
        case .finished(let report) where report.pullRequest != nil: return report.pullRequest
        case .running, .progress: return nil
        default: break
        }
        let source = delivery.pipeline.source
        let pulls = try await api.pullRequests(containing: source.commit, in: source.repository)
        return PullRequest.merging(source.commit, into: source.branch, among: pulls).merging?.number
    }

    static func digest(_ body: String) -> String {
        SHA256.hash(data: Data(body.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The comment: a hidden marker naming the pipeline, a headline with where it stands, a table
    /// of facts, and on a failure the failed stage, the reason, the last lines of stderr and what
    /// an operator can do.
    public func render(_ delivery: FeedbackDelivery) -> String {
        let pipeline = delivery.pipeline
        let source = pipeline.source
        let snapshot = delivery.snapshot
        let phase = snapshot.detail.map { PipelinePhase(summary: $0.summary, execution: snapshot.execution) } ?? .queued
        let pipelineURL = dashboardURL.map { "\($0)/pipelines/\(pipeline.id.rawValue)" }
        var lines: [String] = ["<!-- jobrunner:pipeline:\(pipeline.id.rawValue) -->"]
        lines.append("### \(phase.emoji) Jobrunner: \(MarkdownText.codeSpan(source.scriptPath)) — \(MarkdownText.visible(phase.headline))")
        lines.append("")
        lines.append("| | |")
        lines.append("|---|---|")
        let pipelineText = pipelineURL.map { "[\(pipeline.id.rawValue)](\($0))" } ?? "\(pipeline.id.rawValue)"
        lines.append("| Pipeline | \(pipelineText) |")
        lines.append("| Commit | `\(source.commit.prefix(12))` on `\(MarkdownText.visible(source.branch))` |")
        if let stages = snapshot.detail?.summary.stages, !stages.isEmpty {
            let text = stages.map { "\($0.kind.displayName) \($0.state.rawValue)" }.joined(separator: " · ")
            lines.append("| Stages | \(text) |")
        }
        if let execution = snapshot.execution {
            if let progress = execution.progress { lines.append("| Progress | \(MarkdownText.visible(progress.text)) |") }
            if execution.outcome != .running {
                var result = execution.outcome.rawValue
                if let code = execution.exitCode { result += ", exit status \(code)" }
                if let signal = execution.signal { result += ", signal \(signal)" }
                if let duration = execution.duration { result += ", \(FeedbackText.seconds(duration))" }
                lines.append("| Script | \(result) |")
            }
        }
        switch delivery.event {
        case .finished(let report):
            lines.append("| Execution log | \(Self.log(report.logPath, url: report.logURL, commit: report.logCommit)) |")
        case .discarded(let by, let reason, let path, let url, let commit):
            lines.append("| Discarded | by \(MarkdownText.visible(by)): \(MarkdownText.visible(reason)) |")
            lines.append("| Log | \(Self.log(path, url: url, commit: commit)) |")
        default:
            break
        }
        if let failed = snapshot.detail?.summary.stages.first(where: { $0.state == .failed || $0.state == .interrupted }) {
            lines.append("")
            lines.append("**\(failed.kind.displayName) \(failed.state.rawValue)**: \(MarkdownText.visible(failed.lastError ?? "no reason recorded"))")
            lines.append("")
            let how = pipelineURL.map { "on [the dashboard](\($0))" } ?? "on the dashboard"
            lines.append(
                failed.kind == .execute
                    ? "The script may have started. An operator can retry EXECUTE (it runs the script again) or discard the pipeline \(how)."
                    : "An operator can retry \(failed.kind.displayName) \(how) once the cause is fixed.")
        }
        if let execution = snapshot.execution, ExecutionOutcome.scriptFailures.contains(execution.outcome) || phase.isFailure {
            let tail = Self.lastLines(secrets.mask(String(decoding: execution.stderr, as: UTF8.self)), count: stderrLines)
            if !tail.isEmpty {
                lines.append("")
                lines.append("<details><summary>Last \(stderrLines) lines of stderr</summary>")
                lines.append("")
                lines.append(MarkdownText.fence(tail))
                lines.append("</details>")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func log(_ path: String, url: String?, commit: String) -> String {
        (url.map { "[\(MarkdownText.codeSpan(path))](\($0))" } ?? MarkdownText.codeSpan(path)) + ", commit `\(commit.prefix(12))`"
    }

    static func lastLines(_ text: String, count: Int) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let trimmed = lines.last == "" ? lines.dropLast() : lines[...]
        return trimmed.suffix(count).joined(separator: "\n")
    }
}

extension PipelinePhase {
    var isFailure: Bool {
        switch self {
        case .ended(.failed), .ended(.interrupted): true
        default: false
        }
    }
}
