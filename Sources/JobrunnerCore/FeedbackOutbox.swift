import Foundation

/// One event waiting in (or gone through) the durable feedback outbox. Messages of one
/// pipeline are delivered in order: the next waits until this one is settled.
public struct OutboxMessage: Sendable, Equatable {
    public var id: Int64
    public var pipelineID: PipelineID
    public var event: PipelineEvent
    public var createdAt: Date
    public var state: OutboxState
    /// Failed delivery rounds (deferrals by a rate limit do not count).
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    /// Channels still to deliver to; nil before the first round decided which channels want it.
    public var remainingChannels: [String]?
    public var settledAt: Date?

    public init(
        id: Int64, pipelineID: PipelineID, event: PipelineEvent, createdAt: Date, state: OutboxState, attempts: Int,
        nextAttemptAt: Date, lastError: String?, remainingChannels: [String]?, settledAt: Date?
    ) {
        self.id = id
        self.pipelineID = pipelineID
        self.event = event
        self.createdAt = createdAt
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.remainingChannels = remainingChannels
        self.settledAt = settledAt
    }
}

public enum OutboxState: String, Sendable, Codable, CaseIterable {
    /// Still to be delivered to some channel.
    case pending
    /// Every channel that wanted it has it (or refused it for good; see the delivery records).
    case delivered
    /// Given up after `OutboxRetryPolicy.giveUpAfter`; the pipeline's later messages go on.
    case abandoned
}

/// A claimed outbox message with what its delivery needs.
public struct ClaimedFeedback: Sendable {
    public var message: OutboxMessage
    public var pipeline: PipelineRecord
    /// No later pending message of the same pipeline exists.
    public var isLatest: Bool

    public init(message: OutboxMessage, pipeline: PipelineRecord, isLatest: Bool) {
        self.message = message
        self.pipeline = pipeline
        self.isLatest = isLatest
    }
}

/// What becomes of a message after a delivery round.
public enum OutboxSettlement: Sendable, Equatable {
    case delivered
    /// Ask again at `at` the channels in `remaining`; `error` is shown until then.
    case retry(at: Date, remaining: [String], error: String?, countsAttempt: Bool)
    case abandoned(error: String)
}

/// How the outbox retries: exponential backoff with jitter, capped, for as long as an outage
/// of GitHub or chat plausibly lasts — then the message is abandoned (recorded, visible) so
/// the pipeline's later messages are not held forever.
public struct OutboxRetryPolicy: Sendable, Equatable {
    public var firstBackoff: Duration
    public var maximumBackoff: Duration
    public var giveUpAfter: Duration

    public init(firstBackoff: Duration = .seconds(2), maximumBackoff: Duration = .seconds(300), giveUpAfter: Duration = .seconds(86_400)) {
        self.firstBackoff = firstBackoff
        self.maximumBackoff = maximumBackoff
        self.giveUpAfter = giveUpAfter
    }

    /// The settlement of a round in which `remaining` channels still lack the message: `errors`
    /// say why (empty when only deferred), `deferredUntil` is the latest time a channel asked
    /// to be tried again (its rate limit). `jitter` in 0...1 spreads retries of many messages.
    public func settle(
        _ message: OutboxMessage, remaining: [String], errors: [String], deferredUntil: Date?, now: Date, jitter: Double
    ) -> OutboxSettlement {
        if remaining.isEmpty { return .delivered }
        let error = errors.isEmpty ? nil : errors.joined(separator: "; ")
        guard let error else {
            return .retry(at: deferredUntil ?? now, remaining: remaining, error: message.lastError, countsAttempt: false)
        }
        if now.timeIntervalSince(message.createdAt) >= giveUpAfter.secondsDouble {
            return .abandoned(error: "gave up after \(DurationParser.format(giveUpAfter)) of failures: \(error)")
        }
        let attempt = message.attempts + 1
        let exponent = min(attempt - 1, 20)
        let backoff = min(firstBackoff.secondsDouble * pow(2, Double(exponent)), maximumBackoff.secondsDouble)
        // Between half and the whole backoff, so a fleet of messages does not retry in step.
        var at = now.addingTimeInterval(backoff * (0.5 + 0.5 * min(max(jitter, 0), 1)))
        if let deferredUntil, deferredUntil > at { at = deferredUntil }
        return .retry(at: at, remaining: remaining, error: error, countsAttempt: true)
    }
}

extension PipelineEvent {
    /// At most one such message waits in a pipeline's outbox: a new one is dropped while one is
    /// pending (progress: the channels show the latest progress when they deliver).
    public var coalesces: Bool { self == .progress }
}

/// The one pull-request comment of a pipeline, edited as the pipeline moves.
public struct CommentThread: Sendable, Equatable {
    public var pipelineID: PipelineID
    public var repository: RepositoryName
    public var issue: Int
    public var commentID: Int64
    public var url: String
    /// When it was last written: edits are spaced by the channel's minimum interval.
    public var editedAt: Date
    /// What was written last, so an unchanged comment is not sent again.
    public var bodyDigest: String?

    public init(
        pipelineID: PipelineID, repository: RepositoryName, issue: Int, commentID: Int64, url: String, editedAt: Date,
        bodyDigest: String? = nil
    ) {
        self.bodyDigest = bodyDigest
        self.pipelineID = pipelineID
        self.repository = repository
        self.issue = issue
        self.commentID = commentID
        self.url = url
        self.editedAt = editedAt
    }
}

/// Where the pull-request comment channel keeps which comment is a pipeline's.
public protocol CommentThreadStore: Sendable {
    func commentThread(for pipeline: PipelineID) async throws -> CommentThread?
    func saveCommentThread(_ thread: CommentThread) async throws
}
