import Foundation

/// Something an operator asked for explicitly. Recorded, and shown in the committed log,
/// because re-running a production script must always be traceable to a person.
public struct OperatorAction: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case retry
        case cancel
        /// Gave up on the script: CLEANUP removes it and logs that it did not (or may have) run.
        case discard
        /// Let EXECUTE run without the successful dry run `JOBRUNNER_REQUIRE_DRY_RUN` asks for.
        case overrideDryRun = "override-dry-run"
    }

    public var id: Int64
    public var pipelineID: PipelineID
    public var stageID: StageID?
    public var stageKind: StageKind?
    public var kind: Kind
    public var operatorName: String
    public var at: Date
    public var reason: String?

    public init(
        id: Int64, pipelineID: PipelineID, stageID: StageID?, stageKind: StageKind?, kind: Kind,
        operatorName: String, at: Date, reason: String?
    ) {
        self.id = id
        self.pipelineID = pipelineID
        self.stageID = stageID
        self.stageKind = stageKind
        self.kind = kind
        self.operatorName = operatorName
        self.at = at
        self.reason = reason
    }
}
