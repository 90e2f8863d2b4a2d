import Foundation
import JobrunnerCore
import JobrunnerStore

/// The JSON shapes of `/api/v1` (snake_case keys, ISO 8601 times). `docs/openapi.yaml`
/// describes them; a test keeps the two in step.
struct PipelineResource: Encodable {
    struct Stage: Encodable {
        var id: Int64
        var kind: String
        var state: String
        var attempt: Int
        var maxAttempts: Int
        var runAfter: Date
        var leaseOwner: String?
        var leaseExpiresAt: Date?
        var createdAt: Date
        var startedAt: Date?
        var finishedAt: Date?
        var lastError: String?
        var summary: String?
        var cancelRequestedBy: String?
        var cancelRequestedAt: Date?
        /// Why a queued EXECUTE has not started (the deploy gate).
        var waitReason: String?
        var waitingSince: Date?

        init(_ stage: StageRecord) {
            id = stage.id.rawValue
            kind = stage.kind.rawValue
            state = stage.state.rawValue
            attempt = stage.attempt
            maxAttempts = stage.maxAttempts
            runAfter = stage.runAfter
            leaseOwner = stage.leaseOwner
            leaseExpiresAt = stage.leaseExpiresAt
            createdAt = stage.createdAt
            startedAt = stage.startedAt
            finishedAt = stage.finishedAt
            lastError = stage.lastError
            summary = stage.summary
            cancelRequestedBy = stage.cancelRequestedBy
            cancelRequestedAt = stage.cancelRequestedAt
            waitReason = stage.waitReason
            waitingSince = stage.waitingSince
        }
    }

    var id: Int64
    var status: String
    /// What came of the script: succeeded, exited-non-zero, timed-out, killed, stopped, … (`PipelineOutcome`).
    var outcome: String
    /// The script's exit status, when it ran and exited.
    var exitStatus: Int32?
    var repository: String
    var branch: String
    var script: String
    var commit: String
    var commitUrl: String?
    var blob: String?
    var pusher: String?
    var author: String?
    var pullRequest: Int?
    var pullRequestUrl: String?
    var delivery: String
    var createdAt: Date
    var finishedAt: Date?
    var durationSeconds: Double?
    var logPath: String
    var logUrl: String?
    /// The earlier pipeline of the same script this one replaced (its fix).
    var supersedes: Int64?
    /// The later pipeline that replaced this one; this one never runs.
    var supersededBy: Int64?
    var discard: DiscardResource?
    var stages: [Stage]

    struct DiscardResource: Encodable {
        var by: String
        var at: Date
        var reason: String
        var mayHaveRun: Bool
    }

    init(_ summary: PipelineSummary, links: RepositoryLinks, logsDirectory: String) {
        let pipeline = summary.pipeline
        let source = pipeline.source
        id = pipeline.id.rawValue
        status = summary.status.rawValue
        outcome = summary.outcome.rawValue
        exitStatus = summary.script?.exitCode
        repository = source.repository.rawValue
        branch = source.branch
        script = source.scriptPath
        commit = source.commit
        commitUrl = links.commit(source.repository, source.commit)
        blob = source.blob
        pusher = source.pusher
        author = source.author
        pullRequest = source.pullRequest
        pullRequestUrl = links.pullRequest(source.repository, source.pullRequest)
        delivery = pipeline.deliveryID.rawValue
        createdAt = pipeline.createdAt
        let timing = PipelineTiming(summary)
        finishedAt = timing.finishedAt
        durationSeconds = timing.duration
        logPath = ExecutionLogPath.path(for: pipeline, logsDirectory: logsDirectory)
        let committed = summary.stage(.cleanup)?.state == .succeeded
        logUrl = committed ? links.file(source.repository, ref: source.branch, path: logPath) : nil
        supersedes = pipeline.supersedes?.rawValue
        supersededBy = pipeline.supersededBy?.rawValue
        discard = pipeline.discard.map {
            DiscardResource(by: $0.operatorName, at: $0.at, reason: $0.reason, mayHaveRun: $0.mayHaveRun)
        }
        stages = summary.stages.map(Stage.init)
    }
}

/// A script's progress as the API shows it: what it reported, and the rate and time left.
struct ProgressResource: Encodable {
    var done: Double
    var total: Double?
    var unit: String?
    var fraction: Double?
    var ratePerSecond: Double?
    var secondsLeft: Double?
    var updatedAt: Date
    var text: String

    init(_ report: ProgressReport) {
        done = report.done
        total = report.total
        unit = report.unit
        fraction = report.fraction
        ratePerSecond = report.ratePerSecond
        secondsLeft = report.secondsLeft
        updatedAt = report.at
        text = ProgressText.describe(report)
    }
}

/// When a pipeline ended and how long it took (nil while anything can still happen).
struct PipelineTiming {
    var finishedAt: Date?
    var duration: Double?

    init(_ summary: PipelineSummary) {
        let status = summary.status
        let ended = status == .succeeded || status == .failed || status == .cancelled || status == .interrupted
        if ended, summary.stages.allSatisfy({ $0.state != .running && $0.state != .queued }) {
            finishedAt = summary.stages.compactMap(\.finishedAt).max()
            duration = finishedAt.map { $0.timeIntervalSince(summary.pipeline.createdAt) }
        }
    }
}

/// One pipeline with everything known about it: `GET /api/v1/pipelines/{id}`.
struct PipelineDetailResource: Encodable {
    struct Attempt: Encodable {
        var stageId: Int64
        var kind: String
        var attempt: Int
        var worker: String
        var startedAt: Date
        var finishedAt: Date?
        var outcome: String
        var error: String?
    }
    struct OperatorActionResource: Encodable {
        var action: String
        var stage: String?
        var operatorName: String
        var at: Date
        var reason: String?

        enum CodingKeys: String, CodingKey {
            case action, stage, at, reason
            case operatorName = "operator"
        }
    }
    struct ArtifactResource: Encodable {
        var toolchain: String
        var toolchainVersion: String
        var fileName: String
        var digest: String
        var sizeBytes: Int
        var buildSeconds: Double
        var approvedBy: [String]?
        var mergedBy: String?
    }
    struct Execution: Encodable {
        var id: Int64
        var attempt: Int
        var outcome: String
        var exitCode: Int32?
        var signal: Int32?
        var timedOut: Bool
        var startedAt: Date
        var finishedAt: Date?
        var durationSeconds: Double?
        var stdout: String
        var stderr: String
        var stdoutBytes: Int
        var stderrBytes: Int
        var stdoutTruncated: Bool
        var stderrTruncated: Bool
        /// The application it ran in (`JOBRUNNER_APP_DIR`).
        var application: ApplicationFacts?
        /// The latest `::progress` the script reported.
        var progress: ProgressResource?
        /// The limit of `JOBRUNNER_SCRIPT_LIMITS` it was stopped at: memory, processes, disk.
        var stoppedBy: String?

        init(_ record: ExecutionRecord) {
            id = record.id
            attempt = record.attempt
            outcome = record.outcome.rawValue
            exitCode = record.exitCode
            signal = record.signal
            timedOut = record.timedOut
            startedAt = record.startedAt
            finishedAt = record.finishedAt
            durationSeconds = record.duration?.secondsDouble
            stdout = String(decoding: record.stdout, as: UTF8.self)
            stderr = String(decoding: record.stderr, as: UTF8.self)
            stdoutBytes = record.stdoutBytes
            stderrBytes = record.stderrBytes
            stdoutTruncated = record.stdoutTruncated
            stderrTruncated = record.stderrTruncated
            application = record.application
            progress = record.progress.map(ProgressResource.init)
            stoppedBy = record.stoppedBy?.rawValue
        }
    }
    struct Feedback: Encodable {
        var channel: String
        var event: String
        var target: String
        var error: String?
        var at: Date
    }

    /// One event in the feedback outbox: delivered, still pending (with the last error and the
    /// next try), or abandoned.
    struct OutboxEntry: Encodable {
        var id: Int64
        var event: String
        var state: String
        var attempts: Int
        var createdAt: Date
        var nextAttemptAt: Date?
        var lastError: String?
        var remainingChannels: [String]?
        var settledAt: Date?
    }

    var pipeline: PipelineResource
    var attempts: [Attempt]
    var operatorActions: [OperatorActionResource]
    var artifact: ArtifactResource?
    var executions: [Execution]
    var feedback: [Feedback]
    var outbox: [OutboxEntry]

    init(
        _ detail: PipelineDetail, artifact: Artifact?, executions: [ExecutionRecord], feedback: [FeedbackRecord],
        outbox: [OutboxMessage], links: RepositoryLinks, logsDirectory: String
    ) {
        self.outbox = outbox.map {
            OutboxEntry(
                id: $0.id, event: $0.event.name, state: $0.state.rawValue, attempts: $0.attempts, createdAt: $0.createdAt,
                nextAttemptAt: $0.state == .pending ? $0.nextAttemptAt : nil, lastError: $0.lastError,
                remainingChannels: $0.state == .pending ? $0.remainingChannels : nil, settledAt: $0.settledAt)
        }
        pipeline = PipelineResource(detail.summary, links: links, logsDirectory: logsDirectory)
        attempts = detail.attempts.map {
            Attempt(
                stageId: $0.stageID.rawValue, kind: $0.kind.rawValue, attempt: $0.attempt, worker: $0.worker,
                startedAt: $0.startedAt, finishedAt: $0.finishedAt, outcome: $0.outcome.rawValue, error: $0.error)
        }
        operatorActions = detail.operatorActions.map {
            OperatorActionResource(
                action: $0.kind.rawValue, stage: $0.stageKind?.rawValue, operatorName: $0.operatorName, at: $0.at,
                reason: $0.reason)
        }
        self.artifact = artifact.map {
            ArtifactResource(
                toolchain: $0.toolchain, toolchainVersion: $0.toolchainVersion, fileName: $0.fileName, digest: $0.digest,
                sizeBytes: $0.content.count, buildSeconds: $0.buildDuration.secondsDouble,
                approvedBy: $0.approval?.approvers, mergedBy: $0.approval?.mergedBy)
        }
        self.executions = executions.map(Execution.init)
        self.feedback = feedback.map {
            Feedback(channel: $0.channel, event: $0.event, target: $0.target, error: $0.error, at: $0.at)
        }
    }
}

/// What `GET /api/v1/pipelines` answers.
struct PipelineListResource: Encodable {
    var pipelines: [PipelineResource]
    /// Pass as `before` for the next (older) page; nil on the last page.
    var nextBefore: Int64?
}

/// An error answer: what went wrong and what to do.
/// An error text names what came in (a repository, a path, a header): its invisible and
/// reordering characters are written out as `\u{XXXX}`, as on the dashboard.
struct APIErrorResource: Encodable {
    var error: String

    init(error: String) {
        self.error = MarkdownText.visible(error)
    }
}

enum APIJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}
