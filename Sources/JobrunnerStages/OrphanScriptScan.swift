import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging

/// A script left in the jobs directory with no live pipeline (`OrphanScriptRule`).
public struct OrphanScript: Sendable, Equatable {
    public var repository: RepositoryName
    public var path: String
    /// Its latest pipeline, if it ever had one.
    public var latest: PipelineSummary?
    /// What an operator does about it.
    public var advice: String
}

/// One pass over every repository's jobs directory at the branch tip.
public struct OrphanScriptReport: Sendable, Equatable {
    public var scannedAt: Date
    public var scripts: [OrphanScript]
    /// Repositories that could not be read this time, and why.
    public var problems: [String]

    /// Orphaned scripts per repository, zero included, for the metric.
    public func counts(of repositories: [RepositoryName]) -> [RepositoryName: Int] {
        var counts = Dictionary(uniqueKeysWithValues: repositories.map { ($0, 0) })
        for script in scripts { counts[script.repository, default: 0] += 1 }
        return counts
    }
}

/// Lists scripts on the branch tip that nothing will remove. Reads each repository's jobs
/// directory through the git backend and asks the store for each script's latest pipeline;
/// keeps the last report for the dashboard and `/metrics`, so a page view never waits on git.
public actor OrphanScriptScan {
    let reader: any BranchDirectoryReader
    let store: any PipelineLookup
    let detector: ScriptDetector
    public nonisolated let repositories: [RepositoryName]
    /// The configured branch; without one, the branch of the repository's latest pipeline.
    let branch: String?
    let clock: any JobClock
    let logger: Logger
    public private(set) var latest: OrphanScriptReport?

    public init(
        reader: any BranchDirectoryReader, store: any PipelineLookup, detector: ScriptDetector,
        repositories: [RepositoryName], branch: String?, clock: any JobClock, logger: Logger
    ) {
        self.reader = reader
        self.store = store
        self.detector = detector
        self.repositories = repositories
        self.branch = branch
        self.clock = clock
        self.logger = logger
    }

    @discardableResult
    public func scan() async -> OrphanScriptReport {
        var scripts: [OrphanScript] = []
        var problems: [String] = []
        for repository in repositories {
            do {
                guard let branch = try await branch(of: repository) else { continue }
                let directory = try await reader.filesAtTip(
                    repository: repository, branch: branch, directory: detector.jobsDirectory)
                for path in directory.paths where detector.isScript(path) {
                    let latest = try await store.pipelines(
                        PipelineFilter(repository: repository, scriptPath: path, limit: 1)
                    ).first
                    if let advice = OrphanScriptRule.advice(latest: latest) {
                        scripts.append(OrphanScript(repository: repository, path: path, latest: latest, advice: advice))
                    }
                }
            } catch {
                problems.append("\(repository): \(error)")
                logger.warning("could not scan for orphaned scripts", metadata: ["repository": "\(repository)", "error": "\(error)"])
            }
        }
        let report = OrphanScriptReport(scannedAt: clock.now(), scripts: scripts, problems: problems)
        latest = report
        return report
    }

    /// The last report if it is younger than `maxAge`, else a new scan.
    public func report(maxAge: Duration) async -> OrphanScriptReport {
        if let latest, clock.now().timeIntervalSince(latest.scannedAt) < maxAge.secondsDouble { return latest }
        return await scan()
    }

    /// Scans now, then every `interval`, until the task is cancelled.
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            await scan()
            try? await Task.sleep(for: interval)
        }
    }

    private func branch(of repository: RepositoryName) async throws -> String? {
        if let branch { return branch }
        return try await store.pipelines(PipelineFilter(repository: repository, limit: 1)).first?.pipeline.source.branch
    }
}
