import JobrunnerCore

/// The approval policy through the GitHub API: the pushed commit must come from a merged pull
/// request into the branch — the one that merged it (its merge commit), not any pull request
/// that happens to contain it — with at least `requiredApprovals` approving reviews given on its
/// final head commit (an approval of an earlier head is stale) by people who neither opened it nor
/// wrote or committed any of its commits. A reviewer's latest decision counts; a later "changes
/// requested" or a dismissal withdraws an approval. With `requiredApprovals == 0` it only looks
/// the pull request up for the log, and never fails the pipeline for it.
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
        let (merging, merged) = PullRequest.merging(
            source.commit, into: source.branch, among: try await api.pullRequests(containing: source.commit, in: source.repository))
        guard let found = merging else {
            guard requiredApprovals > 0 else { return nil }
            let why = merged.isEmpty
                ? "did not come from a merged pull request into \(source.branch)"
                : "is contained in \(merged.count) merged pull requests (\(merged.map { "#\($0.number)" }.joined(separator: ", "))) and none of them merged it"
            throw StageFailure.permanent(
                "approval policy: \(source.commit.prefix(12)) in \(source.repository) \(why); \(requiredApprovals) approving review(s) are required before a script runs. Open a pull request for \(source.scriptPath) instead of pushing to \(source.branch).")
        }
        let pull = try await api.pullRequest(found.number, in: source.repository)
        let (approvers, excluded) = try await api.approvers(of: pull, in: source.repository, requireWriteAccess: false)
        let approval = PullRequestApproval(
            number: pull.number, url: pull.htmlURL, title: pull.title, author: pull.user.login, approvers: approvers,
            mergedBy: pull.mergedBy?.login, requiredApprovals: requiredApprovals)
        if approvers.count < requiredApprovals {
            let who = approvers.isEmpty ? "none" : approvers.joined(separator: ", ")
            throw StageFailure.permanent(
                "approval policy: pull request #\(pull.number) (\(pull.htmlURL)) has \(approvers.count) approving review(s) of its final commit \((pull.head?.sha).map { String($0.prefix(12)) } ?? "unknown") from someone other than its author and committers \(excluded.sorted().joined(separator: ", ")) (\(who)); \(requiredApprovals) required. \(source.scriptPath) will not run; merge it again through an approved pull request.")
        }
        return approval
    }
}

extension GitHubAPI {
    /// Who approves `pull`'s head (`ApprovingReviews`), read from its reviews and commits, and who
    /// may not: its author and whoever wrote or committed its code (GitHub's `web-flow` commits
    /// merges made in the browser for their author, so it is not counted).
    func approvers(of pull: PullRequest, in repository: RepositoryName, requireWriteAccess: Bool) async throws
        -> (approvers: [String], excluded: Set<String>)
    {
        let contributors = try await commits(of: pull.number, in: repository)
            .flatMap { [$0.author?.login, $0.committer?.login] }.compactMap { $0 }.filter { $0 != "web-flow" }
        let excluded = Set([pull.user.login] + contributors)
        let approvers = ApprovingReviews.approvers(
            of: pull.head?.sha, reviews: try await reviews(of: pull.number, in: repository).map(\.forApproval),
            excluded: excluded, requireWriteAccess: requireWriteAccess)
        return (approvers, excluded)
    }
}
