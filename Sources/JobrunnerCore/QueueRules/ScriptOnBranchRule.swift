/// Before EXECUTE starts: the script must still be on the branch tip, with the content of the
/// commit that was built. A script that ran was removed by its CLEANUP, so a replayed or
/// redelivered old push — even after retention pruned its pipeline — finds nothing to run; a
/// script changed since runs only through the pipeline its change created.
public enum ScriptOnBranchRule {
    public enum Decision: Sendable, Equatable {
        case run
        /// Nothing runs; the stage fails with this reason.
        case refuse(String)
    }

    /// - Parameters:
    ///   - tip: the branch tip that was read; `tipBlob` / `builtBlob`: the script's blob at the
    ///     tip (nil: not there) and in what PROCESS built.
    public static func decide(pipeline: PipelineRecord, tip: String, tipBlob: String?, builtBlob: String) -> Decision {
        let source = pipeline.source
        let branch = "\(source.branch) of \(source.repository) (tip \(tip.prefix(12)))"
        guard let tipBlob else {
            return .refuse("\(source.scriptPath) is no longer on \(branch): it already ran and CLEANUP removed it, or it was deleted — nothing was run")
        }
        guard tipBlob == builtBlob else {
            return .refuse("\(source.scriptPath) changed on \(branch) since commit \(source.commit.prefix(12)) — nothing was run; the change runs through its own pipeline")
        }
        return .run
    }
}
