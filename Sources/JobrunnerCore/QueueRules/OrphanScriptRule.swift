/// A script on the branch tip in the jobs directory is *orphaned* when no pipeline of it is
/// queued or running: nothing will ever remove it, and the next reader may take it for pending
/// work. The rule says whether it is, and what an operator does about it.
public enum OrphanScriptRule {
    /// `nil` when a pipeline of the script is still live; otherwise what to do.
    public static func advice(latest: PipelineSummary?) -> String? {
        guard let latest else {
            return "no pipeline: it reached the branch before Jobrunner watched it, or its push was ignored — remove it with a pull request, or add it under a new name to run it"
        }
        let id = latest.pipeline.id
        switch latest.status {
        case .queued, .running:
            return nil
        case .failed where latest.stage(.cleanup)?.state == .failed:
            return "CLEANUP of pipeline \(id) failed — retry it to commit the log and remove the script"
        case .interrupted:
            return "the run of pipeline \(id) was interrupted — retry EXECUTE, or discard it (the log will say it may have run)"
        case .failed, .cancelled:
            if case .discard = DiscardRule.decide(latest) {
                return "pipeline \(id) is \(latest.status.rawValue) — push a fix (a modified file runs again) or discard it"
            }
            return "pipeline \(id) is \(latest.status.rawValue) — retry its failed stage"
        case .succeeded, .discarded, .superseded:
            return "pipeline \(id) is \(latest.status.rawValue), but the file changed on the branch after it, so CLEANUP left it — remove it with a pull request"
        }
    }
}
