import Foundation
import JobrunnerCore

/// The feedback outbox as both drivers store it: the same table, the same claim rule (the
/// oldest pending message of each pipeline, once due and not leased), the same coding.
package enum StoredOutbox {
    /// Ids of messages `o` that may be claimed now: pending, due, not leased, and the oldest
    /// pending one of their pipeline (order per pipeline). `now` and `limit` are placeholders.
    package static func claimable(now: String, limit: String, lock: String = "") -> String {
        """
        SELECT o.id FROM outbox o
        WHERE \(isHead) AND o.next_attempt_at <= \(now)
          AND (o.lease_expires_at IS NULL OR o.lease_expires_at < \(now))
        ORDER BY o.next_attempt_at, o.id LIMIT \(limit) \(lock)
        """
    }

    /// The heads of the pipelines' outboxes `o`: pending with no earlier pending message.
    package static let isHead =
        "o.state = 'pending' AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.pipeline_id = o.pipeline_id AND e.state = 'pending' AND e.id < o.id)"

    /// Whether a later message of the same pipeline waits (for `isLatest`), as a column.
    package static let hasLater =
        "EXISTS (SELECT 1 FROM outbox l WHERE l.pipeline_id = outbox.pipeline_id AND l.state = 'pending' AND l.id > outbox.id) AS has_later"

    /// A coalescing event is not added while one like it is pending (`PipelineEvent.coalesces`).
    package static let pendingLikeIt = "SELECT 1 FROM outbox WHERE pipeline_id = %@ AND event_name = %@ AND state = 'pending'"

    package static func encode(_ event: PipelineEvent) throws -> String {
        String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
    }

    package static func encode(remaining: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(remaining)) ?? Data("[]".utf8), as: UTF8.self)
    }

    package static func message(_ row: some StoredRow) throws -> OutboxMessage {
        let eventText = try row.string("event")
        let event: PipelineEvent
        do {
            event = try JSONDecoder().decode(PipelineEvent.self, from: Data(eventText.utf8))
        } catch {
            throw StoredRowError(description: "outbox message \(try row.int64("id")) has an event this build cannot read: \(eventText)")
        }
        let remaining = try row.optionalString("remaining").flatMap {
            try? JSONDecoder().decode([String].self, from: Data($0.utf8))
        }
        return OutboxMessage(
            id: try row.int64("id"), pipelineID: PipelineID(try row.int64("pipeline_id")), event: event,
            createdAt: try row.date("created_at"), state: OutboxState(rawValue: try row.string("state")) ?? .pending,
            attempts: try row.int("attempts"), nextAttemptAt: try row.date("next_attempt_at"),
            lastError: try row.optionalString("last_error"), remainingChannels: remaining,
            settledAt: try row.optionalDate("settled_at"))
    }

    package static func commentThread(_ row: some StoredRow) throws -> CommentThread {
        let repository = try row.string("repository")
        guard let name = RepositoryName(rawValue: repository) else {
            throw StoredRowError(description: "comment thread names an invalid repository \(repository)")
        }
        return CommentThread(
            pipelineID: PipelineID(try row.int64("pipeline_id")), repository: name,
            issue: try row.int("issue"), commentID: try row.int64("comment_id"), url: try row.string("url"),
            editedAt: try row.date("edited_at"), bodyDigest: try row.optionalString("body_digest"))
    }

    /// The columns a settlement writes, in order: state, attempts increment, next_attempt_at,
    /// last_error, remaining, settled_at.
    package static func settlementValues(_ settlement: OutboxSettlement, now: Date) -> (
        state: String, addAttempt: Int, next: Double?, error: String?, remaining: String?, settled: Double?
    ) {
        switch settlement {
        case .delivered:
            return (OutboxState.delivered.rawValue, 0, nil, nil, "[]", now.storedValue)
        case .retry(let at, let remaining, let error, let counts):
            return (OutboxState.pending.rawValue, counts ? 1 : 0, at.storedValue, error, encode(remaining: remaining), nil)
        case .abandoned(let error):
            return (OutboxState.abandoned.rawValue, 1, nil, error, nil, now.storedValue)
        }
    }
}
