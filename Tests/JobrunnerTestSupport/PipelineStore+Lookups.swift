import JobrunnerCore
import JobrunnerStore

/// Shorthands for tests that look at one pipeline.
extension PipelineStore {
    public func status(_ id: PipelineID) async throws -> PipelineStatus? {
        try await pipeline(id)?.summary.status
    }

    public func stage(_ id: PipelineID, _ kind: StageKind) async throws -> StageRecord? {
        try await pipeline(id)?.summary.stage(kind)
    }
}
