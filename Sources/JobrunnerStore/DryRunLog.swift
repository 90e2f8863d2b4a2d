import Foundation
import JobrunnerCore

/// Dry runs of pull requests' scripts: what intake learned of a pull request, what its
/// evaluation decided, the runs themselves (each at most once per head commit and script), and
/// the state of its one comment. Separate from pipelines: nothing here commits, counts as an
/// execution, or takes part in a repository's EXECUTE order.
public protocol DryRunLog: Sendable {
    /// Records a `pull_request`/`pull_request_review` delivery and, in the same transaction, what
    /// it says of its pull request (nil: nothing, e.g. dry runs are off): the pull request is due
    /// to be evaluated; a new head makes the old head's dry runs outdated (queued ones never run);
    /// closing skips queued ones. A redelivery (same id) changes nothing and answers as the first.
    func recordPullRequestDelivery(_ delivery: NewDelivery, signal: PullRequestSignal?) async throws -> RecordedDelivery

    /// Leases up to `limit` pull requests due to be evaluated or reported.
    func claimDryRunPullRequests(owner: String, limit: Int, leaseDuration: Duration) async throws -> [DryRunPullRequest]

    /// What an evaluation of `evaluation.head` decided, in one transaction: the words shown, the
    /// dry runs queued (an existing (head, script) is kept as it is), and — when the pull request
    /// is closed or moved on — queued dry runs of other heads skipped and finished ones marked
    /// outdated. `retryAt`: the evaluation failed (`error`) and is tried again then. Nothing is
    /// written when `owner` lost the lease.
    func settleDryRunEvaluation(_ evaluation: DryRunEvaluation, owner: String) async throws

    /// The comment and status showed `version`; `commentID` is the comment (created or edited).
    /// `retryAt`: the report failed and is tried again then.
    func settleDryRunReport(
        repository: RepositoryName, number: Int, owner: String, version: Int, commentID: Int64?, commentURL: String?,
        retryAt: Date?, error: String?
    ) async throws

    func dryRunPullRequest(repository: RepositoryName, number: Int) async throws -> DryRunPullRequest?

    /// Takes the oldest queued dry run that is due, leased to `owner`. First, dry runs whose
    /// worker stopped renewing are settled: `running` ones become `interrupted` (never re-run),
    /// queued ones are free to be claimed again.
    func claimDryRun(owner: String, leaseDuration: Duration) async throws -> DryRunRecord?

    /// The script is about to start: `running`, durably, before the process exists. False when
    /// `owner` lost the lease or the dry run was skipped meanwhile: it must not start.
    func startDryRun(_ id: Int64, owner: String, leaseDuration: Duration) async throws -> Bool

    /// Extends a held lease; false when it is no longer held.
    func renewDryRun(_ id: Int64, owner: String, leaseDuration: Duration) async throws -> Bool

    /// Stores how the dry run ended (state `finished`, `error`, or `queued` again at `retryAt`
    /// when it could not be built for a passing reason and nothing ran), releases it, and makes
    /// its pull request's comment due.
    func finishDryRun(_ record: DryRunRecord, owner: String, retryAt: Date?) async throws

    /// Newest first.
    func dryRuns(_ filter: DryRunFilter) async throws -> [DryRunRecord]

    func dryRun(_ id: Int64) async throws -> DryRunRecord?

    /// The newest successful dry run of this content in the repository (`JOBRUNNER_REQUIRE_DRY_RUN`).
    func successfulDryRun(repository: RepositoryName, blob: String) async throws -> Int64?

    /// An operator lets a pipeline's EXECUTE run without a dry run (`DryRunOverrideRule`): recorded
    /// as an operator action of its EXECUTE stage, which is made due now.
    func overrideDryRun(pipeline: PipelineID, operatorName: String, reason: String) async throws
}

/// One evaluation's outcome, as `DryRunLog.settleDryRunEvaluation` stores it.
public struct DryRunEvaluation: Sendable, Equatable {
    public var repository: RepositoryName
    public var number: Int
    public var head: String
    public var isOpen: Bool
    public var status: String
    public var title: String?
    public var url: String?
    public var queue: [NewDryRun]
    public var approvers: [String]
    public var retryAt: Date?
    public var error: String?

    public init(
        repository: RepositoryName, number: Int, head: String, isOpen: Bool, status: String, title: String? = nil,
        url: String? = nil, queue: [NewDryRun] = [], approvers: [String] = [], retryAt: Date? = nil, error: String? = nil
    ) {
        self.repository = repository
        self.number = number
        self.head = head
        self.isOpen = isOpen
        self.status = status
        self.title = title
        self.url = url
        self.queue = queue
        self.approvers = approvers
        self.retryAt = retryAt
        self.error = error
    }
}

/// Which dry runs to list.
public struct DryRunFilter: Sendable, Equatable {
    public var repository: RepositoryName?
    public var pullRequest: Int?
    public var headCommit: String?
    public var limit: Int

    public init(repository: RepositoryName? = nil, pullRequest: Int? = nil, headCommit: String? = nil, limit: Int = 50) {
        self.repository = repository
        self.pullRequest = pullRequest
        self.headCommit = headCommit
        self.limit = limit
    }
}
