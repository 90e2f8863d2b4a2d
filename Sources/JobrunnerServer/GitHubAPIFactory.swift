import JobrunnerCore
import JobrunnerGitHub

/// The GitHub API client the settings allow, if any.
public enum GitHubAPIFactory {
    /// A token gives a client. GitHub App credentials are accepted by the settings, but minting
    /// installation tokens arrives with the git/CLEANUP work; until then they give no client.
    public static func make(_ settings: Settings) -> (any GitHubAPI)? {
        guard let token = settings.githubToken else { return nil }
        return RESTGitHubClient(baseURL: settings.githubAPIURL, credentials: StaticToken(token))
    }
}
