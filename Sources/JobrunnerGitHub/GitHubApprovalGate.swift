import JobrunnerCore

/// The approval policy through the GitHub API: the pushed commit must come from a merged pull
/// request into the branch with at least `requiredApprovals` approving reviews from people other
/// than its author (a reviewer's latest decision counts; a later "changes requested" or a
/// dismissal withdraws an approval). With `requiredApprovals == 0` it only looks the pull request
/// up for the log, and never fails the pipeline for it.
public struct GitHubApprovalGate: ApprovalGate {
    public let api: any GitHubAPI
    public let requiredApprovals: Int

    public init(api: any GitHubAPI, requiredApprovals: Int) {
        self.api = api
        self.requiredApprovals = requiredApprovals
    }

    public func check(_ pipeline: PipelineRecord) async throws -> PullRequestApproval? {
        let source = pipeline.source
        do {
            return try await evaluate(source)
        } catch let error as StageFailure {
            throw error
        } catch where requiredApprovals == 0 {
            return nil  // only recording: a lookup that failed costs nothing
        }
    }

    private func evaluate(_ source: NewPipeline) async throws -> PullRequestApproval? {
        let pulls = try await api.pullRequests(containing: source.commit, in: source.repository)
        let merged = pulls.filter { $0.isMerged && $0.base.ref == source.branch }
        guard let found = merged.first(where: { $0.mergeCommitSHA == source.commit }) ?? merged.first else {
            guard requiredApprovals > 0 else { return nil }
            throw StageFailure.permanent(
                "approval policy: \(source.commit.prefix(12)) in \(source.repository) did not come from a merged pull request into \(source.branch); \(requiredApprovals) approving review(s) are required before a script runs. Open a pull request for \(source.scriptPath) instead of pushing to \(source.branch).")
        }
        let pull = try await api.pullRequest(found.number, in: source.repository)
        var latest: [String: String] = [:]
        for review in try await api.reviews(of: pull.number, in: source.repository) {
            guard let login = review.user?.login, review.state != "COMMENTED", review.state != "PENDING" else { continue }
            latest[login] = review.state
        }
        let approvers = latest.filter { $0.value == "APPROVED" && $0.key != pull.user.login }.keys.sorted()
        let approval = PullRequestApproval(
            number: pull.number, url: pull.htmlURL, title: pull.title, author: pull.user.login, approvers: approvers,
            mergedBy: pull.mergedBy?.login, requiredApprovals: requiredApprovals)
        if approvers.count < requiredApprovals {
            let who = approvers.isEmpty ? "none" : approvers.joined(separator: ", ")
            throw StageFailure.permanent(
                "approval policy: pull request #\(pull.number) (\(pull.htmlURL)) has \(approvers.count) approving review(s) from someone other than its author \(pull.user.login) (\(who)); \(requiredApprovals) required. \(source.scriptPath) will not run; merge it again through an approved pull request.")
        }
        return approval
    }
}
