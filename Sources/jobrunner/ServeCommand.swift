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
        var settings = try await options.load(for: .serve(development: dev))
        LoggingSetup.bootstrap(settings)
        let logger = Logger(label: "jobrunner")
        if settings.webhookSecrets.isEmpty {
            let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            settings.webhookSecrets = [secret]
            printError("jobrunner: development mode — generated webhook secret: \(secret)")
        }
        if settings.repositories.isEmpty {
            logger.warning("no repositories configured (JOBRUNNER_REPOSITORIES): every push will be ignored")
        }
        let store = try openStore(settings)
        let toolchains = try loadToolchains(settings)
        let workAvailable = Beacon()
        var services: [any Service] = []
        if settings.workers > 0 {
            services.append(
                WorkerPool(
                    store: store, handlers: ProductionHandlers.make(settings: settings, store: store, toolchains: toolchains),
                    configuration: workerPoolConfiguration(settings),
                    logger: logger, workAvailable: workAvailable))
        }
        var context = ApplicationContext(
            settings: settings, store: store, workAvailable: workAvailable, github: GitHubAPIFactory.make(settings),
            logger: logger)
        context.scriptExtensions = Set(toolchains.flatMap(\.extensions))
        let app = buildApplication(context, services: services)
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
        abstract: "Run stage workers only (no HTTP), against the configured database."
    )

    @OptionGroup var options: SettingsOptions

    func run() async throws {
        let settings = try await options.load(for: .worker)
        LoggingSetup.bootstrap(settings)
        let logger = Logger(label: "jobrunner")
        let store = try openStore(settings)
        let pool = WorkerPool(
            store: store, handlers: ProductionHandlers.make(settings: settings, store: store, toolchains: try loadToolchains(settings)),
            configuration: workerPoolConfiguration(settings), logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [pool], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// The stage handlers this build ships. Stages of kinds without a handler stay queued,
/// durably, until a build that has one claims them.
enum ProductionHandlers {
    static func make(settings: Settings, store: any PipelineStore, toolchains: [Toolchain]) -> StageHandlers {
        let environment = ProcessInfo.processInfo.environment
        var handlers = StageHandlers()
        handlers[.execute] = ExecuteStageHandler(store: store, executor: ScriptExecutor(settings: settings, environment: environment))
        // PROCESS reads the source through a git backend: repositories on this machine (a path
        // or file:// remote template) in place with git, any other remote through libgit2 and a
        // cached clone under the data directory.
        let reader: any ScriptSourceReader =
            if let local = localRepositoryTemplate(settings.gitRemoteTemplate) {
                GitRepositoryReader { repository in local.replacingOccurrences(of: "{repository}", with: repository.rawValue) }
            } else {
                Libgit2SourceReader(
                    remoteTemplate: settings.gitRemoteTemplate, cacheDirectory: settings.dataDirectory + "/repos",
                    token: settings.githubToken)
            }
        handlers[.process] = ProcessStageHandler(
            store: store, reader: reader,
            builder: ScriptBuilder(toolchains: toolchains, scratchDirectory: settings.dataDirectory + "/work"),
            jobsDirectory: settings.jobsDirectory)
        // CLEANUP commits through libgit2 (a path template is a local repository to libgit2 too).
        handlers[.cleanup] = CleanupStageHandler(
            store: store,
            committer: Libgit2LogCommitter(
                remoteTemplate: settings.gitRemoteTemplate, cacheDirectory: settings.dataDirectory + "/repos",
                token: settings.githubToken),
            logsDirectory: settings.logsDirectory,
            masker: ScriptExecutor(settings: settings, environment: environment).masker)
        return handlers
    }

    static func localRepositoryTemplate(_ template: String) -> String? {
        if template.hasPrefix("file://") { return String(template.dropFirst("file://".count)) }
        return template.hasPrefix("/") ? template : nil
    }
}

/// The toolchains, or every problem of the toolchains file and exit 78.
func loadToolchains(_ settings: Settings) throws -> [Toolchain] {
    do {
        return try ToolchainFile.toolchains(settings: settings)
    } catch {
        printError("jobrunner: \(error)")
        throw ExitCode(78)
    }
}

func workerPoolConfiguration(_ settings: Settings) -> WorkerPoolConfiguration {
    WorkerPoolConfiguration(
        workers: max(1, settings.workers), nodeName: processNodeName(),
        leaseDuration: settings.leaseDuration, renewInterval: settings.leaseDuration / 4,
        shutdownGracePeriod: settings.shutdownGracePeriod)
}

func openStore(_ settings: Settings) throws -> any PipelineStore {
    do {
        return try StoreFactory.open(settings)
    } catch {
        printError("jobrunner: \(error)")
        throw ExitCode(69)
    }
}
