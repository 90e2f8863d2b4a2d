import Foundation
import GRDB
import JobrunnerCore

extension SQLitePipelineStore {
    public func recordFeedback(_ record: FeedbackRecord) async throws {
        try await immediate { db in
            try db.executeCached("INSERT INTO feedback (pipeline_id, channel, event, target, error, at) VALUES (?, ?, ?, ?, ?, ?)", [
                    record.pipelineID.rawValue, record.channel, record.event, record.target, record.error,
                    record.at.storedValue,
                ])
        }
    }

    public func feedback(for pipeline: PipelineID) async throws -> [FeedbackRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM feedback WHERE pipeline_id = ? ORDER BY id"), arguments: [pipeline.rawValue]
            ).map(StoredRecords.feedback)
        }
    }
}
