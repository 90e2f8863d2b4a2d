import Foundation
import JobrunnerCore
import JobrunnerStages
import JobrunnerStore

/// What the list page opens with, for an operator to read in a second: what runs now, what is
/// queued and why it waits, what failed or was interrupted and needs someone, how long recent
/// runs took, and scripts left in the jobs directory that nothing will remove.
struct QueueOverview: Sendable {
    var running: [PipelineSummary]
    var queued: [PipelineSummary]
    var needingAttention: [PipelineSummary]
    var recent: [PipelineSummary]
    var counts: [PipelineStatus: Int]
    var orphans: OrphanScriptReport?

    /// How many of each list the page shows; the counts say how many there are in all.
    static let shown = 8

    static func read(
        _ store: any PipelineLookup, repository: RepositoryName?, orphans: OrphanScriptScan?
    ) async throws -> QueueOverview {
        @Sendable func list(_ status: PipelineStatus?, limit: Int = shown) async throws -> [PipelineSummary] {
            try await store.pipelines(PipelineFilter(repository: repository, status: status, limit: limit))
        }
        // Independent reads, asked at once: the page waits for the slowest, not for their sum.
        async let failed = list(.failed)
        async let interrupted = list(.interrupted)
        async let running = list(.running)
        async let queued = list(.queued)
        async let latest = list(nil, limit: 40)
        async let statistics = store.statistics()
        async let orphanReport = orphans?.report(maxAge: .seconds(30))
        let attention = try await failed + interrupted
        let recentlyFinished = try await latest
            .filter { $0.stage(.execute)?.finishedAt != nil && $0.stage(.execute)?.startedAt != nil }
        return QueueOverview(
            running: try await running, queued: try await queued,
            needingAttention: attention.sorted { $0.pipeline.id > $1.pipeline.id }.prefix(shown).map { $0 },
            recent: Array(recentlyFinished.prefix(shown)), counts: try await statistics.pipelinesByStatus,
            orphans: await orphanReport)
    }

    /// Why a queued pipeline has not started, in words.
    static func waitReason(_ summary: PipelineSummary, now: Date) -> String {
        guard let stage = summary.stages.last(where: { $0.state == .queued }) else { return "queued" }
        if let reason = stage.waitReason { return reason }
        if stage.runAfter > now {
            return "\(stage.kind.displayName) retries at \(DashboardFormat.time(stage.runAfter)) (attempt \(stage.attempt + 1) of \(stage.maxAttempts))"
        }
        if stage.kind == .execute {
            return "EXECUTE waits for a worker, or for earlier scripts of \(summary.pipeline.source.repository) (one at a time, in order)"
        }
        return "\(stage.kind.displayName) waits for a free worker"
    }

    /// How long the script ran.
    static func runTime(_ summary: PipelineSummary) -> Double? {
        guard let execute = summary.stage(.execute), let start = execute.startedAt, let end = execute.finishedAt else { return nil }
        return end.timeIntervalSince(start)
    }
}
