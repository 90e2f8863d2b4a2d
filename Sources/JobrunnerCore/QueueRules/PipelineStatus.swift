/// A pipeline's overall state, derived from its stages by `PipelineStatus.rule`.
public enum PipelineStatus: String, Sendable, Codable, CaseIterable {
    case queued
    case running
    case succeeded
    case failed
    case interrupted
    case cancelled

    /// The rule, in order: the first condition some stage meets decides the status; when none
    /// does, the pipeline is `queued`. `init(stages:)` applies it in Swift, and the stores
    /// generate their SQL from it (`StoredSQL.statusExpression`), so lists filtered by status
    /// and the status shown can never disagree (a conformance test checks every combination).
    public static let rule: [(condition: StageCondition, status: PipelineStatus)] = [
        (.anyStage(.cancelled), .cancelled),
        (.anyStage(.running), .running),
        (.anyStage(.failed), .failed),
        (.anyStage(.interrupted), .interrupted),
        (.stage(.cleanup, .succeeded), .succeeded),
    ]

    /// The status when no condition of `rule` holds.
    public static let otherwise: PipelineStatus = .queued

    /// The status a set of stages adds up to.
    public init(stages: [StageRecord]) {
        self = Self.rule.first { entry in stages.contains { entry.condition.matches($0) } }?.status ?? Self.otherwise
    }

    /// Nothing more happens to the pipeline unless an operator acts.
    public var isAtRest: Bool { self != .queued && self != .running }
}

/// A condition on one stage of a pipeline, as the status rule states it.
public enum StageCondition: Sendable, Equatable {
    /// A stage of any kind is in this state.
    case anyStage(StageState)
    /// The stage of this kind is in this state.
    case stage(StageKind, StageState)

    public func matches(_ stage: StageRecord) -> Bool {
        switch self {
        case .anyStage(let state): stage.state == state
        case .stage(let kind, let state): stage.kind == kind && stage.state == state
        }
    }
}
