import JobrunnerCore
import JobrunnerStore
import Logging

/// PROCESS: read the script at the pushed commit, build it, store the artifact.
public struct ProcessStageHandler: StageHandler {
    public let store: any PipelineStore
    public let reader: any ScriptSourceReader
    public let builder: ScriptBuilder
    public let jobsDirectory: String

    public init(store: any PipelineStore, reader: any ScriptSourceReader, builder: ScriptBuilder, jobsDirectory: String) {
        self.store = store
        self.reader = reader
        self.builder = builder
        self.jobsDirectory = jobsDirectory
    }

    public func run(_ stage: ClaimedStage, logger: Logger) async throws -> StageSuccess {
        let source = stage.pipeline.source
        let script = try await reader.read(
            repository: source.repository, commit: source.commit, path: source.scriptPath, jobsDirectory: jobsDirectory)
        let artifact = try await builder.build(script)
        try await store.saveArtifact(artifact, lease: stage.lease)
        logger.info(
            "built", metadata: ["toolchain": "\(artifact.toolchainVersion)", "digest": "\(artifact.digest)", "bytes": "\(artifact.content.count)"])
        return StageSuccess(
            summary: "built with \(artifact.toolchain) in \(Int(artifact.buildDuration.secondsDouble * 1000)) ms: \(artifact.content.count) bytes, sha256 \(artifact.digest.prefix(12))")
    }
}
