import JobrunnerCore

/// Web links to commits, pull requests and files — on GitHub (or GitHub Enterprise) when the
/// repositories live there; none for other git hosts, whose URL schemes are unknown.
public struct RepositoryLinks: Sendable, Equatable {
    /// e.g. `https://github.com`; nil: no links.
    public var webURL: String?

    public init(webURL: String?) { self.webURL = webURL }

    /// Links when the remote is GitHub or GitHub credentials say the repositories are there.
    public init(settings: Settings) {
        let onGitHub = settings.hasGitHubAPIAccess || settings.gitRemoteTemplate.hasPrefix("https://github.com/")
        self.init(webURL: onGitHub ? settings.githubWebURL : nil)
    }

    public func commit(_ repository: RepositoryName, _ sha: String) -> String? {
        webURL.map { "\($0)/\(repository.rawValue)/commit/\(sha)" }
    }

    public func pullRequest(_ repository: RepositoryName, _ number: Int?) -> String? {
        guard let number else { return nil }
        return webURL.map { "\($0)/\(repository.rawValue)/pull/\(number)" }
    }

    public func file(_ repository: RepositoryName, ref: String, path: String) -> String? {
        webURL.map { "\($0)/\(repository.rawValue)/blob/\(ref)/\(path)" }
    }
}
