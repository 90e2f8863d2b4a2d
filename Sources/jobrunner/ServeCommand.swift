import ArgumentParser
import Foundation
import Hummingbird
import JobrunnerCore
import JobrunnerGit
import JobrunnerServer
import JobrunnerStages
import JobrunnerStore
import Logging
import ServiceLifecycle
import UnixSignals

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run webhook intake, dashboard, API and workers (JOBRUNNER_WORKERS=0: no workers).",
        discussion: """
            Refuses to start without JOBRUNNER_WEBHOOK_SECRET and JOBRUNNER_REPOSITORIES. Stops gracefully on \
            SIGTERM/SIGINT: no new stages are claimed, running stages get JOBRUNNER_SHUTDOWN_GRACE_PERIOD to \
            finish, then are handed back.
            """
    )

    @OptionGroup var options: SettingsOptions

    @Flag(name: .long, help: "Development mode: generate and print a webhook secret if none is set; allow no repositories.")
    var dev = false

    func run() async throws {
        MemoryTuning.applyForService()
        EventLoopTuning.applyForService()
        var settings = try await options.load(for: .serve(development: dev))
        LoggingSetup.bootstrap(settings)
        let logger = Logger(label: "jobrunner")
        if settings.webhookSecrets.isEmpty {
            let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            settings.webhookSecrets = [secret]
            printError("jobrunner: development mode — generated webhook secret: \(secret)")
        }
        if settings.dashboardTokens.isEmpty && dev {
            let token = OperatorAuthenticator.randomToken()
            settings.dashboardTokens = [OperatorToken(name: "developer", token: token)]
            printError("jobrunner: development mode — generated dashboard token: \(token)")
        } else if settings.dashboardTokens.isEmpty {
            logger.warning("no JOBRUNNER_DASHBOARD_TOKEN: the dashboard and the API are closed")
        }
        if settings.repositories.isEmpty {
            logger.warning("no repositories configured (JOBRUNNER_REPOSITORIES): every push will be ignored")
        }
        try await prepareToRunScripts(settings, logger: logger)
        let app = try await assemble(settings, role: .serve, logger: logger).application()
        logger.info(
            "jobrunner serving",
            metadata: [
                "address": "\(settings.httpHost):\(settings.httpPort)", "database": "\(settings.database.redacted)",
                "workers": "\(settings.workers)",
            ])
        try await app.runService()
    }
}

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run stage workers only, against the configured database.",
        discussion: "Serves /healthz, /readyz and /metrics on JOBRUNNER_HTTP_HOST:JOBRUNNER_HTTP_PORT — no intake, API or dashboard."
    )

    @OptionGroup var options: SettingsOptions

    func run() async throws {
        MemoryTuning.applyForService()
        EventLoopTuning.applyForService()
        let settings = try await options.load(for: .worker)
        LoggingSetup.bootstrap(settings)
        let logger = Logger(label: "jobrunner")
        try await prepareToRunScripts(settings, logger: logger)
        try await assemble(settings, role: .worker, logger: logger).application().runService()
    }
}
