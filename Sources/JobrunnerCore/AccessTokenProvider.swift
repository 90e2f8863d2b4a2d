/// Supplies the token for git over HTTPS and for GitHub API calls on one repository. A fixed
/// token (`JOBRUNNER_GITHUB_TOKEN`) or a GitHub App installation token, minted per
/// installation and cached until shortly before it expires.
public protocol AccessTokenProvider: Sendable {
    func token(for repository: RepositoryName) async throws -> String
}

/// `JOBRUNNER_GITHUB_TOKEN`: the same token for every repository.
public struct StaticToken: AccessTokenProvider {
    private let value: String
    public init(_ value: String) { self.value = value }
    public func token(for repository: RepositoryName) async throws -> String { value }
}
