import Foundation

/// The name of every setting Jobrunner reads: its environment variable. The same names are used
/// in the optional config file (`JOBRUNNER_CONFIG_FILE`, `KEY=value` lines). What each means,
/// its type, default and secrecy are declared once, in `SettingsTable` (JobrunnerServer), which
/// the loader, `jobrunner settings`, the README check and secret masking all read.
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
    case gitTimeout = "JOBRUNNER_GIT_TIMEOUT"
    case gitDeadline = "JOBRUNNER_GIT_DEADLINE"
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
    case scriptIsolation = "JOBRUNNER_SCRIPT_ISOLATION"
    case scriptSharedDirectories = "JOBRUNNER_SCRIPT_SHARED_DIRS"
    case appDirectory = "JOBRUNNER_APP_DIR"
    case scriptEnvironmentFile = "JOBRUNNER_SCRIPT_ENV_FILE"
    case python = "JOBRUNNER_PYTHON"
    case appRevision = "JOBRUNNER_APP_REVISION"
    case deployWait = "JOBRUNNER_DEPLOY_WAIT"
    case repositoryTreeLimit = "JOBRUNNER_REPOSITORY_TREE_LIMIT"
    case toolchainsFile = "JOBRUNNER_TOOLCHAINS_FILE"
    case workers = "JOBRUNNER_WORKERS"
    case leaseDuration = "JOBRUNNER_LEASE_DURATION"
    case shutdownGracePeriod = "JOBRUNNER_SHUTDOWN_GRACE_PERIOD"
    case retention = "JOBRUNNER_RETENTION"
    case logLevel = "JOBRUNNER_LOG_LEVEL"
    case logFormat = "JOBRUNNER_LOG_FORMAT"

    /// The key swift-configuration looks up (`JOBRUNNER_HTTP_PORT` ↔ `jobrunner.http.port`).
    public var configKey: String { rawValue.lowercased().replacingOccurrences(of: "_", with: ".") }
}
