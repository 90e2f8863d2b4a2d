import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging

/// CLEANUP: one commit on the branch that removes the script and adds its execution log.
/// Idempotent (the log path is derived from the pipeline), so a retry after a lost push
/// acknowledgement commits nothing twice.
public struct CleanupStageHandler: StageHandler {
    public let store: any PipelineLookup & RunRecords
    public let committer: any LogCommitter
    public let logsDirectory: String
    /// The secrets to mask in the log, asked at each run (the application's settings file may change).
    public let masking: @Sendable () -> SecretMasker
    public let authorName: String
    public let authorEmail: String
    public let skipCI: Bool
    /// Where a committed file can be read, with `{repository}`, `{commit}` and `{path}`
    /// (e.g. `https://github.com/{repository}/blob/{commit}/{path}`), for feedback links.
    public let fileURLTemplate: String?
    public let feedback: FeedbackEvents?
    /// For the fence languages of the log.
    public let toolchains: [Toolchain]
    /// Where the log finds the dry run of the same content to link (dry runs on), and its page.
    public var dryRuns: (store: any DryRunLog, pageURL: @Sendable (Int64) -> String?)?

    public init(
        store: any PipelineLookup & RunRecords, committer: any LogCommitter, logsDirectory: String,
        masker: @autoclosure @escaping @Sendable () -> SecretMasker,
        authorName: String = "jobrunner[bot]", authorEmail: String = "jobrunner[bot]@users.noreply.github.com",
        skipCI: Bool = true, fileURLTemplate: String? = nil, feedback: FeedbackEvents? = nil,
        toolchains: [Toolchain] = Toolchain.builtIn
    ) {
        self.toolchains = toolchains
        self.fileURLTemplate = fileURLTemplate
        self.feedback = feedback
        self.store = store
        self.committer = committer
        self.logsDirectory = logsDirectory
        self.masking = masker
        self.authorName = authorName
        self.authorEmail = authorEmail
        self.skipCI = skipCI
    }

    public func run(_ stage: ClaimedStage, logger: Logger) async throws -> StageSuccess {
        if let discard = stage.pipeline.discard { return try await commitDiscard(stage.pipeline, discard, logger: logger) }
        let pipeline = stage.pipeline
        guard let detail = try await store.pipeline(pipeline.id),
            let artifact = try await store.artifact(for: pipeline.id),
            let execution = try await store.executions(for: pipeline.id).last
        else {
            throw StageFailure.permanent("pipeline \(pipeline.id) has no artifact or execution to log")
        }
        let source = pipeline.source
        var log = ExecutionLog(
            scriptPath: source.scriptPath, repository: source.repository.rawValue, commit: source.commit,
            pipelineID: pipeline.id, pullRequest: source.pullRequest, author: source.author, pusher: source.pusher,
            executeAttempt: execution.attempt, operatorActions: detail.operatorActions, artifact: artifact,
            source: artifact.source, execution: execution, toolchains: toolchains)
        if let dryRuns,
            let id = try await dryRuns.store.successfulDryRun(repository: source.repository, blob: GitBlobID.of(artifact.source)),
            let dryRun = try await dryRuns.store.dryRun(id)
        {
            log.dryRun = DryRunLink(id: id, pullRequest: dryRun.pullRequest, headCommit: dryRun.headCommit, url: dryRuns.pageURL(id))
        }
        let (result, path) = try await commit(
            pipeline, log: log.render(masking: masking()), outcome: execution.outcome.rawValue, discardedBy: nil)
        logger.info("log committed", metadata: ["commit": "\(result.commit)", "log": "\(path)"])
        let logURL = self.logURL(source.repository, commit: result.commit, path: path)
        let report = PipelineReport(
            outcome: execution.outcome, exitCode: execution.exitCode, duration: execution.duration, logPath: path,
            logURL: logURL, logCommit: result.commit, pullRequest: artifact.approval?.number ?? source.pullRequest)
        return StageSuccess(summary: Self.summary(result, path: path), feedback: [.finished(report)])
    }

    /// A discarded pipeline: the same commit (remove the script, add the log), with a log that
    /// says it did not run — or may have run — who discarded it and why.
    private func commitDiscard(_ pipeline: PipelineRecord, _ discard: PipelineDiscard, logger: Logger) async throws
        -> StageSuccess
    {
        guard let detail = try await store.pipeline(pipeline.id) else {
            throw StageFailure.permanent("pipeline \(pipeline.id) does not exist")
        }
        let stopped = detail.summary.stages.last { $0.kind != .cleanup }
        let log = DiscardLog(
            pipeline: pipeline, discard: discard, stoppedBecause: stopped?.lastError,
            operatorActions: detail.operatorActions, artifact: try await store.artifact(for: pipeline.id),
            execution: discard.mayHaveRun ? try await store.executions(for: pipeline.id).last : nil, toolchains: toolchains)
        let (result, path) = try await commit(
            pipeline, log: log.render(masking: masking()), outcome: log.outcome, discardedBy: discard.operatorName)
        logger.info("discard log committed", metadata: ["commit": "\(result.commit)", "log": "\(path)"])
        let event = PipelineEvent.discarded(
            by: discard.operatorName, reason: discard.reason, logPath: path,
            logURL: logURL(pipeline.source.repository, commit: result.commit, path: path), logCommit: result.commit)
        return StageSuccess(summary: Self.summary(result, path: path), feedback: [event])
    }

    /// The one commit either log goes into: the script removed (the version that ran), the log added.
    private func commit(_ pipeline: PipelineRecord, log: String, outcome: String, discardedBy: String?) async throws
        -> (result: CleanupResult, path: String)
    {
        let source = pipeline.source
        let path = ExecutionLogPath.path(for: pipeline, logsDirectory: logsDirectory)
        let result = try await committer.commitCleanup(
            CleanupRequest(
                repository: source.repository, branch: source.branch, scriptPath: source.scriptPath,
                sourceCommit: source.commit, logPath: path, logContent: log,
                message: CleanupCommitMessage.make(
                    scriptPath: source.scriptPath, outcome: outcome, pipeline: pipeline.id, skipCI: skipCI,
                    discardedBy: discardedBy),
                authorName: authorName, authorEmail: authorEmail))
        return (result, path)
    }

    private func logURL(_ repository: RepositoryName, commit: String, path: String) -> String? {
        fileURLTemplate.map {
            $0.replacingOccurrences(of: "{repository}", with: repository.rawValue)
                .replacingOccurrences(of: "{commit}", with: commit).replacingOccurrences(of: "{path}", with: path)
        }
    }

    static func summary(_ result: CleanupResult, path: String) -> String {
        let what =
            switch result.script {
            case .removed?: "script removed"
            case .vanished?: "script was already gone"
            case .changedOnBranch?: "script changed on the branch, left in place"
            case nil: "log was already on the branch"
            }
        return "\(result.committed ? "committed" : "found") \(result.commit.prefix(12)): \(path), \(what)"
    }
}
