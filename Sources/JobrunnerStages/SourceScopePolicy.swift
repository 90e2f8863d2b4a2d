import JobrunnerCore

/// Which files a script is built with, the same for PROCESS and the local commands: the whole
/// repository tree (without the execution logs) for toolchains that bundle imports, the jobs
/// directory for the others.
public struct SourceScopePolicy: Sendable, Equatable {
    public var jobsDirectory: String
    public var logsDirectory: String
    /// `JOBRUNNER_REPOSITORY_TREE_LIMIT`: the most that is read of a repository tree.
    public var treeLimit: Int

    public init(jobsDirectory: String, logsDirectory: String, treeLimit: Int) {
        self.jobsDirectory = jobsDirectory
        self.logsDirectory = logsDirectory
        self.treeLimit = treeLimit
    }

    public init(settings: Settings) {
        self.init(jobsDirectory: settings.jobsDirectory, logsDirectory: settings.logsDirectory, treeLimit: settings.repositoryTreeLimit)
    }

    public func scope(for toolchain: Toolchain?) -> SourceScope {
        toolchain?.readsRepository == true
            ? .repository(excluding: [logsDirectory], limit: treeLimit) : .jobsDirectory(jobsDirectory)
    }
}
