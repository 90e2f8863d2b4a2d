/// The parts of GitHub's `pull_request` and `pull_request_review` webhook payloads Jobrunner
/// reads: which pull request, its head and base, and whether it is open. Both events carry the
/// same `pull_request` object; what the review said is read from the API when the pull request
/// is evaluated, so a redelivered or out-of-order event cannot count a stale review.
/// https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request
public struct PullRequestEvent: Decodable, Sendable, Equatable {
    public var action: String
    public var pullRequest: PullRequestPayload
    public var repository: PushEvent.Repository

    public struct PullRequestPayload: Decodable, Sendable, Equatable {
        public var number: Int
        /// open or closed.
        public var state: String
        public var title: String?
        public var htmlURL: String?
        public var head: Side
        public var base: Side

        enum CodingKeys: String, CodingKey {
            case number, state, title, head, base
            case htmlURL = "html_url"
        }
    }

    public struct Side: Decodable, Sendable, Equatable {
        public var ref: String
        public var sha: String
    }

    enum CodingKeys: String, CodingKey {
        case action, repository
        case pullRequest = "pull_request"
    }

    /// Actions of `pull_request` that change what a dry run would run or whether it may.
    public static let pullRequestActions: Set<String> = ["opened", "synchronize", "reopened", "closed", "edited"]
    /// Actions of `pull_request_review` that change the approvals.
    public static let reviewActions: Set<String> = ["submitted", "dismissed", "edited"]

    /// A body whose commit ids are not 40 hex digits is refused, like a push's.
    public func validated() throws -> PullRequestEvent {
        for (field, sha) in [("pull_request.head.sha", pullRequest.head.sha), ("pull_request.base.sha", pullRequest.base.sha)]
        where !PushEvent.isObjectID(sha) {
            throw WebhookPayloadError("field \(field) is not a commit id (40 or 64 hex digits): '\(sha.prefix(80))'")
        }
        guard pullRequest.number > 0 else { throw WebhookPayloadError("field pull_request.number is not a pull request number") }
        return self
    }
}
