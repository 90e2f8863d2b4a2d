import Foundation
import JobrunnerCore

/// The GitHub REST API, as far as Jobrunner uses it beyond git data. One real implementation
/// (`RESTGitHubClient`); tests run it against local stand-ins that answer in GitHub's
/// documented shapes.
public protocol GitHubAPI: Sendable {
    /// `GET /repos/{owner}/{repo}/compare/{base}...{head}`, every page of commits.
    func compare(_ repository: RepositoryName, base: String, head: String) async throws -> Comparison
    /// `GET /repos/{owner}/{repo}/commits/{sha}/pulls`: pull requests that contain the commit.
    func pullRequests(containing commit: String, in repository: RepositoryName) async throws -> [PullRequest]
    /// `GET /repos/{owner}/{repo}/pulls/{number}` (the only answer with `merged_by`).
    func pullRequest(_ number: Int, in repository: RepositoryName) async throws -> PullRequest
    /// `GET /repos/{owner}/{repo}/pulls/{number}/reviews`, every page, oldest first.
    func reviews(of number: Int, in repository: RepositoryName) async throws -> [PullRequestReview]
    /// `GET /repos/{owner}/{repo}/pulls/{number}/commits`, every page (GitHub lists up to 250).
    func commits(of number: Int, in repository: RepositoryName) async throws -> [PullRequestCommit]
    /// `GET /repos/{owner}/{repo}/pulls/{number}/files`, every page (GitHub lists up to 3000).
    func files(of number: Int, in repository: RepositoryName) async throws -> [PullRequestFile]
    /// `POST /repos/{owner}/{repo}/statuses/{sha}`.
    func createStatus(_ status: CommitStatus, commit: String, in repository: RepositoryName) async throws
    /// `POST /repos/{owner}/{repo}/issues/{number}/comments`.
    func createComment(_ body: String, onIssue number: Int, in repository: RepositoryName) async throws -> IssueComment
    /// `PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}`.
    func updateComment(_ id: Int64, body: String, in repository: RepositoryName) async throws -> IssueComment
}

/// A comment on an issue or pull request, as GitHub answers it.
public struct IssueComment: Sendable, Equatable, Decodable {
    public var id: Int64
    public var htmlURL: String

    public init(id: Int64, htmlURL: String) {
        self.id = id
        self.htmlURL = htmlURL
    }

    enum CodingKeys: String, CodingKey {
        case id
        case htmlURL = "html_url"
    }
}

/// The result of comparing two commits.
public struct Comparison: Sendable, Equatable {
    public var commits: [Commit]
    /// Files changed between the merge base and head. GitHub lists them on the first page only,
    /// and at most `fileLimit` of them.
    public var files: [File]

    public static let fileLimit = 300

    public struct Commit: Sendable, Equatable {
        public var sha: String
        public var message: String
        public var authorLogin: String?

        public init(sha: String, message: String, authorLogin: String?) {
            self.sha = sha
            self.message = message
            self.authorLogin = authorLogin
        }
    }

    public struct File: Sendable, Equatable {
        public var filename: String
        /// added, removed, modified, renamed, copied, changed, unchanged
        public var status: String
        public var previousFilename: String?

        public init(filename: String, status: String, previousFilename: String? = nil) {
            self.filename = filename
            self.status = status
            self.previousFilename = previousFilename
        }
    }

    public init(commits: [Commit], files: [File]) {
        self.commits = commits
        self.files = files
    }
}

/// A pull request, as far as approval and feedback need it.
public struct PullRequest: Sendable, Equatable, Decodable {
    public struct User: Sendable, Equatable, Decodable {
        public var login: String
        public init(login: String) { self.login = login }
    }
    /// The repository a side of the pull request lives in; nil when a fork was deleted.
    public struct Repository: Sendable, Equatable, Decodable {
        public var fullName: String
        public init(fullName: String) { self.fullName = fullName }
        enum CodingKeys: String, CodingKey { case fullName = "full_name" }
    }
    public struct Base: Sendable, Equatable, Decodable {
        public var ref: String
        public var repo: Repository?
        public init(ref: String, repo: Repository? = nil) {
            self.ref = ref
            self.repo = repo
        }
    }
    public struct Head: Sendable, Equatable, Decodable {
        public var sha: String
        public var repo: Repository?
        public init(sha: String, repo: Repository? = nil) {
            self.sha = sha
            self.repo = repo
        }
    }

    public var number: Int
    public var title: String
    public var htmlURL: String
    public var user: User
    public var base: Base
    /// The pull request's final head commit: approvals of older heads are stale.
    public var head: Head?
    public var mergedAt: String?
    public var mergeCommitSHA: String?
    /// Only in the single pull request answer.
    public var mergedBy: User?

    public var isMerged: Bool { mergedAt != nil }

    /// `open` or `closed` (nil in shapes that leave it out).
    public var state: String?

    /// Whether its head lives in another repository than its base: a fork, whose code anyone
    /// may have written. A deleted fork counts as one.
    public var isFromFork: Bool { head?.repo?.fullName != base.repo?.fullName || head?.repo == nil }

    /// The pull requests among `pulls` merged into `branch`, and the one whose merge made
    /// `commit`: its merge commit, or — a rebase or fast-forward merge leaves none — the only
    /// merged pull request that contains it.
    public static func merging(_ commit: String, into branch: String, among pulls: [PullRequest]) -> (
        merging: PullRequest?, merged: [PullRequest]
    ) {
        let merged = pulls.filter { $0.isMerged && $0.base.ref == branch }
        return (merged.first { $0.mergeCommitSHA == commit } ?? (merged.count == 1 ? merged.first : nil), merged)
    }

    enum CodingKeys: String, CodingKey {
        case number, title, user, base, head, state
        case htmlURL = "html_url"
        case mergedAt = "merged_at"
        case mergeCommitSHA = "merge_commit_sha"
        case mergedBy = "merged_by"
    }

    public init(
        number: Int, title: String, htmlURL: String, user: User, base: Base, mergedAt: String?, mergeCommitSHA: String?,
        mergedBy: User? = nil, head: Head? = nil
    ) {
        self.head = head
        self.number = number
        self.title = title
        self.htmlURL = htmlURL
        self.user = user
        self.base = base
        self.mergedAt = mergedAt
        self.mergeCommitSHA = mergeCommitSHA
        self.mergedBy = mergedBy
    }
}

/// One review of a pull request.
public struct PullRequestReview: Sendable, Equatable, Decodable {
    public var id: Int
    /// Nil when the reviewer's account was deleted ("ghost").
    public var user: PullRequest.User?
    /// APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING.
    public var state: String
    /// The head commit the review was given on.
    public var commitID: String?
    /// The reviewer's relation to the repository: OWNER, MEMBER and COLLABORATOR can write.
    public var authorAssociation: String?

    enum CodingKeys: String, CodingKey {
        case id, user, state
        case commitID = "commit_id"
        case authorAssociation = "author_association"
    }

    public init(id: Int, user: PullRequest.User?, state: String, commitID: String? = nil, authorAssociation: String? = nil) {
        self.id = id
        self.user = user
        self.state = state
        self.commitID = commitID
        self.authorAssociation = authorAssociation
    }

    /// The review as the approval rule reads it.
    public var forApproval: ApprovingReviews.Review {
        ApprovingReviews.Review(login: user?.login, state: state, commitID: commitID, authorAssociation: authorAssociation)
    }
}

/// One file a pull request changes.
public struct PullRequestFile: Sendable, Equatable, Decodable {
    public var filename: String
    /// added, removed, modified, renamed, copied, changed, unchanged
    public var status: String
    /// The blob at the head (for a removed file, the one removed).
    public var sha: String?

    public init(filename: String, status: String, sha: String?) {
        self.filename = filename
        self.status = status
        self.sha = sha
    }
}

/// One commit of a pull request, with the GitHub accounts that wrote and committed it.
public struct PullRequestCommit: Sendable, Equatable, Decodable {
    public var sha: String
    /// Nil when the commit's e-mail belongs to no GitHub account.
    public var author: PullRequest.User?
    public var committer: PullRequest.User?

    public init(sha: String, author: PullRequest.User?, committer: PullRequest.User?) {
        self.sha = sha
        self.author = author
        self.committer = committer
    }
}

/// A commit status (`POST /repos/{owner}/{repo}/statuses/{sha}`).
public struct CommitStatus: Sendable, Equatable, Encodable {
    public enum State: String, Sendable, Encodable {
        case pending, success, failure, error
    }

    public var state: State
    public var targetURL: String?
    /// GitHub keeps at most 140 characters.
    public var description: String
    public var context: String

    enum CodingKeys: String, CodingKey {
        case state, description, context
        case targetURL = "target_url"
    }

    public init(state: State, targetURL: String?, description: String, context: String = "jobrunner") {
        self.state = state
        self.targetURL = targetURL
        self.description = String(description.prefix(140))
        self.context = context
    }
}

/// A failed GitHub API call.
public enum GitHubAPIError: Error, Sendable, Equatable, CustomStringConvertible, ClassifiedError {
    case http(status: Int, url: String, message: String)
    case rateLimited(url: String, resetAt: Int?, retryAfter: Duration? = nil)
    case transport(url: String, reason: String)
    case invalidResponse(url: String, reason: String)

    public var description: String {
        switch self {
        case let .http(status, url, message): "GitHub answered \(status) for \(url): \(message)"
        case let .rateLimited(url, reset, retryAfter):
            "GitHub rate limit reached for \(url)" + (reset.map { "; it resets at unix time \($0)" } ?? "")
                + (retryAfter.map { "; retry after \($0)" } ?? "")
        case let .transport(url, reason): "could not reach GitHub at \(url): \(reason)"
        case let .invalidResponse(url, reason): "unexpected answer from GitHub for \(url): \(reason)"
        }
    }

    /// Rate limits, 5xx and network trouble pass; 4xx (bad token, missing repository) do not.
    public var failureKind: FailureKind {
        switch self {
        case .http(let status, _, _): status >= 500 || status == 408 || status == 429 ? .transient : .permanent
        case .rateLimited, .transport: .transient
        case .invalidResponse: .permanent
        }
    }
}
