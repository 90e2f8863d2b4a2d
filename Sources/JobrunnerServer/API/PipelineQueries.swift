import JobrunnerCore
import JobrunnerStore

/// Everything the dashboard and the API read about pipelines: lists, and each pipeline's build,
/// runs and feedback.
public typealias PipelineRecordsReader = PipelineLookup & RunRecords & FeedbackLog

/// The reads the dashboard and the API share, so both page and assemble a pipeline alike.
enum PipelineQueries {
    /// One page of `filter` (newest first) and the id to page on from, when older ones exist.
    static func page(_ store: any PipelineLookup, _ filter: PipelineFilter) async throws
        -> (pipelines: [PipelineSummary], olderThan: PipelineID?)
    {
        var probe = filter
        probe.limit = filter.limit + 1
        var summaries = try await store.pipelines(probe)
        guard summaries.count > filter.limit else { return (summaries, nil) }
        summaries.removeLast()
        return (summaries, summaries.last?.pipeline.id)
    }

    /// A pipeline with its build, runs and feedback; nil if it does not exist.
    static func everything(_ store: any PipelineRecordsReader, _ id: PipelineID) async throws
        -> (detail: PipelineDetail, artifact: Artifact?, executions: [ExecutionRecord], feedback: [FeedbackRecord])?
    {
        guard let detail = try await store.pipeline(id) else { return nil }
        async let artifact = store.artifact(for: id)
        async let executions = store.executions(for: id)
        async let feedback = store.feedback(for: id)
        return (detail, try await artifact, try await executions, try await feedback)
    }
}
