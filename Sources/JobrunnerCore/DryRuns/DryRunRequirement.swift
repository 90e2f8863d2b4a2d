/// `JOBRUNNER_REQUIRE_DRY_RUN`: whether EXECUTE may run a merged script. The same content (git
/// blob) must have had a successful dry run, or an operator must have overridden the
/// requirement for this pipeline (recorded, and written in the execution log).
public enum DryRunRequirement {
    public enum Decision: Sendable, Equatable {
        /// Run; the dry run (if any) is linked from the log.
        case run(dryRun: Int64?)
        /// Wait, with the reason shown wherever the pipeline is.
        case wait(String)
    }

    public static func decide(
        required: Bool, blob: String, scriptPath: String, successfulDryRun: Int64?, overriddenBy: String?
    ) -> Decision {
        guard required else { return .run(dryRun: successfulDryRun) }
        if let successfulDryRun { return .run(dryRun: successfulDryRun) }
        if overriddenBy != nil { return .run(dryRun: nil) }
        return .wait(
            "waiting for a successful dry run of this content of \(scriptPath) (blob \(blob.prefix(12))) — JOBRUNNER_REQUIRE_DRY_RUN is on; an operator can override it (recorded in the log)")
    }
}
