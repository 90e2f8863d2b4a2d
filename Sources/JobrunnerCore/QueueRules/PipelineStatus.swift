/// A pipeline's overall state, derived from its stages — and its script's result — by
/// `PipelineStatus.rule`. A script that ran and failed (non-zero exit, time limit, signal) makes
/// the finished pipeline `failed`, while its stages keep their meaning (EXECUTE `succeeded`: the
/// infrastructure did its part); `PipelineOutcome` says which failure it was.
public enum PipelineStatus: String, Sendable, Codable, CaseIterable {
    case queued
    case running
    case succeeded
    case failed
    case interrupted
    case cancelled
    /// A fix of the script was pushed before it ran; the later pipeline runs instead.
    case superseded
    /// An operator discarded it; CLEANUP removed the script and committed a log saying so.
    case discarded

    /// The rule, in order: the first condition some stage meets decides the status; when none
    /// does, the pipeline is `queued`. `init(stages:)` applies it in Swift, and the stores
    /// generate their SQL from it (`StoredSQL.statusExpression`), so lists filtered by status
    /// and the status shown can never disagree (a conformance test checks every combination).
    public static let rule: [(condition: StageCondition, status: PipelineStatus)] = [
        (.marked(.superseded), .superseded),
        (.both(.marked(.discarded), .anyStage(.running)), .running),
        (.both(.marked(.discarded), .stage(.cleanup, .failed)), .failed),
        (.both(.marked(.discarded), .stage(.cleanup, .succeeded)), .discarded),
        (.both(.marked(.discarded), .stage(.cleanup, .queued)), .queued),
        (.anyStage(.cancelled), .cancelled),
        (.anyStage(.running), .running),
        (.anyStage(.failed), .failed),
        (.anyStage(.interrupted), .interrupted),
        (.both(.scriptEnded(ExecutionOutcome.scriptFailures), .stage(.cleanup, .succeeded)), .failed),
        (.stage(.cleanup, .succeeded), .succeeded),
    ]

    /// The status when no condition of `rule` holds.
    public static let otherwise: PipelineStatus = .queued

    /// The status a set of stages, the result of the latest script run and the pipeline's marks
    /// add up to.
    public init(stages: [StageRecord], script: ScriptResult? = nil, marks: Set<PipelineMark> = []) {
        self = Self.rule.first { $0.condition.holds(stages: stages, script: script, marks: marks) }?.status ?? Self.otherwise
    }

    /// Nothing more happens to the pipeline unless an operator acts.
    public var isAtRest: Bool { self != .queued && self != .running }
}

/// A condition on a pipeline's stages and its latest script run, as the status rule states it.
public indirect enum StageCondition: Sendable, Equatable {
    /// A stage of any kind is in this state.
    case anyStage(StageState)
    /// The stage of this kind is in this state.
    case stage(StageKind, StageState)
    /// The latest script run ended in one of these outcomes.
    case scriptEnded(Set<ExecutionOutcome>)
    /// The pipeline carries this mark.
    case marked(PipelineMark)
    /// Both hold.
    case both(StageCondition, StageCondition)

    public func holds(stages: [StageRecord], script: ScriptResult?, marks: Set<PipelineMark> = []) -> Bool {
        switch self {
        case .marked(let mark): marks.contains(mark)
        case .anyStage(let state): stages.contains { $0.state == state }
        case .stage(let kind, let state): stages.contains { $0.kind == kind && $0.state == state }
        case .scriptEnded(let outcomes): script.map { outcomes.contains($0.outcome) } ?? false
        case .both(let first, let second):
            first.holds(stages: stages, script: script, marks: marks) && second.holds(stages: stages, script: script, marks: marks)
        }
    }
}

/// What happened to a pipeline as a whole, beyond its stages.
public enum PipelineMark: String, Sendable, Hashable, CaseIterable {
    /// A later pipeline of the same script replaced it (`PipelineRecord.supersededBy`).
    case superseded
    /// An operator discarded it (`PipelineRecord.discard`).
    case discarded
}

/// How the latest run of a pipeline's script ended, as the lists show it.
public struct ScriptResult: Sendable, Equatable {
    public var outcome: ExecutionOutcome
    public var exitCode: Int32?
    public var signal: Int32?

    public init(outcome: ExecutionOutcome, exitCode: Int32? = nil, signal: Int32? = nil) {
        self.outcome = outcome
        self.exitCode = exitCode
        self.signal = signal
    }
}

/// What came of a pipeline, for people: whether its script ran and how it ended — exited
/// non-zero, timed out, killed — at a glance, where `PipelineStatus` is the lifecycle.
public enum PipelineOutcome: String, Sendable, Codable, CaseIterable {
    /// Not finished yet.
    case pending
    /// The script exited 0.
    case succeeded
    /// The script exited with a non-zero status.
    case exitedNonZero = "exited-non-zero"
    case timedOut = "timed-out"
    /// Ended by a signal it did not get from Jobrunner.
    case killed
    /// An operator stopped it.
    case stopped
    /// Its worker vanished while it may have been running.
    case interrupted
    /// It never ran: a stage before the script failed, or the pipeline was cancelled before it.
    case notRun = "not-run"

    public init(status: PipelineStatus, script: ScriptResult?) {
        switch script?.outcome {
        case .succeeded?: self = .succeeded
        case .failed?: self = .exitedNonZero
        case .timedOut?: self = .timedOut
        case .killed?: self = .killed
        case .cancelled?: self = .stopped
        case .running?: self = status == .interrupted || status == .discarded ? .interrupted : .pending
        case nil:
            switch status {
            case .queued, .running: self = .pending
            case .interrupted: self = .interrupted
            case .succeeded, .failed, .cancelled, .superseded, .discarded: self = .notRun
            }
        }
    }
}
