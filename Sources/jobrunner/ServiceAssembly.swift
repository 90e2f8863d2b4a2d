import ArgumentParser
import Foundation
import JobrunnerCore
import JobrunnerGit
import JobrunnerServer
import JobrunnerStages
import JobrunnerStore
import Logging
import ServiceLifecycle

/// The stage handlers this build ships. Stages of kinds without a handler stay queued,
/// durably, until a build that has one claims them.
enum ProductionHandlers {
    static func make(
        settings: Settings, store: any PipelineStore, toolchains: [Toolchain], github: GitHubAccess,
        feedback: FeedbackDispatcher, metrics: (any ServiceMetrics)? = nil
    ) -> StageHandlers {
        let environment = ProcessInfo.processInfo.environment
        var handlers = StageHandlers()
        let executor = ScriptExecutor(settings: settings, environment: environment)
        let git = gitBackend(settings, github: github)
        handlers[.process] = ProcessStageHandler(
            store: store, reader: git,
            builder: ScriptBuilder(toolchains: toolchains, scratchDirectory: settings.dataDirectory + "/work"),
            jobsDirectory: settings.jobsDirectory, approvalGate: github.approvalGate, feedback: feedback)
        handlers[.execute] = ExecuteStageHandler(store: store, executor: executor, metrics: metrics)
        handlers[.cleanup] = CleanupStageHandler(
            store: store, committer: git, logsDirectory: settings.logsDirectory, masker: executor.masker,
            authorName: settings.botName, authorEmail: settings.botEmail, skipCI: settings.skipCI,
            fileURLTemplate: github.fileURLTemplate, feedback: feedback)
        return handlers
    }

    /// `JOBRUNNER_GIT_BACKEND`: libgit2 on a cached clone under the data directory (any host,
    /// a local path too), or the GitHub API (the settings made sure there are credentials).
    static func gitBackend(_ settings: Settings, github: GitHubAccess) -> any GitBackend {
        if settings.gitBackend == .githubAPI, let backend = github.gitBackend { return backend }
        return Libgit2Backend(
            remoteTemplate: settings.gitRemoteTemplate, cacheDirectory: settings.dataDirectory + "/repos",
            credentials: github.credentials)
    }
}

/// The worker pool with this build's handlers, GitHub access and feedback channels.
func makeWorkerPool(
    settings: Settings, store: any PipelineStore, toolchains: [Toolchain], github: GitHubAccess, logger: Logger,
    workAvailable: Beacon = Beacon(), configuration: WorkerPoolConfiguration? = nil,
    metrics: (any ServiceMetrics)? = nil
) -> WorkerPool {
    let feedback = FeedbackDispatcher(channels: github.feedbackChannels, store: store)
    return WorkerPool(
        store: store,
        handlers: ProductionHandlers.make(
            settings: settings, store: store, toolchains: toolchains, github: github, feedback: feedback,
            metrics: metrics),
        configuration: configuration ?? workerPoolConfiguration(settings), logger: logger,
        workAvailable: workAvailable, feedback: feedback, metrics: metrics)
}

/// GitHub credentials from the settings, or the problem and exit 78.
func openGitHub(_ settings: Settings) throws -> GitHubAccess {
    do {
        return try GitHubAccess(settings: settings)
    } catch {
        printError("jobrunner: \(error)")
        throw ExitCode(78)
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
        // Expired leases are noticed within half a lease (at most 30 s) by any node.
        rescueInterval: min(settings.leaseDuration / 2, .seconds(30)),
        shutdownGracePeriod: settings.shutdownGracePeriod)
}

func openStore(_ settings: Settings) async throws -> any PipelineStore {
    do {
        return try await StoreFactory.open(settings)
    } catch {
        printError("jobrunner: \(error)")
        throw ExitCode(69)
    }
}

/// The dashboard's templates, or the problem (a deployment without the resource bundle) and exit 78.
func loadDashboardTemplates() throws -> DashboardTemplates {
    do {
        return try DashboardTemplates.bundled()
    } catch {
        printError("jobrunner: \(error)")
        throw ExitCode(78)
    }
}

/// The services around the store, first in the group so they stop last: the PostgreSQL
/// connections (closed after everything else), wake-ups from other nodes for this process's
/// workers, and retention.
func storeServices(
    settings: Settings, store: any PipelineStore, workAvailable: Beacon?, logger: Logger
) -> [any Service] {
    var services: [any Service] = []
    if let service = store as? any Service { services.append(service) }
    if let workAvailable, let notifying = store as? any WorkNotifying {
        services.append(WorkWakeUps(source: notifying, workAvailable: workAvailable))
    }
    if let retention = settings.retention {
        services.append(RetentionService(store: store, retention: retention, logger: logger))
    }
    return services
}
