import JobrunnerCore

/// The GitHub REST API, as far as Jobrunner uses it. One real implementation
/// (`RESTGitHubClient`); tests run it against a local stand-in that answers in GitHub's
/// documented shapes.
public protocol GitHubAPI: Sendable {
    /// `GET /repos/{owner}/{repo}/compare/{base}...{head}`, every page of commits.
    func compare(_ repository: RepositoryName, base: String, head: String) async throws -> Comparison
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

/// A failed GitHub API call.
public enum GitHubAPIError: Error, Sendable, Equatable, CustomStringConvertible, ClassifiedError {
    case http(status: Int, url: String, message: String)
    case rateLimited(url: String, resetAt: Int?)
    case transport(url: String, reason: String)
    case invalidResponse(url: String, reason: String)

    public var description: String {
        switch self {
        case let .http(status, url, message): "GitHub answered \(status) for \(url): \(message)"
        case let .rateLimited(url, reset):
            "GitHub rate limit reached for \(url)" + (reset.map { "; it resets at unix time \($0)" } ?? "")
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
