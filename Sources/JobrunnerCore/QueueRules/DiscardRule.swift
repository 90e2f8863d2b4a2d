/// Whether an operator may discard a pipeline: give up on a script that will not run (again) so
/// CLEANUP removes it from the jobs directory and commits a log that says why — `jobs/` never
/// keeps dead scripts.
public enum DiscardRule {
    public enum Decision: Sendable, Equatable {
        /// Discard it and queue CLEANUP. `mayHaveRun` when its EXECUTE had started.
        case discard(mayHaveRun: Bool)
        /// Refused, with what the operator should do instead.
        case refuse(String)
    }

    /// Applies to a pipeline at rest that failed or was cancelled before EXECUTE, or whose
    /// EXECUTE was interrupted or failed. Anything that runs or will still commit its own log
    /// (a finished or stopped EXECUTE has a CLEANUP) is refused.
    public static func decide(_ summary: PipelineSummary) -> Decision {
        let id = summary.pipeline.id
        if summary.pipeline.discard != nil { return .refuse("pipeline \(id) is already discarded") }
        if let later = summary.pipeline.supersededBy {
            return .refuse("pipeline \(id) was superseded by pipeline \(later), which owns the script now — discard that one instead")
        }
        if summary.stages.contains(where: { !$0.state.isTerminal }) {
            return .refuse("pipeline \(id) is still queued or running — cancel it first")
        }
        if summary.stage(.cleanup) != nil {
            return .refuse("pipeline \(id) already has a CLEANUP that commits its log — retry that stage if it failed")
        }
        guard let current = summary.stages.last else { return .refuse("pipeline \(id) has no stages") }
        switch (current.kind, current.state) {
        case (.process, .failed), (.process, .cancelled):
            return .discard(mayHaveRun: false)
        case (.execute, .cancelled) where current.attempt == 0:
            return .discard(mayHaveRun: false)
        case (.execute, .interrupted), (.execute, .failed):
            return .discard(mayHaveRun: current.attempt > 0)
        // Every other pair, named so that a new state or stage must be decided here.
        case (.process, .succeeded), (.process, .interrupted), (.process, .queued), (.process, .running),
            (.execute, .succeeded), (.execute, .cancelled), (.execute, .queued), (.execute, .running),
            (.cleanup, _):
            return .refuse("pipeline \(id) is \(summary.status.rawValue): only a pipeline that failed or was cancelled before EXECUTE, or whose EXECUTE was interrupted, can be discarded")
        }
    }
}
