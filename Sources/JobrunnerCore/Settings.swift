import Foundation
import Logging

/// Where pipelines are stored.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    /// Accepts a file path, `sqlite:PATH`, `sqlite://PATH`, `file:PATH`, or `postgres(ql)://…`.
    public init?(parsing text: String) {
        let lower = text.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            self = .postgres(url: text)
            return
        }
        for prefix in ["sqlite://", "sqlite:", "file://", "file:"] where lower.hasPrefix(prefix) {
            let path = String(text.dropFirst(prefix.count))
            guard !path.isEmpty else { return nil }
            self = .sqlite(path: path)
            return
        }
        guard !text.isEmpty, !text.contains("://") else { return nil }
        self = .sqlite(path: text)
    }

    /// For logs and error messages: never includes a password.
    public var redacted: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url):
            guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
            return String(url[..<scheme.upperBound]) + "***@" + String(url[url.index(after: at)...])
        }
    }
}

public enum GitBackendKind: String, Sendable, CaseIterable {
    case libgit2
    case githubAPI = "github-api"
}

public enum LogFormat: String, Sendable, CaseIterable {
    case plain
    case json
}

/// All of Jobrunner's configuration, validated. Built by the settings loader from the
/// environment and the optional config file; every command reads only this.
///
/// The defaults live here, once: the settings table (`SettingsTable` in JobrunnerServer) shows
/// them from a default `Settings()` and the loader starts from one.
public struct Settings: Sendable, Equatable {
    /// The current secret first, then the one being rotated out, if any.
    public var webhookSecrets: [String]
    /// `serve` refuses a shorter webhook secret.
    public static let minimumWebhookSecretLength = 12
    public var webhookMaxBodySize: Int
    public var repositories: [RepositoryName]
    public var branch: String?
    public var jobsDirectory: String
    public var logsDirectory: String
    public var dataDirectory: String {
        didSet {
            // The default database follows the data directory; a configured one stays.
            if database == Self.defaultDatabase(in: oldValue) { database = Self.defaultDatabase(in: dataDirectory) }
        }
    }
    public var database: DatabaseLocation
    public var gitBackend: GitBackendKind
    public var gitRemoteTemplate: String
    /// A git fetch or push whose remote makes no progress for this long fails (transient).
    public var gitTimeout: Duration = .seconds(30)
    /// The longest one git fetch or push may take.
    public var gitDeadline: Duration = .seconds(600)
    public var botName: String = "jobrunner[bot]"
    public var botEmail: String = "jobrunner[bot]@users.noreply.github.com"
    public var skipCI: Bool = true
    public var githubAPIURL: String
    public var githubToken: String?
    public var githubAppID: String?
    public var githubAppPrivateKeyPath: String?
    public var requiredApprovals: Int = 0
    public var callbackURLs: [String] = []
    public var callbackSecret: String?
    public var publicURL: String?
    /// Slack (or Mattermost) incoming webhook: a message when a script starts, succeeds or fails.
    public var slackWebhookURL: String?
    /// The pull-request comment of a pipeline is edited at most once per this interval.
    public var commentEditInterval: Duration = .seconds(10)
    /// Dry runs of approved pull requests' scripts (docs/dry-runs.md).
    public var dryRun: Bool = false
    /// Approvals a pull request's head needs before its dry run; nil: the approval policy's
    /// number, at least 1 (`effectiveDryRunApprovals`).
    public var dryRunApprovals: Int?
    /// Dry runs of pull requests from forks (their code is anyone's).
    public var dryRunForks: Bool = false
    /// Names of the service's environment variables passed to dry runs instead of `scriptEnvironment`.
    public var dryRunEnvironment: [String] = []
    /// The settings file dry runs get instead of `scriptEnvironmentFile` (e.g. read-only credentials).
    public var dryRunEnvironmentFile: String?
    /// EXECUTE runs a script only when its content had a successful dry run (or an operator overrode).
    public var requireDryRun: Bool = false

    /// Approvals a dry run needs: the setting, else the approval policy's number, never fewer than 1.
    public var effectiveDryRunApprovals: Int { max(1, dryRunApprovals ?? requiredApprovals) }
    public var dashboardTokens: [OperatorToken]
    /// How long a dashboard session lasts.
    public var sessionLifetime: Duration = .seconds(12 * 3600)
    /// `/metrics` without authentication.
    public var metricsPublic: Bool = false
    /// How long finished pipelines are kept; nil keeps them forever.
    public var retention: Duration? = .seconds(90 * 86_400)
    public var httpHost: String
    public var httpPort: Int
    public var scriptEnvironment: [String]
    public var secretNames: [String]
    public var executeTimeout: Duration
    /// How scripts are kept from the service (bubblewrap unless explicitly turned off).
    public var scriptIsolation: ScriptIsolation = .bubblewrap
    /// Directories scripts may write inside the sandbox besides their run directory (reports, exports).
    public var scriptSharedDirectories: [String] = []
    /// Further files and directories the sandbox hides (other settings files, credentials).
    public var scriptHiddenPaths: [String] = []
    /// What one run may use; past a limit it is stopped.
    public var scriptLimits: ScriptLimits = .defaults
    /// Which networks scripts reach.
    public var scriptNetwork: ScriptNetwork = .host
    /// Where scripts may connect with `scriptNetwork == .egress`.
    public var scriptEgress: [EgressDestination] = []
    /// Who sandboxed scripts run as when the service runs as root; nil: the service's own user.
    public var scriptUser: ScriptIdentity?
    /// The config file the settings were read from (`JOBRUNNER_CONFIG_FILE`/`--config`): hidden from scripts.
    public var configFile: String?
    /// The deployed application scripts run in (`JOBRUNNER_APP_DIR`); nil: a scratch directory.
    public var appDirectory: String?
    /// The application's own `KEY=value` settings, given to every script.
    public var scriptEnvironmentFile: String?
    /// The Python interpreter for scripts; nil: the application's virtualenv, else python3.
    public var pythonInterpreter: String?
    /// Where the commit the application runs is read (the deploy gate); nil: no gate.
    public var appRevision: RevisionLocation?
    /// How long EXECUTE waits for the deploy of its commit before it fails.
    public var deployWait: Duration = .seconds(3600)
    /// Where EXECUTE runs scripts (`JOBRUNNER_RUNNER`).
    public var runner: ScriptRunnerKind = .local
    /// The Job scripts get with `runner == .kubernetes`.
    public var kubernetes = KubernetesRunnerSettings()
    /// The most PROCESS reads of a repository tree to build a script against it.
    public var repositoryTreeLimit: Int = 64 << 20
    public var toolchainsFile: String?
    public var workers: Int
    public var leaseDuration: Duration
    public var shutdownGracePeriod: Duration
    public var logLevel: Logger.Level
    public var logFormat: LogFormat

    public init(
        webhookSecrets: [String] = [], webhookMaxBodySize: Int = 25 * 1024 * 1024, repositories: [RepositoryName] = [], branch: String? = nil,
        jobsDirectory: String = "jobs", logsDirectory: String = "jobrunner-logs",
        dataDirectory: String = "data", database: DatabaseLocation? = nil,
        gitBackend: GitBackendKind = .libgit2,
        gitRemoteTemplate: String = "https://github.com/{repository}.git",
        githubAPIURL: String = "https://api.github.com", githubToken: String? = nil,
        githubAppID: String? = nil, githubAppPrivateKeyPath: String? = nil,
        dashboardTokens: [OperatorToken] = [], httpHost: String = "127.0.0.1", httpPort: Int = 8080,
        scriptEnvironment: [String] = [], secretNames: [String] = [],
        executeTimeout: Duration = .seconds(3600), workers: Int = 4,
        leaseDuration: Duration = .seconds(60), shutdownGracePeriod: Duration = .seconds(30),
        logLevel: Logger.Level = .info, logFormat: LogFormat = .plain
    ) {
        self.webhookSecrets = webhookSecrets
        self.webhookMaxBodySize = webhookMaxBodySize
        self.repositories = repositories
        self.branch = branch
        self.jobsDirectory = jobsDirectory
        self.logsDirectory = logsDirectory
        self.dataDirectory = dataDirectory
        self.database = database ?? Self.defaultDatabase(in: dataDirectory)
        self.gitBackend = gitBackend
        self.gitRemoteTemplate = gitRemoteTemplate
        self.githubAPIURL = githubAPIURL
        self.githubToken = githubToken
        self.githubAppID = githubAppID
        self.githubAppPrivateKeyPath = githubAppPrivateKeyPath
        self.dashboardTokens = dashboardTokens
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.scriptEnvironment = scriptEnvironment
        self.secretNames = secretNames
        self.executeTimeout = executeTimeout
        self.workers = workers
        self.leaseDuration = leaseDuration
        self.shutdownGracePeriod = shutdownGracePeriod
        self.logLevel = logLevel
        self.logFormat = logFormat
    }
}

extension Settings {
    /// The SQLite file used when `JOBRUNNER_DATABASE_URL` is not set.
    public static func defaultDatabase(in dataDirectory: String) -> DatabaseLocation {
        .sqlite(path: dataDirectory + "/jobrunner.sqlite")
    }

    /// Whether GitHub API calls can be made (a token or a GitHub App).
    public var hasGitHubAPIAccess: Bool { githubToken != nil || githubAppID != nil }

    /// The web address matching the API: github.com for api.github.com, `https://HOST` for
    /// GitHub Enterprise's `https://HOST/api/v3`; files on a branch are linked from there.
    public var githubWebURL: String {
        if githubAPIURL == "https://api.github.com" { return "https://github.com" }
        if githubAPIURL.hasSuffix("/api/v3") { return String(githubAPIURL.dropLast("/api/v3".count)) }
        return githubAPIURL
    }
}

/// Reads sizes such as `5MiB`, `512KiB`, `2MB`, `1048576` (bytes).
public enum ByteSizeParser {
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard let number = Int(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Int] = [
            "": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1_048_576, "mb": 1_000_000, "mib": 1_048_576,
            "g": 1_073_741_824, "gb": 1_000_000_000, "gib": 1_073_741_824,
        ]
        guard let multiplier = multipliers[unit] else { return nil }
        let (value, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : value
    }
}

/// A setting that is missing or malformed. Reported before anything starts.
/// What is wrong with a setting's value, in words for the operator.
public struct SettingsProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public struct SettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var setting: String
    public var problem: String

    public init(_ setting: Setting, _ problem: String) {
        self.setting = setting.rawValue
        self.problem = problem
    }

    public var description: String { "\(setting): \(problem)" }
}

extension ByteSizeParser {
    /// The size in the largest binary unit that holds it whole: `5MiB`, `512KiB`, `1000`.
    public static func format(_ bytes: Int) -> String {
        if bytes > 0 && bytes % 1_073_741_824 == 0 { return "\(bytes / 1_073_741_824)GiB" }
        if bytes > 0 && bytes % 1_048_576 == 0 { return "\(bytes / 1_048_576)MiB" }
        if bytes > 0 && bytes % 1024 == 0 { return "\(bytes / 1024)KiB" }
        return String(bytes)
    }
}
