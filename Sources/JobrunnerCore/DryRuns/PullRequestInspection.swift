/// Reads what a dry-run decision needs of a pull request from the forge, now (not from the
/// event, which may be stale or redelivered out of order). One real implementation (GitHub's
/// REST API); tests run it against the GitHub stand-in.
public protocol PullRequestInspector: Sendable {
    func inspect(_ repository: RepositoryName, number: Int) async throws -> InspectedPullRequest
}

/// A pull request as an inspection found it.
public struct InspectedPullRequest: Sendable, Equatable {
    public var facts: DryRunEligibility.Facts
    public var title: String
    public var url: String

    public init(facts: DryRunEligibility.Facts, title: String, url: String) {
        self.facts = facts
        self.title = title
        self.url = url
    }
}

/// Publishes a pull request's dry-run report: creates or edits its one comment, sets its head's
/// commit status. Returns the comment (nil when there was nothing to say).
public protocol DryRunPublisher: Sendable {
    func publish(_ report: DryRunReport, for pull: DryRunPullRequest) async throws -> (commentID: Int64, url: String)?
}
