/// When an operator may let a pipeline's EXECUTE run without the dry run
/// `JOBRUNNER_REQUIRE_DRY_RUN` asks for: only while that EXECUTE waits (queued, not yet started)
/// and the pipeline is neither discarded nor superseded.
public enum DryRunOverrideRule {
    public enum Decision: Sendable, Equatable {
        case accept(StageRecord)
        case refuse(String)
    }

    public static func decide(pipeline: PipelineID, stages: [StageRecord], marks: Set<PipelineMark>) -> Decision {
        if let mark = marks.first { return .refuse("pipeline \(pipeline) is \(mark.rawValue): nothing of it runs") }
        guard let execute = stages.first(where: { $0.kind == .execute }) else {
            return .refuse("pipeline \(pipeline) has not reached EXECUTE yet: override once it waits for its dry run")
        }
        guard execute.state == .queued else {
            return .refuse("EXECUTE of pipeline \(pipeline) is \(execute.state.rawValue), not waiting: there is nothing to override")
        }
        return .accept(execute)
    }
}
