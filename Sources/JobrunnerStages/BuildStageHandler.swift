import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging

extension BuildStageHandler {
    /// The script must still be on the branch tip with the content of its commit: a script that
    /// ran was removed by its CLEANUP, so an old push delivered again builds — and runs — nothing.
    /// Checked here, before EXECUTE, where a change pushed meanwhile supersedes the pipeline
    /// instead of racing a script that has started.
    static func checkStillOnBranch(_ pipeline: PipelineRecord, built script: ScriptSource, branch: any BranchDirectoryReader)
        async throws
    {
        let source = pipeline.source
        let directory = (source.scriptPath as NSString).deletingLastPathComponent
        let tip: BranchDirectory
        do {
            tip = try await branch.filesAtTip(repository: source.repository, branch: source.branch, directory: directory)
        } catch {
            throw StageFailure.transient("could not read \(source.branch) of \(source.repository) to check the script is still there: \(error)")
        }
        let decision = ScriptOnBranchRule.decide(
            pipeline: pipeline, tip: tip.commit, tipBlob: tip.blobs[source.scriptPath],
            builtBlob: script.blobID ?? GitBlobID.of(script.content))
        if case .refuse(let reason) = decision { throw StageFailure.permanent(reason) }
    }
}

/// The PROCESS stage (named for what it does, so it is not mistaken for the process runner):
/// check the approval policy, read the script at the pushed commit — with the repository tree
/// at that commit for toolchains that bundle imports — build it, store the artifact (with the
/// pull request and its approvers, for the log).
public struct BuildStageHandler: StageHandler {
    public let reader: any ScriptSourceReader
    public let builder: ScriptBuilder
    public let scopes: SourceScopePolicy
    public let approvalGate: (any ApprovalGate)?
    public let store: any RunRecords & FeedbackLog
    public let feedback: FeedbackEvents?
    /// Reads the branch tip (`ScriptOnBranchRule`); nil skips the check (tests of the handler alone).
    public let branch: (any BranchDirectoryReader)?

    public init(
        store: any RunRecords & FeedbackLog, reader: any ScriptSourceReader, builder: ScriptBuilder, scopes: SourceScopePolicy,
        approvalGate: (any ApprovalGate)? = nil, feedback: FeedbackEvents? = nil,
        branch: (any BranchDirectoryReader)? = nil
    ) {
        self.branch = branch
        self.store = store
        self.reader = reader
        self.builder = builder
        self.scopes = scopes
        self.approvalGate = approvalGate
        self.feedback = feedback
    }

    public func run(_ stage: ClaimedStage, logger: Logger) async throws -> StageSuccess {
        let source = stage.pipeline.source
        // Every attempt: after an operator's retry the status and the comment must stop saying
        // "failed" (statuses are idempotent; an unchanged comment is not edited).
        if let events = feedback?(.started), !events.isEmpty {
            try await store.enqueueFeedback(events, for: stage.pipeline.id)
            feedback?.written.signal()
        }
        let approval = try await approvalGate?.check(stage.pipeline)
        let script = try await reader.read(
            repository: source.repository, commit: source.commit, path: source.scriptPath,
            scope: scopes.scope(for: builder.toolchain(for: source.scriptPath)))
        if let branch { try await Self.checkStillOnBranch(stage.pipeline, built: script, branch: branch) }
        var artifact = try await builder.build(script)
        artifact.approval = approval
        try await store.saveArtifact(artifact, lease: stage.lease)
        logger.info(
            "built", metadata: ["toolchain": "\(artifact.toolchainVersion)", "digest": "\(artifact.digest)", "bytes": "\(artifact.content.count)"])
        return StageSuccess(
            summary: "built with \(artifact.toolchain) in \(Int(artifact.buildDuration.secondsDouble * 1000)) ms: \(artifact.content.count) bytes, sha256 \(artifact.digest.prefix(12))")
    }
}
