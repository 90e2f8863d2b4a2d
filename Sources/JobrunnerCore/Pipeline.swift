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

    public init(
        repository: RepositoryName, branch: String, scriptPath: String, commit: String,
        blob: String? = nil, pusher: String? = nil, pullRequest: Int? = nil, author: String? = nil
    ) {
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

    public init(id: PipelineID, source: NewPipeline, deliveryID: DeliveryID, createdAt: Date) {
        self.id = id
        self.source = source
        self.deliveryID = deliveryID
        self.createdAt = createdAt
    }
}

/// A pipeline with its stages: what lists show.
public struct PipelineSummary: Sendable, Equatable {
    public var pipeline: PipelineRecord
    /// Stages created so far, in stage order. A stage exists once its predecessor finished.
    public var stages: [StageRecord]

    public init(pipeline: PipelineRecord, stages: [StageRecord]) {
        self.pipeline = pipeline
        self.stages = stages.sorted { $0.kind < $1.kind }
    }

    public var status: PipelineStatus { PipelineStatus(stages: stages) }

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
    public var limit: Int

    public init(
        repository: RepositoryName? = nil, status: PipelineStatus? = nil, text: String? = nil,
        before: PipelineID? = nil, limit: Int = 50
    ) {
        self.repository = repository
        self.status = status
        self.text = text
        self.before = before
        self.limit = limit
    }
}
