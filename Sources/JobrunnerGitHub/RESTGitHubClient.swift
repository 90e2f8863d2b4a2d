import AsyncHTTPClient
import Foundation
import JobrunnerCore
import NIOCore
import NIOHTTP1

/// `GitHubAPI` over HTTPS with AsyncHTTPClient. Works with github.com and GitHub Enterprise
/// (`JOBRUNNER_GITHUB_API_URL`), follows `Link: rel="next"` pagination; retries and rate limits
/// are the requester's.
public struct RESTGitHubClient: GitHubAPI {
    public let requester: GitHubRequester
    private let credentials: any AccessTokenProvider
    /// Pages to read at most (100 items each).
    private let maxPages: Int

    public var baseURL: String { requester.baseURL }

    public init(requester: GitHubRequester, credentials: any AccessTokenProvider, maxPages: Int = 50) {
        self.requester = requester
        self.credentials = credentials
        self.maxPages = maxPages
    }

    public init(
        baseURL: String, credentials: any AccessTokenProvider, httpClient: HTTPClient = .shared,
        timeout: TimeAmount = .seconds(8), maxPages: Int = 50
    ) {
        self.init(
            requester: GitHubRequester(baseURL: baseURL, httpClient: httpClient, timeout: timeout),
            credentials: credentials, maxPages: maxPages)
    }

    public func compare(_ repository: RepositoryName, base: String, head: String) async throws -> Comparison {
        var comparison = Comparison(commits: [], files: [])
        var first = true
        try await eachPage(
            "\(Self.path(repository))/compare/\(Self.escape(base))...\(Self.escape(head))?per_page=100", repository
        ) { (page: CompareResponse) in
            comparison.commits += page.commits.map {
                Comparison.Commit(sha: $0.sha, message: $0.commit.message, authorLogin: $0.author?.login)
            }
            if first {
                comparison.files = (page.files ?? []).map {
                    Comparison.File(filename: $0.filename, status: $0.status, previousFilename: $0.previousFilename)
                }
                first = false
            }
        }
        return comparison
    }

    public func pullRequests(containing commit: String, in repository: RepositoryName) async throws -> [PullRequest] {
        var pulls: [PullRequest] = []
        try await eachPage("\(Self.path(repository))/commits/\(Self.escape(commit))/pulls?per_page=100", repository) {
            (page: [PullRequest]) in pulls += page
        }
        return pulls
    }

    public func pullRequest(_ number: Int, in repository: RepositoryName) async throws -> PullRequest {
        let path = "\(Self.path(repository))/pulls/\(number)"
        return try await requester.send(.GET, path, token: credentials.token(for: repository))
            .decode(PullRequest.self, url: path)
    }

    public func reviews(of number: Int, in repository: RepositoryName) async throws -> [PullRequestReview] {
        var reviews: [PullRequestReview] = []
        try await eachPage("\(Self.path(repository))/pulls/\(number)/reviews?per_page=100", repository) {
            (page: [PullRequestReview]) in reviews += page
        }
        return reviews
    }

    public func commits(of number: Int, in repository: RepositoryName) async throws -> [PullRequestCommit] {
        var commits: [PullRequestCommit] = []
        try await eachPage("\(Self.path(repository))/pulls/\(number)/commits?per_page=100", repository) {
            (page: [PullRequestCommit]) in commits += page
        }
        return commits
    }

    public func files(of number: Int, in repository: RepositoryName) async throws -> [PullRequestFile] {
        var files: [PullRequestFile] = []
        try await eachPage("\(Self.path(repository))/pulls/\(number)/files?per_page=100", repository) {
            (page: [PullRequestFile]) in files += page
        }
        return files
    }

    public func createStatus(_ status: CommitStatus, commit: String, in repository: RepositoryName) async throws {
        _ = try await requester.send(
            .POST, "\(Self.path(repository))/statuses/\(Self.escape(commit))", token: credentials.token(for: repository),
            body: status)
    }

    public func createComment(_ body: String, onIssue number: Int, in repository: RepositoryName) async throws -> IssueComment {
        let path = "\(Self.path(repository))/issues/\(number)/comments"
        return try await requester.send(.POST, path, token: credentials.token(for: repository), body: CommentBody(body: body))
            .decode(IssueComment.self, url: path)
    }

    public func updateComment(_ id: Int64, body: String, in repository: RepositoryName) async throws -> IssueComment {
        let path = "\(Self.path(repository))/issues/comments/\(id)"
        return try await requester.send(.PATCH, path, token: credentials.token(for: repository), body: CommentBody(body: body))
            .decode(IssueComment.self, url: path)
    }

    private struct CommentBody: Encodable, Sendable { var body: String }

    /// GETs `path` and every `rel="next"` page after it.
    private func eachPage<Page: Decodable>(
        _ path: String, _ repository: RepositoryName, _ body: (Page) throws -> Void
    ) async throws {
        var next: String? = path
        var pages = 0
        while let url = next {
            pages += 1
            guard pages <= maxPages else {
                throw GitHubAPIError.invalidResponse(url: url, reason: "more than \(maxPages) pages")
            }
            let response = try await requester.send(.GET, url, token: credentials.token(for: repository))
            try body(response.decode(Page.self, url: url))
            next = Self.nextLink(response.headers["Link"].first)
        }
    }

    static func path(_ repository: RepositoryName) -> String {
        "/repos/\(escape(repository.owner))/\(escape(repository.name))"
    }

    /// The `rel="next"` URL of a `Link` header.
    static func nextLink(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count >= 2, pieces.dropFirst().contains(where: { $0 == "rel=\"next\"" }),
                pieces[0].hasPrefix("<"), pieces[0].hasSuffix(">")
            else { continue }
            return String(pieces[0].dropFirst().dropLast())
        }
        return nil
    }

    static func escape(_ ref: String) -> String {
        ref.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#"))) ?? ref
    }

    private struct CompareResponse: Decodable {
        struct CommitEntry: Decodable {
            struct Inner: Decodable { var message: String }
            struct Author: Decodable { var login: String }
            var sha: String
            var commit: Inner
            var author: Author?
        }
        struct FileEntry: Decodable {
            var filename: String
            var status: String
            var previousFilename: String?
            enum CodingKeys: String, CodingKey {
                case filename, status
                case previousFilename = "previous_filename"
            }
        }
        var commits: [CommitEntry]
        var files: [FileEntry]?
    }
}
