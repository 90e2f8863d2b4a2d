/// What a push that *modifies* a script in the jobs directory does. A fix of a script that never
/// ran must run — otherwise a failed script stays in `jobs/` for good — but a script whose
/// EXECUTE started must never run again because its file changed: production already saw it.
public enum ModifiedScriptRule {
    public enum Decision: Sendable, Equatable {
        /// Start a new pipeline for the new content in place of `earlier`, cancelling these of its
        /// stages (queued, or PROCESS running) so the old content can never reach EXECUTE.
        case supersede(earlier: PipelineID, cancelling: [StageRecord])
        /// Start nothing; the delivery records why.
        case skip(reason: String)
    }

    /// Decides from the latest pipeline of the script's path (`nil`: Jobrunner never saw it).
    public static func decide(latest: PipelineSummary?) -> Decision {
        guard let latest else {
            return .skip(reason: "modified, but no earlier pipeline of this script exists — add a new file to run it")
        }
        if let execute = latest.stage(.execute), execute.attempt > 0 {
            return .skip(reason: "already executed in pipeline \(latest.pipeline.id) — add a new file to run it again")
        }
        let cancelling = latest.stages.filter { stage in
            switch (stage.kind, stage.state) {
            case (_, .queued): stage.kind != .cleanup
            case (.process, .running): true
            case (.execute, .running), (.cleanup, .running), (_, .succeeded), (_, .failed), (_, .interrupted), (_, .cancelled): false
            }
        }
        return .supersede(earlier: latest.pipeline.id, cancelling: cancelling)
    }

    /// Why a superseded pipeline's cancelled stages stopped, as their error says.
    public static func cancelReason(supersededBy later: PipelineID) -> String {
        "superseded by pipeline \(later): a fix of the script was pushed before it ran"
    }
}
