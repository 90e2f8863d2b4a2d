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
            let pem: String
            do {
                pem = try String(contentsOfFile: keyPath, encoding: .utf8)
            } catch {
                throw SettingsError(.githubAppPrivateKeyPath, "\(keyPath) cannot be read: \(error.localizedDescription)")
            }
            do {
                credentials = try GitHubAppCredentials(appID: appID, privateKeyPEM: pem, requester: requester, clock: clock)
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
            RESTGitHubClient(
                requester: GitHubRequester(
                    baseURL: settings.githubAPIURL, timeout: .seconds(8), maxAttempts: 2, backoff: [.milliseconds(300)],
                    maxRateLimitWait: .zero),
                credentials: $0)
        }
    }

    /// The Git Data API backend (`JOBRUNNER_GIT_BACKEND=github-api`).
    public var gitBackend: (any GitBackend)? {
        credentials.map { GitHubAPIBackend(requester: requester, credentials: $0) }
    }

    /// The approval policy, or only the pull request lookup for the log when the policy is off.
    public var approvalGate: (any ApprovalGate)? {
        api.map { GitHubApprovalGate(api: $0, requiredApprovals: settings.requiredApprovals) }
    }

    /// Commit statuses and pull request comments (with API access), and signed callbacks.
    public var feedbackChannels: [any FeedbackChannel] {
        var channels: [any FeedbackChannel] = []
        if let api {
            channels.append(CommitStatusChannel(api: api, dashboardURL: settings.publicURL))
            channels.append(PullRequestCommentChannel(api: api))
        }
        if !settings.callbackURLs.isEmpty, let secret = settings.callbackSecret {
            channels.append(CallbackChannel(urls: settings.callbackURLs, secret: secret))
        }
        return channels
    }

    /// Links to a committed file: on the GitHub the API points at, or on github.com when that is
    /// the remote; nil for other hosts, whose file URLs are unknown.
    public var fileURLTemplate: String? {
        guard credentials != nil || settings.gitRemoteTemplate.hasPrefix("https://github.com/") else { return nil }
        return settings.githubWebURL + "/{repository}/blob/{commit}/{path}"
    }
}
