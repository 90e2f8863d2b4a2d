import JobrunnerCore
import JobrunnerStore

/// Everything the dashboard and the API read about pipelines: lists, and each pipeline's build,
/// runs and feedback.
public typealias PipelineRecordsReader = PipelineLookup & RunRecords & FeedbackLog & DryRunLog

/// The reads the dashboard and the API share, so both page and assemble a pipeline alike.
enum PipelineQueries {
    /// One page of `filter` (newest first), the id to page on for older ones when they exist
    /// (`before`), and the id to page on for newer ones when they exist (`after`).
    static func page(_ store: any PipelineLookup, _ filter: PipelineFilter) async throws
        -> (pipelines: [PipelineSummary], olderThan: PipelineID?, newerThan: PipelineID?)
    {
        var probe = filter
        probe.limit = filter.limit + 1
        var summaries = try await store.pipelines(probe)
        let more = summaries.count > filter.limit
        if more {
            // The extra one lies beyond the page in the direction read: older, or newer after `after`.
            if filter.after == nil { summaries.removeLast() } else { summaries.removeFirst() }
        }
        guard let first = summaries.first?.pipeline.id, let last = summaries.last?.pipeline.id else { return ([], nil, nil) }
        func exists(_ change: (inout PipelineFilter) -> Void) async throws -> Bool {
            var look = filter
            look.before = nil
            look.after = nil
            look.limit = 1
            change(&look)
            return try await !store.pipelines(look).isEmpty
        }
        let older = filter.after == nil ? more : try await exists { $0.before = last }
        let newer = filter.after != nil ? more : (filter.before == nil ? false : try await exists { $0.after = first })
        return (summaries, older ? last : nil, newer ? first : nil)
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
