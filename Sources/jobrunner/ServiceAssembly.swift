import ArgumentParser
import Foundation
import JobrunnerCore
import JobrunnerGit
import JobrunnerServer
import JobrunnerStages
import JobrunnerStore

/// The stage handlers this build ships. Stages of kinds without a handler stay queued,
/// durably, until a build that has one claims them.
enum ProductionHandlers {
    static func make(settings: Settings, store: any PipelineStore, toolchains: [Toolchain]) -> StageHandlers {
        let environment = ProcessInfo.processInfo.environment
        var handlers = StageHandlers()
        let executor = ScriptExecutor(settings: settings, environment: environment)
        handlers[.execute] = ExecuteStageHandler(store: store, executor: executor)
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
            masker: executor.masker,
            authorName: settings.botName, authorEmail: settings.botEmail, skipCI: settings.skipCI)
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
