/// Supplies the bearer token for GitHub API calls. A fixed token today; a GitHub App
/// installation token (minted and cached) is another implementation of the same protocol.
public protocol GitHubTokenProvider: Sendable {
    func token() async throws -> String
}

/// `JOBRUNNER_GITHUB_TOKEN`.
public struct StaticToken: GitHubTokenProvider {
    private let value: String
    public init(_ value: String) { self.value = value }
    public func token() async throws -> String { value }
}
