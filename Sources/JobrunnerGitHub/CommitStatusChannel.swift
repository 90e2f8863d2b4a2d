import Foundation
import JobrunnerCore

/// A commit status on the pushed commit, one context per script (`jobrunner: jobs/x.ts`):
/// pending when PROCESS starts and while EXECUTE waits, success or failure when the log is
/// committed, error when a stage fails for good.
public struct CommitStatusChannel: FeedbackChannel {
    public let api: any GitHubAPI
    /// Where operators look at a pipeline (`JOBRUNNER_PUBLIC_URL`), for pending and failed states.
    public let dashboardURL: String?

    public var name: String { "commit-status" }

    public init(api: any GitHubAPI, dashboardURL: String?) {
        self.api = api
        self.dashboardURL = dashboardURL
    }

    public func wants(_ event: PipelineEvent) -> Bool {
        switch event {
        case .started, .waiting, .finished, .failed, .discarded: true
        case .running, .progress: false
        }
    }

    public func deliver(_ delivery: FeedbackDelivery) async throws -> [String] {
        let event = delivery.event
        let pipeline = delivery.pipeline
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
                description: String("pipeline \(pipeline.id.rawValue): \(stage.rawValue) failed: \(reason)".prefix(140)),
                context: Self.context(source.scriptPath))
        case .discarded(let by, let reason, _, let logURL, _):
            status = CommitStatus(
                state: .error, targetURL: logURL ?? pipelineURL,
                description: String("pipeline \(pipeline.id.rawValue): discarded by \(by): \(reason); log committed".prefix(140)),
                context: Self.context(source.scriptPath))
        case .running, .progress:
            return []
        }
        do {
            try await api.createStatus(status, commit: source.commit, in: source.repository)
        } catch {
            throw GitHubFeedbackErrors.classify(error, now: Date())
        }
        return ["\(source.repository)@\(source.commit.prefix(12)) \(status.context)=\(status.state.rawValue)"]
    }

    static func context(_ scriptPath: String) -> String { "jobrunner: \(scriptPath)" }
}

enum FeedbackText {
    static func seconds(_ duration: Duration) -> String {
        let seconds = duration.secondsDouble
        return seconds < 10 ? String(format: "%.2fs", seconds) : String(format: "%.0fs", seconds)
    }
}
