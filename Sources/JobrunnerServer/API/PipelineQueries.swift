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

    /// A pipeline with its build, runs, feedback deliveries and outbox; nil if it does not exist.
    static func everything(_ store: any PipelineRecordsReader, _ id: PipelineID) async throws -> PipelineEverything? {
        guard let detail = try await store.pipeline(id) else { return nil }
        async let artifact = store.artifact(for: id)
        async let executions = store.executions(for: id)
        async let feedback = store.feedback(for: id)
        async let outbox = store.outbox(for: id)
        return PipelineEverything(
            detail: detail, artifact: try await artifact, executions: try await executions, feedback: try await feedback,
            outbox: try await outbox)
    }
}

/// Everything known about one pipeline: what its page and its API detail show.
struct PipelineEverything: Sendable {
    var detail: PipelineDetail
    var artifact: Artifact?
    var executions: [ExecutionRecord]
    var feedback: [FeedbackRecord]
    var outbox: [OutboxMessage]
}
