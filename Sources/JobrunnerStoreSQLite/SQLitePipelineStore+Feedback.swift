import Foundation
import GRDB
import JobrunnerCore
import JobrunnerStore

extension SQLitePipelineStore {
    public func recordFeedback(_ record: FeedbackRecord) async throws {
        try await immediate { db in try Self.insertFeedback(db, record) }
    }

    static func insertFeedback(_ db: Database, _ record: FeedbackRecord) throws {
        try db.executeCached("INSERT INTO feedback (pipeline_id, channel, event, target, error, at) VALUES (?, ?, ?, ?, ?, ?)", [
            record.pipelineID.rawValue, record.channel, record.event, record.target, record.error, record.at.storedValue,
        ])
    }

    public func feedback(for pipeline: PipelineID) async throws -> [FeedbackRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM feedback WHERE pipeline_id = ? ORDER BY id"), arguments: [pipeline.rawValue]
            ).map(StoredRecords.feedback)
        }
    }

    /// Adds `events` to the outbox inside the caller's transaction.
    static func insertOutbox(_ db: Database, pipeline: Int64, events: [PipelineEvent], now: Double) throws {
        for event in events {
            if event.coalesces,
                try Bool.fetchOne(
                    db.cachedStatement(sql: String(format: StoredOutbox.pendingLikeIt, "?", "?") + " LIMIT 1"),
                    arguments: [pipeline, event.name]) != nil
            {
                continue
            }
            try db.executeCached(
                "INSERT INTO outbox (pipeline_id, event_name, event, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
                [pipeline, event.name, try StoredOutbox.encode(event), now, now])
        }
    }

    public func enqueueFeedback(_ events: [PipelineEvent], for pipeline: PipelineID) async throws {
        guard !events.isEmpty else { return }
        let now = clock.now().storedValue
        try await immediate { db in try Self.insertOutbox(db, pipeline: pipeline.rawValue, events: events, now: now) }
    }

    public func claimFeedback(owner: String, limit: Int, leaseDuration: Duration) async throws -> [ClaimedFeedback] {
        let now = clock.now()
        let expires = now.adding(leaseDuration)
        return try await immediate { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        UPDATE outbox SET lease_owner = ?, lease_expires_at = ?
                        WHERE id IN (\(StoredOutbox.claimable(now: "?", limit: "?")))
                        RETURNING *, \(StoredOutbox.hasLater)
                        """), arguments: [owner, expires.storedValue, now.storedValue, now.storedValue, limit])
            return try rows.map { row in
                let message = try StoredOutbox.message(row)
                return ClaimedFeedback(
                    message: message, pipeline: try Self.fetchPipeline(db, message.pipelineID.rawValue),
                    isLatest: !(try row.bool("has_later")))
            }.sorted { $0.message.id < $1.message.id }
        }
    }

    public func settleFeedback(_ message: OutboxMessage, owner: String, _ settlement: OutboxSettlement, records: [FeedbackRecord])
        async throws
    {
        let now = clock.now()
        let values = StoredOutbox.settlementValues(settlement, now: now)
        try await immediate { db in
            try db.executeCached(
                """
                UPDATE outbox SET state = ?, attempts = attempts + ?, next_attempt_at = COALESCE(?, next_attempt_at),
                    last_error = ?, remaining = ?, settled_at = ?, lease_owner = NULL, lease_expires_at = NULL
                WHERE id = ? AND lease_owner = ? AND state = 'pending'
                """,
                [values.state, values.addAttempt, values.next, values.error, values.remaining, values.settled, message.id, owner])
            guard db.changesCount > 0 else { return }
            for record in records { try Self.insertFeedback(db, record) }
        }
    }

    public func outbox(for pipeline: PipelineID) async throws -> [OutboxMessage] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM outbox WHERE pipeline_id = ? ORDER BY id"), arguments: [pipeline.rawValue]
            ).map(StoredOutbox.message)
        }
    }

    public func nextFeedbackDue() async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(
                db.cachedStatement(sql: "SELECT MIN(COALESCE(MAX(o.next_attempt_at, o.lease_expires_at), o.next_attempt_at)) FROM outbox o WHERE \(StoredOutbox.isHead)")
            ).map(Date.init(timeIntervalSince1970:))
        }
    }

    public func commentThread(for pipeline: PipelineID) async throws -> CommentThread? {
        try await pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM feedback_comments WHERE pipeline_id = ?"), arguments: [pipeline.rawValue]
            ).map(StoredOutbox.commentThread)
        }
    }

    public func saveCommentThread(_ thread: CommentThread) async throws {
        try await immediate { db in
            try db.executeCached(
                """
                INSERT INTO feedback_comments (pipeline_id, repository, issue, comment_id, url, edited_at, body_digest) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (pipeline_id) DO UPDATE SET repository = excluded.repository, issue = excluded.issue,
                    comment_id = excluded.comment_id, url = excluded.url, edited_at = excluded.edited_at, body_digest = excluded.body_digest
                """,
                [thread.pipelineID.rawValue, thread.repository.rawValue, thread.issue, thread.commentID, thread.url, thread.editedAt.storedValue, thread.bodyDigest])
        }
    }
}
