import Foundation

/// One detected script at one commit, as intake hands it to the store.
public struct NewPipeline: Sendable, Equatable {
    public var repository: RepositoryName
    public var branch: String
    /// Path of the script in the repository, e.g. `jobs/2026-11-backfill.ts`.
    public var scriptPath: String
    /// The commit the script was read from.
    public var commit: String
    /// The script's blob id at that commit, when the payload or API told us.
    public var blob: String?
    public var pusher: String?
    public var pullRequest: Int?
    public var author: String?
    /// The push modified a script already in the jobs directory instead of adding it: it runs
    /// only in place of a pipeline of that path that never started EXECUTE (`ModifiedScriptRule`).
    public var modifiesExisting: Bool

    public init(
        repository: RepositoryName, branch: String, scriptPath: String, commit: String,
        blob: String? = nil, pusher: String? = nil, pullRequest: Int? = nil, author: String? = nil,
        modifiesExisting: Bool = false
    ) {
        self.modifiesExisting = modifiesExisting
        self.repository = repository
        self.branch = branch
        self.scriptPath = scriptPath
        self.commit = commit
        self.blob = blob
        self.pusher = pusher
        self.pullRequest = pullRequest
        self.author = author
    }
}

/// A stored pipeline.
public struct PipelineRecord: Sendable, Equatable {
    public var id: PipelineID
    public var source: NewPipeline
    public var deliveryID: DeliveryID
    public var createdAt: Date
    /// The earlier pipeline of the same script this one replaced (a fix pushed after it failed).
    public var supersedes: PipelineID?
    /// The later pipeline that replaced this one; this one never runs.
    public var supersededBy: PipelineID?
    /// Set when an operator discarded the pipeline.
    public var discard: PipelineDiscard?

    public init(
        id: PipelineID, source: NewPipeline, deliveryID: DeliveryID, createdAt: Date, supersedes: PipelineID? = nil,
        supersededBy: PipelineID? = nil, discard: PipelineDiscard? = nil
    ) {
        self.id = id
        self.source = source
        self.deliveryID = deliveryID
        self.createdAt = createdAt
        self.supersedes = supersedes
        self.supersededBy = supersededBy
        self.discard = discard
    }

    /// The marks the status rule reads.
    public var marks: Set<PipelineMark> {
        var marks: Set<PipelineMark> = []
        if supersededBy != nil { marks.insert(.superseded) }
        if discard != nil { marks.insert(.discarded) }
        return marks
    }
}

/// An operator's decision that a pipeline's script will not run (again): CLEANUP removes it
/// from the jobs directory and commits a log saying so, naming who and why.
public struct PipelineDiscard: Sendable, Equatable {
    public var operatorName: String
    public var at: Date
    public var reason: String
    /// Its EXECUTE had started (interrupted or failed after starting): the script may have run,
    /// and the log keeps the partial output.
    public var mayHaveRun: Bool

    public init(operatorName: String, at: Date, reason: String, mayHaveRun: Bool) {
        self.operatorName = operatorName
        self.at = at
        self.reason = reason
        self.mayHaveRun = mayHaveRun
    }
}

/// A pipeline with its stages: what lists show.
public struct PipelineSummary: Sendable, Equatable {
    public var pipeline: PipelineRecord
    /// Stages created so far, in stage order. A stage exists once its predecessor finished.
    public var stages: [StageRecord]
    /// How the latest run of its script ended, if it ran.
    public var script: ScriptResult?

    public init(pipeline: PipelineRecord, stages: [StageRecord], script: ScriptResult? = nil) {
        self.pipeline = pipeline
        self.stages = stages.sorted { $0.kind < $1.kind }
        self.script = script
    }

    public var status: PipelineStatus { PipelineStatus(stages: stages, script: script, marks: pipeline.marks) }

    public var outcome: PipelineOutcome { PipelineOutcome(status: status, script: script) }

    public func stage(_ kind: StageKind) -> StageRecord? { stages.first { $0.kind == kind } }
}

/// Everything known about one pipeline: what the pipeline page shows.
public struct PipelineDetail: Sendable, Equatable {
    public var summary: PipelineSummary
    /// Every attempt of every stage, oldest first.
    public var attempts: [AttemptRecord]
    /// Operator retries and cancellations, oldest first.
    public var operatorActions: [OperatorAction]

    public init(summary: PipelineSummary, attempts: [AttemptRecord], operatorActions: [OperatorAction]) {
        self.summary = summary
        self.attempts = attempts
        self.operatorActions = operatorActions
    }
}

/// Which pipelines a list shows.
public struct PipelineFilter: Sendable, Equatable {
    public var repository: RepositoryName?
    public var status: PipelineStatus?
    /// Matched against script path, pusher and author.
    public var text: String?
    /// Only pipelines with a smaller id (keyset paging: newest first).
    public var before: PipelineID?
    /// Only pipelines with a greater id: the page just newer than `after` (still newest first).
    public var after: PipelineID?
    /// Only pipelines of exactly this script path.
    public var scriptPath: String?
    public var limit: Int

    public init(
        repository: RepositoryName? = nil, status: PipelineStatus? = nil, text: String? = nil,
        before: PipelineID? = nil, scriptPath: String? = nil, limit: Int = 50
    ) {
        self.scriptPath = scriptPath
        self.repository = repository
        self.status = status
        self.text = text
        self.before = before
        self.limit = limit
    }
}
