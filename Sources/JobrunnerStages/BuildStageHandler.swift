import JobrunnerCore
import JobrunnerStore
import Logging

/// The PROCESS stage (named for what it does, so it is not mistaken for the process runner):
/// check the approval policy, read the script at the pushed commit — with the repository tree
/// at that commit for toolchains that bundle imports — build it, store the artifact (with the
/// pull request and its approvers, for the log).
public struct BuildStageHandler: StageHandler {
    public let store: any RunRecords
    public let reader: any ScriptSourceReader
    public let builder: ScriptBuilder
    public let scopes: SourceScopePolicy
    public let approvalGate: (any ApprovalGate)?
    public let feedback: FeedbackDispatcher?

    public init(
        store: any RunRecords, reader: any ScriptSourceReader, builder: ScriptBuilder, scopes: SourceScopePolicy,
        approvalGate: (any ApprovalGate)? = nil, feedback: FeedbackDispatcher? = nil
    ) {
        self.store = store
        self.reader = reader
        self.builder = builder
        self.scopes = scopes
        self.approvalGate = approvalGate
        self.feedback = feedback
    }

    public func run(_ stage: ClaimedStage, logger: Logger) async throws -> StageSuccess {
        let source = stage.pipeline.source
        if stage.lease.attempt == 1 {
            await feedback?.report(.started, for: stage.pipeline, logger: logger)
        }
        let approval = try await approvalGate?.check(stage.pipeline)
        let script = try await reader.read(
            repository: source.repository, commit: source.commit, path: source.scriptPath,
            scope: scopes.scope(for: builder.toolchain(for: source.scriptPath)))
        var artifact = try await builder.build(script)
        artifact.approval = approval
        try await store.saveArtifact(artifact, lease: stage.lease)
        logger.info(
            "built", metadata: ["toolchain": "\(artifact.toolchainVersion)", "digest": "\(artifact.digest)", "bytes": "\(artifact.content.count)"])
        return StageSuccess(
            summary: "built with \(artifact.toolchain) in \(Int(artifact.buildDuration.secondsDouble * 1000)) ms: \(artifact.content.count) bytes, sha256 \(artifact.digest.prefix(12))")
    }
}
