import Configuration
import Foundation
import JobrunnerCore
import JobrunnerServer
import Logging
import JobrunnerTestSupport
import Testing

@Suite("Settings")
struct SettingsLoaderTests {
    func load(_ environment: [String: String], purpose: SettingsLoader.Purpose = .local, file: String? = nil)
        async throws -> Settings
    {
        let reader = try await SettingsLoader.reader(environment: environment, configFile: file)
        return try SettingsLoader.load(from: reader, purpose: purpose)
    }

    func problems(_ environment: [String: String], purpose: SettingsLoader.Purpose = .local) async -> [String] {
        do {
            _ = try await load(environment, purpose: purpose)
            return []
        } catch let error as SettingsErrors {
            return error.errors.map(\.setting)
        } catch {
            return ["unexpected: \(error)"]
        }
    }

    @Test
    func defaultsMatchTheDocumentation() async throws {
        let settings = try await load([:])
        #expect(settings.jobsDirectory == "jobs")
        #expect(settings.logsDirectory == "jobrunner-logs")
        #expect(settings.database == .sqlite(path: "data/jobrunner.sqlite"))
        #expect(settings.gitBackend == .libgit2)
        #expect(settings.gitRemoteTemplate == "https://github.com/{repository}.git")
        #expect(settings.githubAPIURL == "https://api.github.com")
        #expect(settings.httpHost == "127.0.0.1")
        #expect(settings.httpPort == 8080)
        #expect(settings.workers == 4)
        #expect(settings.executeTimeout == .seconds(3600))
        #expect(settings.logFormat == .plain)
        #expect(settings.botName == "jobrunner[bot]")
        #expect(settings.skipCI)
    }

    @Test
    func serveRefusesAWebhookSecretShorterThanTwelveCharacters() async throws {
        await #expect {
            _ = try await load(["JOBRUNNER_WEBHOOK_SECRET": "hunter2", "JOBRUNNER_REPOSITORIES": "acme/ops"], purpose: .serve(development: false))
        } throws: { error in
            "\(error)".contains("JOBRUNNER_WEBHOOK_SECRET: is 7 characters long; use at least 12")
        }
        await #expect(throws: SettingsErrors.self) {
            _ = try await load(
                ["JOBRUNNER_WEBHOOK_SECRET": "twelve-chars", "JOBRUNNER_WEBHOOK_PREVIOUS_SECRET": "old", "JOBRUNNER_REPOSITORIES": "acme/ops"],
                purpose: .serve(development: false))
        }
        _ = try await load(["JOBRUNNER_WEBHOOK_SECRET": "twelve-chars", "JOBRUNNER_REPOSITORIES": "acme/ops"], purpose: .serve(development: false))
    }

    @Test
    func readsEveryDocumentedVariable() async throws {
        let settings = try await load([
            "JOBRUNNER_WEBHOOK_SECRET": "s3cret-webhook-value", "JOBRUNNER_REPOSITORIES": "Acme/Ops, acme/web",
            "JOBRUNNER_BRANCH": "release", "JOBRUNNER_JOBS_DIR": "ops/jobs/", "JOBRUNNER_LOGS_DIR": "ops/logs",
            "JOBRUNNER_DATA_DIR": "/var/lib/jobrunner", "JOBRUNNER_GIT_BACKEND": "github-api",
            "JOBRUNNER_GIT_REMOTE": "https://git.example/{repository}.git",
            "JOBRUNNER_GITHUB_API_URL": "https://ghe.example/api/v3/", "JOBRUNNER_GITHUB_TOKEN": "ghp_x",
            "JOBRUNNER_DASHBOARD_TOKEN": "alice:0123456789abcdef0123, 0123456789abcdefXYZW", "JOBRUNNER_HTTP_HOST": "0.0.0.0", "JOBRUNNER_HTTP_PORT": "9000",
            "JOBRUNNER_SCRIPT_ENV": "DATABASE_URL,API_KEY", "JOBRUNNER_SECRETS": "API_KEY",
            "JOBRUNNER_EXECUTE_TIMEOUT": "10m", "JOBRUNNER_WORKERS": "8", "JOBRUNNER_LEASE_DURATION": "2m",
            "JOBRUNNER_SHUTDOWN_GRACE_PERIOD": "45s", "JOBRUNNER_LOG_LEVEL": "DEBUG", "JOBRUNNER_LOG_FORMAT": "json",
            "JOBRUNNER_BOT_NAME": "Ops Bot", "JOBRUNNER_BOT_EMAIL": "ops-bot@acme.example", "JOBRUNNER_SKIP_CI": "false",
        ], purpose: .serve(development: false))
        #expect(settings.botName == "Ops Bot")
        #expect(settings.botEmail == "ops-bot@acme.example")
        #expect(!settings.skipCI)
        #expect(settings.webhookSecrets == ["s3cret-webhook-value"])
        #expect(settings.repositories.map(\.rawValue) == ["acme/ops", "acme/web"])
        #expect(settings.branch == "release")
        #expect(settings.jobsDirectory == "ops/jobs")
        #expect(settings.logsDirectory == "ops/logs")
        #expect(settings.database == .sqlite(path: "/var/lib/jobrunner/jobrunner.sqlite"))
        #expect(settings.gitBackend == .githubAPI)
        #expect(settings.gitRemoteTemplate == "https://git.example/{repository}.git")
        #expect(settings.githubAPIURL == "https://ghe.example/api/v3")
        #expect(settings.githubToken == "ghp_x")
        #expect(
            settings.dashboardTokens == [
                OperatorToken(name: "alice", token: "0123456789abcdef0123"),
                OperatorToken(name: "operator", token: "0123456789abcdefXYZW"),
            ])
        #expect(settings.httpHost == "0.0.0.0")
        #expect(settings.httpPort == 9000)
        #expect(settings.scriptEnvironment == ["DATABASE_URL", "API_KEY"])
        #expect(settings.secretNames == ["API_KEY"])
        #expect(settings.executeTimeout == .seconds(600))
        #expect(settings.workers == 8)
        #expect(settings.leaseDuration == .seconds(120))
        #expect(settings.shutdownGracePeriod == .seconds(45))
        #expect(settings.logLevel == .debug)
        #expect(settings.logFormat == .json)
    }

    @Test
    func serveRequiresASecretAndRepositoriesButDevelopmentModeDoesNot() async {
        #expect(await problems([:], purpose: .serve(development: false)) == ["JOBRUNNER_WEBHOOK_SECRET", "JOBRUNNER_REPOSITORIES"])
        #expect(await problems([:], purpose: .serve(development: true)).isEmpty)
        #expect(await problems([:], purpose: .worker).isEmpty)
    }

    @Test
    func everyMalformedSettingIsNamedAtOnce() async {
        let found = await problems([
            "JOBRUNNER_REPOSITORIES": "not-a-repo", "JOBRUNNER_HTTP_PORT": "eighty", "JOBRUNNER_WORKERS": "-1",
            "JOBRUNNER_EXECUTE_TIMEOUT": "soon", "JOBRUNNER_GIT_BACKEND": "svn", "JOBRUNNER_GIT_REMOTE": "https://x/y.git",
            "JOBRUNNER_DATABASE_URL": "mysql://db", "JOBRUNNER_JOBS_DIR": "../outside", "JOBRUNNER_LOG_FORMAT": "xml",
            "JOBRUNNER_GITHUB_APP_ID": "123", "JOBRUNNER_SECRETS": "OK,NOT OK", "JOBRUNNER_LEASE_DURATION": "1s",
            "JOBRUNNER_GITHUB_API_URL": "ftp://x", "JOBRUNNER_BOT_EMAIL": "not an address", "JOBRUNNER_SKIP_CI": "maybe",
            "JOBRUNNER_DASHBOARD_TOKEN": "alice:short", "JOBRUNNER_METRICS_PUBLIC": "sometimes",
            "JOBRUNNER_SESSION_LIFETIME": "forever",
        ])
        #expect(Set(found) == [
            "JOBRUNNER_REPOSITORIES", "JOBRUNNER_HTTP_PORT", "JOBRUNNER_WORKERS", "JOBRUNNER_EXECUTE_TIMEOUT",
            "JOBRUNNER_GIT_BACKEND", "JOBRUNNER_GIT_REMOTE", "JOBRUNNER_DATABASE_URL", "JOBRUNNER_JOBS_DIR",
            "JOBRUNNER_LOG_FORMAT", "JOBRUNNER_GITHUB_APP_PRIVATE_KEY_PATH", "JOBRUNNER_SECRETS",
            "JOBRUNNER_LEASE_DURATION", "JOBRUNNER_GITHUB_API_URL", "JOBRUNNER_BOT_EMAIL", "JOBRUNNER_SKIP_CI",
            "JOBRUNNER_DASHBOARD_TOKEN", "JOBRUNNER_METRICS_PUBLIC", "JOBRUNNER_SESSION_LIFETIME",
        ])
    }

    @Test
    func theConfigFileFillsInAndTheEnvironmentWins() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("jobrunner.env")
        try """
            # Jobrunner settings
            JOBRUNNER_WEBHOOK_SECRET=from-the-config-file
            JOBRUNNER_REPOSITORIES=acme/ops
            JOBRUNNER_HTTP_PORT=7000
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let settings = try await load(
            ["JOBRUNNER_CONFIG_FILE": file, "JOBRUNNER_HTTP_PORT": "7001"], purpose: .serve(development: false))
        #expect(settings.webhookSecrets == ["from-the-config-file"])
        #expect(settings.repositories.map(\.rawValue) == ["acme/ops"])
        #expect(settings.httpPort == 7001)

        await #expect(throws: SettingsErrors.self) {
            _ = try await load([:], file: directory.file("missing.env"))
        }
    }

    @Test
    func everySettingHasADistinctKeyAndASummary() {
        let keys = Setting.allCases.map(\.configKey)
        #expect(Set(keys).count == keys.count)
        #expect(SettingsTable.declarations.map(\.setting) == Setting.allCases)
        #expect(SettingsTable.declarations.allSatisfy { !$0.meaning.isEmpty && $0.setting.rawValue.hasPrefix("JOBRUNNER_") })
    }
}

@Suite("The README's settings table")
struct ReadmeSettingsTableTests {
    /// The README documents every setting the table declares, with the same default — and no
    /// setting the service does not read.
    @Test
    func listsEveryDeclaredSettingWithItsDefault() throws {
        let readme = try DeploymentFilesTests.read("README.md")
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `JOBRUNNER_") }.map(String.init)
        let known = Set(Setting.allCases.map(\.rawValue))
        for row in rows {
            let named = row.split(separator: "|")[0].matches(of: /JOBRUNNER_[A-Z0-9_]+/).map { String($0.output) }
            for name in named { #expect(known.contains(name), "README documents \(name), which the service does not read") }
        }
        for declaration in SettingsTable.declarations {
            let name = declaration.setting.rawValue
            let row = rows.first { $0.split(separator: "|").first?.contains("`\(name)`") == true }
            #expect(row != nil, "README's table lacks \(name)")
            if let row, let defaultText = declaration.defaultText {
                #expect(row.replacingOccurrences(of: "`", with: "").contains(defaultText), "README's row of \(name) does not show its default \(defaultText)")
            }
        }
    }
}

extension SettingsLoaderTests {
    @Test
    func retentionShorterThanGitHubsRedeliveryWindowIsRefused() async throws {
        let problems = await problems(["JOBRUNNER_RETENTION": "2d"])
        #expect(problems == ["JOBRUNNER_RETENTION"], "\(problems)")
        #expect(try await load(["JOBRUNNER_RETENTION": "3d"]).retention == .seconds(3 * 86_400))
        #expect(try await load(["JOBRUNNER_RETENTION": "0"]).retention == nil)
    }
}
