import Foundation

/// Every setting Jobrunner reads, by its environment variable name. The same names are used
/// in the optional config file (`JOBRUNNER_CONFIG_FILE`, `KEY=value` lines), so one table
/// documents both — `jobrunner settings` prints it and the README reproduces it.
public enum Setting: String, CaseIterable, Sendable {
    case configFile = "JOBRUNNER_CONFIG_FILE"
    case webhookSecret = "JOBRUNNER_WEBHOOK_SECRET"
    case webhookPreviousSecret = "JOBRUNNER_WEBHOOK_PREVIOUS_SECRET"
    case webhookMaxBodySize = "JOBRUNNER_WEBHOOK_MAX_BODY_SIZE"
    case repositories = "JOBRUNNER_REPOSITORIES"
    case branch = "JOBRUNNER_BRANCH"
    case jobsDirectory = "JOBRUNNER_JOBS_DIR"
    case logsDirectory = "JOBRUNNER_LOGS_DIR"
    case databaseURL = "JOBRUNNER_DATABASE_URL"
    case dataDirectory = "JOBRUNNER_DATA_DIR"
    case gitBackend = "JOBRUNNER_GIT_BACKEND"
    case gitRemote = "JOBRUNNER_GIT_REMOTE"
    case botName = "JOBRUNNER_BOT_NAME"
    case botEmail = "JOBRUNNER_BOT_EMAIL"
    case skipCI = "JOBRUNNER_SKIP_CI"
    case githubAPIURL = "JOBRUNNER_GITHUB_API_URL"
    case githubToken = "JOBRUNNER_GITHUB_TOKEN"
    case githubAppID = "JOBRUNNER_GITHUB_APP_ID"
    case githubAppPrivateKeyPath = "JOBRUNNER_GITHUB_APP_PRIVATE_KEY_PATH"
    case requiredApprovals = "JOBRUNNER_REQUIRED_APPROVALS"
    case callbackURLs = "JOBRUNNER_CALLBACK_URLS"
    case callbackSecret = "JOBRUNNER_CALLBACK_SECRET"
    case publicURL = "JOBRUNNER_PUBLIC_URL"
    case dashboardToken = "JOBRUNNER_DASHBOARD_TOKEN"
    case sessionLifetime = "JOBRUNNER_SESSION_LIFETIME"
    case metricsPublic = "JOBRUNNER_METRICS_PUBLIC"
    case httpHost = "JOBRUNNER_HTTP_HOST"
    case httpPort = "JOBRUNNER_HTTP_PORT"
    case scriptEnvironment = "JOBRUNNER_SCRIPT_ENV"
    case secrets = "JOBRUNNER_SECRETS"
    case executeTimeout = "JOBRUNNER_EXECUTE_TIMEOUT"
    case toolchainsFile = "JOBRUNNER_TOOLCHAINS_FILE"
    case workers = "JOBRUNNER_WORKERS"
    case leaseDuration = "JOBRUNNER_LEASE_DURATION"
    case shutdownGracePeriod = "JOBRUNNER_SHUTDOWN_GRACE_PERIOD"
    case retention = "JOBRUNNER_RETENTION"
    case logLevel = "JOBRUNNER_LOG_LEVEL"
    case logFormat = "JOBRUNNER_LOG_FORMAT"

    /// The key swift-configuration looks up (`JOBRUNNER_HTTP_PORT` ↔ `jobrunner.http.port`).
    public var configKey: String { rawValue.lowercased().replacingOccurrences(of: "_", with: ".") }

    /// Whether the value must never be printed or logged.
    public var isSecret: Bool {
        self == .webhookSecret || self == .webhookPreviousSecret || self == .githubToken || self == .dashboardToken
            || self == .callbackSecret
    }

    /// What it does and its default, in one line.
    public var summary: String {
        switch self {
        case .configFile: "optional file of KEY=value lines with any of these settings; the environment wins"
        case .webhookSecret: "secret of the GitHub webhook (required by `serve`; `serve --dev` generates one)"
        case .webhookPreviousSecret: "the secret being rotated out: deliveries signed with it are still accepted until it is removed"
        case .webhookMaxBodySize: "largest webhook body accepted, e.g. 5MiB or 5242880 (default: 5MiB); larger bodies get 413"
        case .repositories: "owner/name of each repository to accept pushes from, comma-separated (required by `serve`)"
        case .branch: "branch whose pushes run scripts (default: the repository's default branch)"
        case .jobsDirectory: "directory holding scripts (default: jobs)"
        case .logsDirectory: "directory CLEANUP commits execution logs to (default: jobrunner-logs)"
        case .databaseURL: "SQLite file path or sqlite:PATH (default: DATA_DIR/jobrunner.sqlite); postgres://… for PostgreSQL"
        case .dataDirectory: "where the database, clones and work directories live (default: ./data)"
        case .gitBackend: "libgit2 or github-api (default: libgit2)"
        case .gitRemote: "clone URL template with {repository} (default: https://github.com/{repository}.git)"
        case .botName: "author and committer name of CLEANUP commits (default: jobrunner[bot])"
        case .botEmail: "author and committer e-mail of CLEANUP commits (default: jobrunner[bot]@users.noreply.github.com)"
        case .skipCI: "true or false: put [skip ci] in CLEANUP commit messages (default: true)"
        case .githubAPIURL: "GitHub REST API base URL (default: https://api.github.com; GitHub Enterprise: https://HOST/api/v3)"
        case .githubToken: "token for git and the GitHub API"
        case .githubAppID: "GitHub App id (instead of a token)"
        case .githubAppPrivateKeyPath: "PEM private key of the GitHub App"
        case .requiredApprovals:
            "approval policy: approving reviews (not by the author) a merged pull request needs before its scripts run; needs GitHub API access (default: 0, off)"
        case .callbackURLs: "URLs that get a signed JSON POST when a pipeline succeeds or fails, comma-separated"
        case .callbackSecret: "HMAC-SHA256 secret callbacks are signed with (X-Hub-Signature-256); required with JOBRUNNER_CALLBACK_URLS"
        case .publicURL: "where people reach this service, e.g. https://jobrunner.example.com; links in commit statuses point there"
        case .dashboardToken:
            "operators' tokens for the dashboard and the API: one token, or name:token pairs, comma-separated (at least 16 characters each; the name is recorded with every retry and cancel); without it the dashboard and API are closed"
        case .sessionLifetime: "how long a dashboard login lasts, e.g. 8h (default: 12h)"
        case .metricsPublic: "true: /metrics answers without a token (default: false — Prometheus sends a dashboard token as Bearer)"
        case .httpHost: "address the HTTP server binds (default: 127.0.0.1)"
        case .httpPort: "port the HTTP server listens on (default: 8080)"
        case .scriptEnvironment: "names of environment variables passed through to scripts, comma-separated"
        case .secrets: "names of environment variables whose values are masked (***) in everything stored or committed"
        case .toolchainsFile: "optional JSON file of extra toolchains (extension, build or check command, run command); see docs/scripts.md"
        case .executeTimeout: "time limit of one script run, e.g. 90s, 10m, 1h (default: 1h)"
        case .workers: "concurrent stage workers in this process (default: 4; 0 with `serve` = intake and dashboard only)"
        case .leaseDuration: "how long a claimed stage is held without renewal before it is rescued (default: 60s)"
        case .shutdownGracePeriod: "how long running stages may finish after SIGTERM (default: 30s)"
        case .retention:
            "how long finished pipelines, their output and deliveries stay in the database, e.g. 30d (default: 90d; 0 keeps them forever); the committed logs are the lasting record"
        case .logLevel: "trace, debug, info, notice, warning, error or critical (default: info)"
        case .logFormat: "plain or json (one JSON object per line) (default: plain)"
        }
    }
}
