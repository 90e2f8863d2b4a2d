import Configuration
import Foundation
import JobrunnerCore
import SystemPackage

/// Turns the environment and the optional config file into validated `Settings`.
///
/// Every problem is collected and reported at once, naming the setting, before anything
/// starts: a service that runs production scripts must not half-start on a typo.
public enum SettingsLoader {
    /// What the settings are for; decides which ones are required.
    public enum Purpose: Sendable, Equatable {
        /// `jobrunner serve`. In development mode a missing webhook secret is generated.
        case serve(development: Bool)
        /// `jobrunner worker`.
        case worker
        /// Local commands and administration: nothing is required.
        case local
    }

    /// Reads the process environment, then the config file it names (or `configFile`).
    public static func reader(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        configFile: String? = nil
    ) async throws -> ConfigReader {
        let secrets = Set(Setting.allCases.filter(\.isSecret).map(\.rawValue))
        let env = EnvironmentVariablesProvider(
            environmentVariables: environment, secretsSpecifier: .specific(secrets))
        guard let path = configFile ?? environment[Setting.configFile.rawValue], !path.isEmpty else {
            return ConfigReader(provider: env)
        }
        do {
            let file = try await EnvironmentVariablesProvider(
                environmentFilePath: FilePath(path), allowMissing: false,
                secretsSpecifier: .specific(secrets))
            return ConfigReader(providers: [env, file])
        } catch {
            throw SettingsErrors([SettingsError(.configFile, "cannot read \(path): \(error)")])
        }
    }

    /// Validates every setting; throws `SettingsErrors` listing all problems.
    public static func load(from reader: ConfigReader, purpose: Purpose) throws -> Settings {
        var errors: [SettingsError] = []
        func string(_ setting: Setting) -> String? {
            let value = reader.string(forKey: ConfigKey(setting.configKey), isSecret: setting.isSecret)?
                .trimmingCharacters(in: .whitespaces)
            return value?.isEmpty == false ? value : nil
        }
        func list(_ setting: Setting) -> [String] {
            (string(setting) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        }
        func duration(_ setting: Setting, default value: Duration) -> Duration {
            guard let text = string(setting) else { return value }
            guard let parsed = DurationParser.parse(text), parsed > .zero else {
                errors.append(SettingsError(setting, "'\(text)' is not a duration (examples: 90s, 10m, 1h)"))
                return value
            }
            return parsed
        }
        func boolean(_ setting: Setting, default value: Bool) -> Bool {
            guard let text = string(setting)?.lowercased() else { return value }
            switch text {
            case "true", "yes", "1": return true
            case "false", "no", "0": return false
            default:
                errors.append(SettingsError(setting, "'\(text)' is not true or false"))
                return value
            }
        }
        func integer(_ setting: Setting, default value: Int, range: ClosedRange<Int>) -> Int {
            guard let text = string(setting) else { return value }
            guard let parsed = Int(text), range.contains(parsed) else {
                errors.append(SettingsError(setting, "'\(text)' is not a whole number in \(range.lowerBound)…\(range.upperBound)"))
                return value
            }
            return parsed
        }
        func directoryName(_ setting: Setting, default value: String) -> String {
            guard let text = string(setting) else { return value }
            let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
            guard !trimmed.isEmpty, !text.hasPrefix("/"),
                parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
            else {
                errors.append(SettingsError(setting, "'\(text)' must be a relative directory inside the repository"))
                return value
            }
            return trimmed
        }

        var settings = Settings()
        settings.webhookSecrets = [string(.webhookSecret), string(.webhookPreviousSecret)].compactMap { $0 }
        if string(.webhookSecret) == nil && string(.webhookPreviousSecret) != nil {
            errors.append(SettingsError(.webhookPreviousSecret, "is set without JOBRUNNER_WEBHOOK_SECRET: set the new secret too"))
        }
        if let text = string(.webhookMaxBodySize) {
            if let size = ByteSizeParser.parse(text), size >= 1024 {
                settings.webhookMaxBodySize = size
            } else {
                errors.append(SettingsError(.webhookMaxBodySize, "'\(text)' is not a size of at least 1KiB (examples: 5MiB, 10485760)"))
            }
        }
        for name in list(.repositories) {
            if let repository = RepositoryName(rawValue: name) {
                settings.repositories.append(repository)
            } else {
                errors.append(SettingsError(.repositories, "'\(name)' is not owner/name"))
            }
        }
        settings.branch = string(.branch)
        settings.jobsDirectory = directoryName(.jobsDirectory, default: "jobs")
        settings.logsDirectory = directoryName(.logsDirectory, default: "jobrunner-logs")
        settings.dataDirectory = string(.dataDirectory) ?? "data"
        settings.database = .sqlite(path: settings.dataDirectory + "/jobrunner.sqlite")
        if let url = string(.databaseURL) {
            if let location = DatabaseLocation(parsing: url) {
                settings.database = location
            } else {
                errors.append(SettingsError(.databaseURL, "'\(url)' is neither a file path, sqlite:PATH nor postgres://…"))
            }
        }
        if let backend = string(.gitBackend) {
            if let kind = GitBackendKind(rawValue: backend) {
                settings.gitBackend = kind
            } else {
                errors.append(SettingsError(.gitBackend, "'\(backend)' is not one of libgit2, github-api"))
            }
        }
        if let remote = string(.gitRemote) {
            if remote.contains("{repository}") {
                settings.gitRemoteTemplate = remote
            } else {
                errors.append(SettingsError(.gitRemote, "'\(remote)' must contain {repository}"))
            }
        }
        if let api = string(.githubAPIURL) {
            if let url = URL(string: api), url.scheme == "https" || url.scheme == "http", url.host != nil {
                settings.githubAPIURL = api.hasSuffix("/") ? String(api.dropLast()) : api
            } else {
                errors.append(SettingsError(.githubAPIURL, "'\(api)' is not an http(s) URL"))
            }
        }
        settings.botName = string(.botName) ?? settings.botName
        if let email = string(.botEmail) {
            if email.contains("@") && !email.contains(where: { $0 == "<" || $0 == ">" || $0.isWhitespace }) {
                settings.botEmail = email
            } else {
                errors.append(SettingsError(.botEmail, "'\(email)' is not an e-mail address"))
            }
        }
        settings.skipCI = boolean(.skipCI, default: true)
        settings.githubToken = string(.githubToken)
        settings.githubAppID = string(.githubAppID)
        settings.githubAppPrivateKeyPath = string(.githubAppPrivateKeyPath)
        if (settings.githubAppID == nil) != (settings.githubAppPrivateKeyPath == nil) {
            errors.append(SettingsError(
                settings.githubAppID == nil ? .githubAppID : .githubAppPrivateKeyPath,
                "a GitHub App needs both JOBRUNNER_GITHUB_APP_ID and JOBRUNNER_GITHUB_APP_PRIVATE_KEY_PATH"))
        }
        settings.requiredApprovals = integer(.requiredApprovals, default: 0, range: 0...100)
        if settings.requiredApprovals > 0 && !settings.hasGitHubAPIAccess {
            errors.append(SettingsError(
                .requiredApprovals, "needs GitHub API access: set JOBRUNNER_GITHUB_TOKEN or a GitHub App (JOBRUNNER_GITHUB_APP_ID)"))
        }
        if settings.gitBackend == .githubAPI && !settings.hasGitHubAPIAccess {
            errors.append(SettingsError(
                .gitBackend, "github-api needs JOBRUNNER_GITHUB_TOKEN or a GitHub App (JOBRUNNER_GITHUB_APP_ID)"))
        }
        settings.callbackURLs = list(.callbackURLs)
        for url in settings.callbackURLs {
            if let parsed = URL(string: url), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil { continue }
            errors.append(SettingsError(.callbackURLs, "'\(url)' is not an http(s) URL"))
        }
        settings.callbackSecret = string(.callbackSecret)
        if !settings.callbackURLs.isEmpty && settings.callbackSecret == nil {
            errors.append(SettingsError(.callbackSecret, "is required with JOBRUNNER_CALLBACK_URLS: receivers verify callbacks with it"))
        }
        if let url = string(.publicURL) {
            if let parsed = URL(string: url), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil {
                settings.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
            } else {
                errors.append(SettingsError(.publicURL, "'\(url)' is not an http(s) URL"))
            }
        }
        do {
            settings.dashboardTokens = try string(.dashboardToken).map(OperatorToken.parseList) ?? []
        } catch {
            errors.append(SettingsError(.dashboardToken, "\(error)"))
        }
        settings.sessionLifetime = duration(.sessionLifetime, default: .seconds(12 * 3600))
        settings.metricsPublic = boolean(.metricsPublic, default: false)
        settings.httpHost = string(.httpHost) ?? "127.0.0.1"
        settings.httpPort = integer(.httpPort, default: 8080, range: 0...65535)
        settings.scriptEnvironment = list(.scriptEnvironment)
        settings.secretNames = list(.secrets)
        for name in settings.scriptEnvironment + settings.secretNames
        where !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            errors.append(SettingsError(
                settings.scriptEnvironment.contains(name) ? .scriptEnvironment : .secrets,
                "'\(name)' is not an environment variable name"))
        }
        settings.executeTimeout = duration(.executeTimeout, default: .seconds(3600))
        settings.toolchainsFile = string(.toolchainsFile)
        if let path = settings.toolchainsFile, !FileManager.default.isReadableFile(atPath: path) {
            errors.append(SettingsError(.toolchainsFile, "\(path) cannot be read"))
        }
        settings.workers = integer(.workers, default: 4, range: 0...256)
        settings.leaseDuration = duration(.leaseDuration, default: .seconds(60))
        if settings.leaseDuration < .seconds(3) {
            errors.append(SettingsError(.leaseDuration, "must be at least 3s so leases can be renewed in time"))
        }
        settings.shutdownGracePeriod = duration(.shutdownGracePeriod, default: .seconds(30))
        if let text = string(.retention), ["0", "forever", "off"].contains(text.lowercased()) {
            settings.retention = nil
        } else {
            settings.retention = duration(.retention, default: .seconds(90 * 86_400))
            if let retention = settings.retention, retention < .seconds(3600) {
                errors.append(SettingsError(.retention, "must be at least 1h (or 0 to keep everything)"))
            }
        }
        if let level = string(.logLevel)?.lowercased() {
            if ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) {
                settings.logLevel = level
            } else {
                errors.append(SettingsError(.logLevel, "'\(level)' is not one of trace, debug, info, notice, warning, error, critical"))
            }
        }
        if let format = string(.logFormat) {
            if let parsed = LogFormat(rawValue: format.lowercased()) {
                settings.logFormat = parsed
            } else {
                errors.append(SettingsError(.logFormat, "'\(format)' is not one of plain, json"))
            }
        }

        switch purpose {
        case .serve(let development):
            if settings.webhookSecrets.isEmpty && !development {
                errors.append(SettingsError(
                    .webhookSecret,
                    "is required: without it webhooks cannot be verified (set it to the secret configured on the GitHub webhook, or use `serve --dev` to generate one for local use)"))
            }
            if settings.repositories.isEmpty && !development {
                errors.append(SettingsError(.repositories, "is required: name the repositories (owner/name, comma-separated) whose pushes may run scripts"))
            }
        case .worker, .local:
            break
        }
        if !errors.isEmpty { throw SettingsErrors(errors) }
        return settings
    }
}

/// All problems found in the settings.
public struct SettingsErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [SettingsError]
    public init(_ errors: [SettingsError]) { self.errors = errors }

    public var description: String {
        "invalid configuration:\n" + errors.map { "  - \($0)" }.joined(separator: "\n")
    }
}
