import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import PostgresNIO

extension PostgresPipelineStore {
    public func recordFeedback(_ record: FeedbackRecord) async throws {
        let logger = logger
        try await transaction("recording feedback of pipeline \(record.pipelineID)") { db in
            try await Self.insertFeedback(db, record, logger: logger)
        }
    }

    static func insertFeedback(_ db: PostgresConnection, _ record: FeedbackRecord, logger: Logger) async throws {
        try await db.run(
            """
            INSERT INTO feedback (pipeline_id, channel, event, target, error, at)
            VALUES (\(record.pipelineID.rawValue), \(record.channel), \(record.event), \(record.target), \(record.error),
                    \(record.at.storedValue))
            """, logger: logger)
    }

    public func feedback(for pipeline: PipelineID) async throws -> [FeedbackRecord] {
        let logger = logger
        return try await read("reading feedback of pipeline \(pipeline)") { db in
            try await db.rows("SELECT * FROM feedback WHERE pipeline_id = \(pipeline.rawValue) ORDER BY id", logger: logger)
                .map(StoredRecords.feedback)
        }
    }

    /// Adds `events` to the outbox inside the caller's transaction.
    static func insertOutbox(_ db: PostgresConnection, pipeline: Int64, events: [PipelineEvent], now: Double, logger: Logger)
        async throws
    {
        for event in events {
            let encoded = try StoredOutbox.encode(event)
            if event.coalesces {
                try await db.run(
                    """
                    INSERT INTO outbox (pipeline_id, event_name, event, created_at, next_attempt_at)
                    SELECT \(pipeline), \(event.name), \(encoded), \(now), \(now)
                    WHERE NOT EXISTS (\(unescaped: String(format: StoredOutbox.pendingLikeIt, String(pipeline), "'\(event.name)'")))
                    """, logger: logger)
            } else {
                try await db.run(
                    """
                    INSERT INTO outbox (pipeline_id, event_name, event, created_at, next_attempt_at)
                    VALUES (\(pipeline), \(event.name), \(encoded), \(now), \(now))
                    """, logger: logger)
            }
        }
    }

    public func enqueueFeedback(_ events: [PipelineEvent], for pipeline: PipelineID) async throws {
        guard !events.isEmpty else { return }
        let now = clock.now().storedValue
        let logger = logger
        try await transaction("adding feedback of pipeline \(pipeline)") { db in
            try await Self.insertOutbox(db, pipeline: pipeline.rawValue, events: events, now: now, logger: logger)
        }
    }

    public func claimFeedback(owner: String, limit: Int, leaseDuration: Duration) async throws -> [ClaimedFeedback] {
        let now = clock.now()
        let expires = now.adding(leaseDuration)
        let nowLiteral = String(now.storedValue)
        let logger = logger
        return try await statement("claiming feedback for \(owner)") { db in
            let rows = try await db.rows(
                """
                WITH claimed AS (
                    UPDATE outbox SET lease_owner = \(owner), lease_expires_at = \(expires.storedValue)
                    WHERE id IN (\(unescaped: StoredOutbox.claimable(now: nowLiteral, limit: String(limit), lock: "FOR UPDATE SKIP LOCKED")))
                      AND (lease_expires_at IS NULL OR lease_expires_at < \(now.storedValue)) AND state = 'pending'
                    RETURNING *)
                SELECT claimed.*, EXISTS (SELECT 1 FROM outbox l WHERE l.pipeline_id = claimed.pipeline_id AND l.state = 'pending'
                                          AND l.id > claimed.id) AS has_later,
                       \(unescaped: StoredRecords.pipelineColumns)
                FROM claimed JOIN pipelines p ON p.id = claimed.pipeline_id
                ORDER BY claimed.id
                """, logger: logger)
            return try rows.map { row in
                ClaimedFeedback(
                    message: try StoredOutbox.message(row), pipeline: try StoredRecords.pipeline(row), isLatest: !(try row.bool("has_later")))
            }
        }
    }

    public func settleFeedback(_ message: OutboxMessage, owner: String, _ settlement: OutboxSettlement, records: [FeedbackRecord])
        async throws
    {
        let values = StoredOutbox.settlementValues(settlement, now: clock.now())
        let logger = logger
        try await transaction("settling feedback \(message.id)") { db in
            let row = try await db.row(
                """
                UPDATE outbox SET state = \(values.state), attempts = attempts + \(Int64(values.addAttempt)),
                    next_attempt_at = COALESCE(\(values.next), next_attempt_at), last_error = \(values.error),
                    remaining = \(values.remaining), settled_at = \(values.settled), lease_owner = NULL, lease_expires_at = NULL
                WHERE id = \(message.id) AND lease_owner = \(owner) AND state = 'pending'
                RETURNING id
                """, logger: logger)
            guard row != nil else { return }
            for record in records { try await Self.insertFeedback(db, record, logger: logger) }
        }
    }

    public func outbox(for pipeline: PipelineID) async throws -> [OutboxMessage] {
        let logger = logger
        return try await read("reading the outbox of pipeline \(pipeline)") { db in
            try await db.rows("SELECT * FROM outbox WHERE pipeline_id = \(pipeline.rawValue) ORDER BY id", logger: logger)
                .map(StoredOutbox.message)
        }
    }

    public func nextFeedbackDue() async throws -> Date? {
        let logger = logger
        return try await read("reading when feedback is due") { db in
            try await db.row(
                "SELECT MIN(GREATEST(o.next_attempt_at, o.lease_expires_at)) AS due FROM outbox o WHERE \(unescaped: StoredOutbox.isHead)",
                logger: logger
            )?.optionalDate("due")
        }
    }

    public func commentThread(for pipeline: PipelineID) async throws -> CommentThread? {
        let logger = logger
        return try await read("reading the comment of pipeline \(pipeline)") { db in
            try await db.row("SELECT * FROM feedback_comments WHERE pipeline_id = \(pipeline.rawValue)", logger: logger)
                .map(StoredOutbox.commentThread)
        }
    }

    public func saveCommentThread(_ thread: CommentThread) async throws {
        let logger = logger
        try await transaction("saving the comment of pipeline \(thread.pipelineID)") { db in
            try await db.run(
                """
                INSERT INTO feedback_comments (pipeline_id, repository, issue, comment_id, url, edited_at, body_digest)
                VALUES (\(thread.pipelineID.rawValue), \(thread.repository.rawValue), \(Int64(thread.issue)), \(thread.commentID),
                        \(thread.url), \(thread.editedAt.storedValue), \(thread.bodyDigest))
                ON CONFLICT (pipeline_id) DO UPDATE SET repository = excluded.repository, issue = excluded.issue,
                    comment_id = excluded.comment_id, url = excluded.url, edited_at = excluded.edited_at, body_digest = excluded.body_digest
                """, logger: logger)
        }
    }
}
