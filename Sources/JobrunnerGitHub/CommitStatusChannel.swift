import Foundation
import JobrunnerCore

/// A commit status on the pushed commit, one context per script (`jobrunner: jobs/x.ts`):
/// pending when PROCESS starts, success or failure when the log is committed, error when a
/// stage fails for good.
public struct CommitStatusChannel: FeedbackChannel {
    public let api: any GitHubAPI
    /// Where operators look at a pipeline (`JOBRUNNER_PUBLIC_URL`), for pending and failed states.
    public let dashboardURL: String?

    public var name: String { "commit-status" }

    public init(api: any GitHubAPI, dashboardURL: String?) {
        self.api = api
        self.dashboardURL = dashboardURL
    }

    public func deliver(_ event: PipelineEvent, for pipeline: PipelineRecord) async throws -> [String] {
        let source = pipeline.source
        let pipelineURL = dashboardURL.map { "\($0)/pipelines/\(pipeline.id.rawValue)" }
        let status: CommitStatus
        switch event {
        case .started:
            status = CommitStatus(
                state: .pending, targetURL: pipelineURL, description: "pipeline \(pipeline.id.rawValue): building and running",
                context: Self.context(source.scriptPath))
        case .finished(let report):
            var description = "pipeline \(pipeline.id.rawValue): \(report.outcome.rawValue)"
            if let code = report.exitCode { description += ", exit \(code)" }
            if let duration = report.duration { description += " in \(FeedbackText.seconds(duration))" }
            status = CommitStatus(
                state: report.outcome == .succeeded ? .success : .failure, targetURL: report.logURL ?? pipelineURL,
                description: description + "; log committed", context: Self.context(source.scriptPath))
        case .waiting(let reason, _):
            // GitHub keeps 140 characters of a description.
            status = CommitStatus(
                state: .pending, targetURL: pipelineURL, description: String("pipeline \(pipeline.id.rawValue): \(reason)".prefix(140)),
                context: Self.context(source.scriptPath))
        case .failed(let stage, let reason):
            status = CommitStatus(
                state: .error, targetURL: pipelineURL,
                description: "pipeline \(pipeline.id.rawValue): \(stage.rawValue) failed: \(reason)",
                context: Self.context(source.scriptPath))
        }
        try await api.createStatus(status, commit: source.commit, in: source.repository)
        return ["\(source.repository)@\(source.commit.prefix(12)) \(status.context)=\(status.state.rawValue)"]
    }

    static func context(_ scriptPath: String) -> String { "jobrunner: \(scriptPath)" }
}

/// A comment on the merged pull request the script came from: when its script waits for a
/// deploy, and with the outcome and a link to the log once the log is committed.
public struct PullRequestCommentChannel: FeedbackChannel {
    public let api: any GitHubAPI

    public var name: String { "pull-request-comment" }

    public init(api: any GitHubAPI) { self.api = api }

    public func deliver(_ event: PipelineEvent, for pipeline: PipelineRecord) async throws -> [String] {
        let source = pipeline.source
        if case .waiting(let reason, let pullRequest) = event, let number = pullRequest ?? source.pullRequest {
            let body = "⏳ Jobrunner has not started `\(source.scriptPath)` yet (pipeline \(pipeline.id.rawValue)): \(reason)."
            return [try await api.createComment(body, onIssue: number, in: source.repository)]
        }
        guard case .finished(let report) = event, let number = report.pullRequest ?? source.pullRequest else {
            return []
        }
        var body = report.outcome == .succeeded ? "✅" : "❌"
        body += " Jobrunner ran `\(source.scriptPath)` (pipeline \(pipeline.id.rawValue)): **\(report.outcome.rawValue)**"
        if let code = report.exitCode { body += ", exit status \(code)" }
        if let duration = report.duration { body += ", \(FeedbackText.seconds(duration))" }
        body += ".\n\nExecution log: "
        body += report.logURL.map { "[`\(report.logPath)`](\($0))" } ?? "`\(report.logPath)`"
        body += " (commit \(report.logCommit.prefix(12)))."
        let url = try await api.createComment(body, onIssue: number, in: source.repository)
        return [url]
    }
}

enum FeedbackText {
    static func seconds(_ duration: Duration) -> String {
        let seconds = duration.secondsDouble
        return seconds < 10 ? String(format: "%.2fs", seconds) : String(format: "%.0fs", seconds)
    }
}
