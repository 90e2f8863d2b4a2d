import Foundation

/// Where a pipeline stands, in the words the pull-request comment and chat use: derived from its
/// stages (and the running script's progress) when the feedback is delivered, so a message
/// delivered late still tells the current truth.
public enum PipelinePhase: Sendable, Equatable {
    /// PROCESS has not started yet.
    case queued
    case building
    /// EXECUTE waits at the deploy gate, for this reason.
    case waiting(String)
    /// EXECUTE waits for earlier scripts of its repository.
    case queuedBehindEarlierScripts
    case running(ProgressReport?)
    case committingLog
    /// Nothing more happens unless an operator acts.
    case ended(PipelineStatus)

    public init(summary: PipelineSummary, execution: ExecutionRecord?) {
        let status = summary.status
        if status.isAtRest {
            self = .ended(status)
            return
        }
        if let running = summary.stages.first(where: { $0.state == .running }) {
            switch running.kind {
            case .process: self = .building
            case .execute: self = .running(execution?.outcome == .running ? execution?.progress : nil)
            case .cleanup: self = .committingLog
            }
            return
        }
        guard let current = summary.stages.last(where: { $0.state == .queued }) else {
            self = .queued
            return
        }
        switch current.kind {
        case .process: self = .queued
        case .execute: self = current.waitReason.map { .waiting($0) } ?? .queuedBehindEarlierScripts
        case .cleanup: self = .committingLog
        }
    }

    /// A few words: "building", "running — 40/100 rows (40%)", "failed".
    public var headline: String {
        switch self {
        case .queued: "queued"
        case .building: "building"
        case .waiting(let reason): "waiting: \(reason)"
        case .queuedBehindEarlierScripts: "queued behind earlier scripts of the repository"
        case .running(let progress?): "running — \(progress.text)"
        case .running(nil): "running"
        case .committingLog: "committing the execution log"
        case .ended(let status): status.rawValue
        }
    }

    public var emoji: String {
        switch self {
        case .queued, .queuedBehindEarlierScripts, .waiting: "⏳"
        case .building, .running, .committingLog: "🔄"
        case .ended(.succeeded): "✅"
        case .ended(.cancelled), .ended(.superseded), .ended(.discarded): "⚪"
        case .ended: "❌"
        }
    }
}
