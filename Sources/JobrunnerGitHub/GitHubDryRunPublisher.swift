import JobrunnerCore

/// Publishes dry-run reports on GitHub: the `jobrunner/dry-run` commit status of the head, and
/// one issue comment per pull request — created once, then edited for every change and every
/// new head (its id is kept by the caller).
public struct GitHubDryRunPublisher: DryRunPublisher {
    public let api: any GitHubAPI
    /// The dashboard's dry-run list for the pull request, as the status's link.
    public let targetURL: @Sendable (DryRunPullRequest) -> String?

    public init(api: any GitHubAPI, targetURL: @escaping @Sendable (DryRunPullRequest) -> String? = { _ in nil }) {
        self.api = api
        self.targetURL = targetURL
    }

    public func publish(_ report: DryRunReport, for pull: DryRunPullRequest) async throws -> (commentID: Int64, url: String)? {
        if let status = report.status {
            let state: CommitStatus.State =
                switch status.state {
                case .pending: .pending
                case .success: .success
                case .failure: .failure
                case .error: .error
                }
            try await api.createStatus(
                CommitStatus(state: state, targetURL: targetURL(pull), description: status.description, context: DryRunReport.context),
                commit: pull.headCommit, in: pull.repository)
        }
        guard let body = report.comment else { return nil }
        if let id = pull.commentID {
            do {
                let comment = try await api.updateComment(id, body: body, in: pull.repository)
                return (comment.id, comment.htmlURL)
            } catch GitHubAPIError.http(let status, _, _) where status == 404 {
                // Someone deleted it: a new one takes its place.
            }
        }
        let comment = try await api.createComment(body, onIssue: pull.number, in: pull.repository)
        return (comment.id, comment.htmlURL)
    }
}
