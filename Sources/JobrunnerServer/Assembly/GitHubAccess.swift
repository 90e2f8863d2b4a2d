import Foundation
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerStages
import JobrunnerStore
import NIOCore

/// Everything the settings allow on GitHub: credentials (a token or a GitHub App), the REST
/// client, the approval gate and the feedback channels.
public struct GitHubAccess: Sendable {
    public let credentials: (any AccessTokenProvider)?
    public let settings: Settings
    public let requester: GitHubRequester

    /// Reads the App's private key when one is configured; its problems are the operator's.
    public init(settings: Settings, clock: any JobClock = SystemClock()) throws {
        self.settings = settings
        requester = GitHubRequester(baseURL: settings.githubAPIURL, clock: clock)
        if let appID = settings.githubAppID, let keyPath = settings.githubAppPrivateKeyPath {
            do {
                credentials = try GitHubAppCredentials(
                    appID: appID, privateKeyPEM: try GitHubAppCredentials.privateKey(atPath: keyPath), requester: requester,
                    clock: clock)
            } catch {
                throw SettingsError(.githubAppPrivateKeyPath, "\(error)")
            }
        } else {
            credentials = settings.githubToken.map { StaticToken($0) }
        }
    }

    /// The REST client for the stages (retries with backoff).
    public var api: (any GitHubAPI)? {
        credentials.map { RESTGitHubClient(requester: requester, credentials: $0) }
    }

    /// The REST client for webhook intake, which must answer GitHub within its 10 s budget: one
    /// quick retry, no waiting for rate limits.
    public var intakeAPI: (any GitHubAPI)? {
        credentials.map {
            RESTGitHubClient(requester: .forIntake(baseURL: settings.githubAPIURL), credentials: $0)
        }
    }

    /// The REST client for calls whose failure costs nothing and that must not hold anything:
    /// the feedback outbox (it retries with its own backoff and defers rate limits) and the pull
    /// request lookup for the log when the approval policy is off. One quick retry.
    public var bestEffortAPI: (any GitHubAPI)? {
        credentials.map {
            RESTGitHubClient(requester: .forFeedback(baseURL: settings.githubAPIURL), credentials: $0)
        }
    }

    /// The Git Data API backend (`JOBRUNNER_GIT_BACKEND=github-api`).
    public var gitBackend: (any GitBackend)? {
        credentials.map { GitHubAPIBackend(requester: requester, credentials: $0) }
    }

    /// The approval policy, or only the pull request lookup for the log when the policy is off.
    public var approvalGate: (any ApprovalGate)? {
        (settings.requiredApprovals > 0 ? api : bestEffortAPI).map {
            GitHubApprovalGate(api: $0, requiredApprovals: settings.requiredApprovals)
        }
    }

    /// Links to a committed file: on the GitHub the API points at, or on github.com when that is
    /// the remote; nil for other hosts, whose file URLs are unknown.
    public var fileURLTemplate: String? {
        guard credentials != nil || settings.gitRemoteTemplate.hasPrefix("https://github.com/") else { return nil }
        return settings.githubWebURL + "/{repository}/blob/{commit}/{path}"
    }
}
