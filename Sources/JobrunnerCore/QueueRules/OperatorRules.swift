/// What an operator's cancel does to a pipeline, decided from its stages: the current stage
/// (the latest kind) is cancelled while it is queued; a running EXECUTE gets one stop request
/// that its worker — on whichever node — acts on by killing the script; anything else is refused.
public enum CancelRule {
    public enum Decision: Sendable, Equatable {
        /// Cancel this queued stage; nothing of the pipeline runs any more.
        case cancel(StageRecord)
        /// Ask the worker running this EXECUTE to stop it.
        case requestStop(StageRecord)
        /// Nothing to cancel: the current stage is in a state cancel does not apply to.
        case refuse(StageRecord)
        /// The pipeline has no stages (it does not exist).
        case noStages
    }

    public static func decide(_ stages: [StageRecord]) -> Decision {
        guard let current = stages.max(by: { $0.kind < $1.kind }) else { return .noStages }
        switch current.state {
        case .queued: return .cancel(current)
        case .running where !current.kind.isIdempotent && current.cancelRequestedAt == nil: return .requestStop(current)
        case .running, .succeeded, .failed, .interrupted, .cancelled: return .refuse(current)
        }
    }
}

/// Whether an operator may queue a stage again, and with what attempt budget.
public enum OperatorRetryRule {
    public enum Decision: Sendable, Equatable {
        /// Queue it with this many attempts allowed in all.
        case queue(maxAttempts: Int)
        /// Refused: the stage is in this state (or its pipeline was cancelled).
        case refuse(from: StageState)
        /// Refused: the pipeline was superseded by a fix, or discarded — its script must not run.
        case refuseClosed(PipelineMark)
    }

    /// Failed and interrupted stages may be retried, with a fresh budget of attempts (for
    /// EXECUTE exactly one more run). A cancelled pipeline stays cancelled — except the CLEANUP
    /// that follows a stopped EXECUTE, which must still be able to commit its log.
    /// A superseded pipeline is never retried (its fix runs instead), and of a discarded one only
    /// the CLEANUP that commits its log.
    public static func decide(
        _ stage: StageRecord, in pipelineStages: [StageRecord], marks: Set<PipelineMark> = [], policy: RetryPolicy
    ) -> Decision {
        if marks.contains(.superseded) { return .refuseClosed(.superseded) }
        if marks.contains(.discarded) && stage.kind != .cleanup { return .refuseClosed(.discarded) }
        guard stage.state.isRetryable else { return .refuse(from: stage.state) }
        if !marks.contains(.discarded) && pipelineStages.contains(where: { $0.state == .cancelled && $0.kind.isIdempotent }) {
            return .refuse(from: .cancelled)
        }
        return .queue(maxAttempts: policy.maxAttemptsAfterOperatorRetry(kind: stage.kind, attemptsUsed: stage.attempt))
    }
}
