import Foundation

/// Where a dry run is. A dry run runs at most once per (head commit, script): once it has
/// `running`, it never runs again — a crash leaves it `interrupted`.
public enum DryRunState: String, Sendable, Codable, CaseIterable {
    /// Waiting for a dry-run worker (building counts as queued: nothing has run yet).
    case queued
    /// The script's process was (or was about to be) started.
    case running
    /// It ran; `DryRunRecord.outcome` says how it ended.
    case finished
    /// It could not be built or started; nothing ran.
    case error
    /// Its worker stopped while the script may have been running; never re-run.
    case interrupted
    /// The pull request moved on (new head) or closed before it ran; it never will.
    case skipped

    public var isTerminal: Bool { self != .queued && self != .running }
}

/// One script of one pull-request head, dry-run (or to be). Not a pipeline: it never commits,
/// never counts as an execution, and never holds a repository's EXECUTE order.
public struct DryRunRecord: Sendable, Equatable {
    public var id: Int64
    public var repository: RepositoryName
    public var pullRequest: Int
    public var headCommit: String
    public var scriptPath: String
    /// The script's git blob id at the head: what `JOBRUNNER_REQUIRE_DRY_RUN` matches after merge.
    public var blob: String
    /// Logins whose approvals made it run.
    public var approvers: [String]
    public var state: DryRunState
    /// A later head of the pull request replaced this result.
    public var outdated: Bool
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Build attempts that failed before anything ran (transient trouble), for retries.
    public var attempts: Int
    public var outcome: ExecutionOutcome?
    public var exitCode: Int32?
    public var signal: Int32?
    /// Masked and capped, like an execution's.
    public var stdout: String
    public var stderr: String
    public var stdoutTruncated: Bool
    public var stderrTruncated: Bool
    public var progress: ProgressReport?
    /// Why it could not run (state `error`), or what stopped it (`interrupted`, `skipped`).
    public var error: String?
    public var artifactDigest: String?

    public init(
        id: Int64, repository: RepositoryName, pullRequest: Int, headCommit: String, scriptPath: String, blob: String,
        approvers: [String] = [], state: DryRunState = .queued, outdated: Bool = false, createdAt: Date,
        startedAt: Date? = nil, finishedAt: Date? = nil, attempts: Int = 0, outcome: ExecutionOutcome? = nil,
        exitCode: Int32? = nil, signal: Int32? = nil, stdout: String = "", stderr: String = "",
        stdoutTruncated: Bool = false, stderrTruncated: Bool = false, progress: ProgressReport? = nil,
        error: String? = nil, artifactDigest: String? = nil
    ) {
        self.id = id
        self.repository = repository
        self.pullRequest = pullRequest
        self.headCommit = headCommit
        self.scriptPath = scriptPath
        self.blob = blob
        self.approvers = approvers
        self.state = state
        self.outdated = outdated
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.attempts = attempts
        self.outcome = outcome
        self.exitCode = exitCode
        self.signal = signal
        self.stdout = stdout
        self.stderr = stderr
        self.stdoutTruncated = stdoutTruncated
        self.stderrTruncated = stderrTruncated
        self.progress = progress
        self.error = error
        self.artifactDigest = artifactDigest
    }

    public var duration: Duration? {
        guard let startedAt, let finishedAt else { return nil }
        return .milliseconds(Int64((finishedAt.timeIntervalSince(startedAt) * 1000).rounded()))
    }

    /// It ran and exited 0: what `JOBRUNNER_REQUIRE_DRY_RUN` accepts.
    public var succeeded: Bool { state == .finished && outcome == .succeeded }
}

/// A script a pull-request head adds or modifies, to dry-run.
public struct NewDryRun: Sendable, Equatable {
    public var scriptPath: String
    public var blob: String

    public init(scriptPath: String, blob: String) {
        self.scriptPath = scriptPath
        self.blob = blob
    }
}

/// A pull request Jobrunner follows for dry runs: its latest known head, whether it must be
/// looked at again (an event arrived), and its one comment.
public struct DryRunPullRequest: Sendable, Equatable {
    public var repository: RepositoryName
    public var number: Int
    public var headCommit: String
    public var isOpen: Bool
    /// What the last evaluation decided, in words ("waiting for 1 approving review of abc123").
    public var status: String?
    public var title: String?
    public var url: String?
    public var commentID: Int64?
    public var commentURL: String?
    /// When it is due to be evaluated again (nil: not due).
    public var evaluateAt: Date?
    public var evaluationAttempts: Int
    public var lastError: String?
    /// Bumped on every change the comment and status must show; `reportedVersion` catches up.
    public var reportVersion: Int
    public var reportedVersion: Int
    public var reportAt: Date?
    public var reportAttempts: Int
    public var updatedAt: Date
    /// When it was last claimed, on the store's clock: what was due then is due now.
    public var claimedAt: Date?

    public init(
        repository: RepositoryName, number: Int, headCommit: String, isOpen: Bool = true, status: String? = nil,
        title: String? = nil, url: String? = nil, commentID: Int64? = nil, commentURL: String? = nil,
        evaluateAt: Date? = nil, evaluationAttempts: Int = 0, lastError: String? = nil, reportVersion: Int = 0,
        reportedVersion: Int = 0, reportAt: Date? = nil, reportAttempts: Int = 0, updatedAt: Date, claimedAt: Date? = nil
    ) {
        self.claimedAt = claimedAt
        self.repository = repository
        self.number = number
        self.headCommit = headCommit
        self.isOpen = isOpen
        self.status = status
        self.title = title
        self.url = url
        self.commentID = commentID
        self.commentURL = commentURL
        self.evaluateAt = evaluateAt
        self.evaluationAttempts = evaluationAttempts
        self.lastError = lastError
        self.reportVersion = reportVersion
        self.reportedVersion = reportedVersion
        self.reportAt = reportAt
        self.reportAttempts = reportAttempts
        self.updatedAt = updatedAt
    }

    public var needsReport: Bool { reportedVersion < reportVersion }

    /// Whether the claim was for an evaluation (rather than only for the report).
    public var evaluationDue: Bool {
        guard let evaluateAt, let claimedAt else { return false }
        return evaluateAt <= claimedAt
    }

    /// Whether the report may be published now (not backing off after a failure).
    public var reportDue: Bool {
        guard needsReport else { return false }
        guard let reportAt else { return true }
        return claimedAt.map { reportAt <= $0 } ?? false
    }
}

/// What a pull-request event says, recorded by intake in the same transaction as its delivery.
public struct PullRequestSignal: Sendable, Equatable {
    public var repository: RepositoryName
    public var number: Int
    public var headCommit: String
    public var isOpen: Bool
    public var title: String?
    public var url: String?

    public init(repository: RepositoryName, number: Int, headCommit: String, isOpen: Bool, title: String? = nil, url: String? = nil) {
        self.repository = repository
        self.number = number
        self.headCommit = headCommit
        self.isOpen = isOpen
        self.title = title
        self.url = url
    }
}
