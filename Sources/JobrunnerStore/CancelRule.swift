import JobrunnerCore

/// What an operator's cancel does to a pipeline, decided once for both drivers: its current
/// stage (the latest kind) is cancelled while queued; a running EXECUTE gets a stop request
/// (once); anything else is refused.
enum CancelRule {
    static func outcome(for stages: [StageRecord], of pipeline: PipelineID) throws -> (stage: StageRecord, outcome: CancelOutcome) {
        guard let current = stages.max(by: { $0.kind < $1.kind }) else {
            throw PipelineStoreError.pipelineNotFound(pipeline)
        }
        switch (current.kind, current.state) {
        case (_, .queued):
            return (current, .cancelled)
        case (.execute, .running) where current.cancelRequestedAt == nil:
            return (current, .stopRequested)
        default:
            throw PipelineStoreError.invalidTransition(current.id, kind: current.kind, from: current.state, action: "cancel")
        }
    }
}
