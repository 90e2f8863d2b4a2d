import Foundation
import GRDB
import JobrunnerCore

/// Decoding of stored rows into domain records. Column lists live next to their decoders so
/// a query and the decoder it feeds cannot drift apart.
enum SQLiteRows {
    static let pipelineColumns = """
        p.id AS p_id, p.repository AS p_repository, p.branch AS p_branch,
        p.script_path AS p_script_path, p.commit_sha AS p_commit_sha, p.blob_sha AS p_blob_sha,
        p.pusher AS p_pusher, p.pull_request AS p_pull_request, p.author AS p_author,
        p.delivery_id AS p_delivery_id, p.created_at AS p_created_at
        """

    static func pipeline(_ row: Row) throws -> PipelineRecord {
        let repositoryText: String = row["p_repository"]
        guard let repository = RepositoryName(rawValue: repositoryText) else {
            throw DatabaseError(message: "stored repository name is invalid: \(repositoryText)")
        }
        return PipelineRecord(
            id: PipelineID(row["p_id"] as Int64),
            source: NewPipeline(
                repository: repository,
                branch: row["p_branch"],
                scriptPath: row["p_script_path"],
                commit: row["p_commit_sha"],
                blob: row["p_blob_sha"],
                pusher: row["p_pusher"],
                pullRequest: row["p_pull_request"],
                author: row["p_author"]
            ),
            deliveryID: DeliveryID(row["p_delivery_id"] as String),
            createdAt: date(row["p_created_at"])
        )
    }

    static func stage(_ row: Row) throws -> StageRecord {
        let kindText: String = row["kind"]
        let stateText: String = row["state"]
        guard let kind = StageKind(rawValue: kindText), let state = StageState(rawValue: stateText) else {
            throw DatabaseError(message: "stored stage has unknown kind or state: \(kindText)/\(stateText)")
        }
        return StageRecord(
            id: StageID(row["id"] as Int64),
            pipelineID: PipelineID(row["pipeline_id"] as Int64),
            kind: kind,
            state: state,
            attempt: row["attempt"],
            maxAttempts: row["max_attempts"],
            runAfter: date(row["run_after"]),
            leaseOwner: row["lease_owner"],
            leaseExpiresAt: optionalDate(row["lease_expires_at"]),
            createdAt: date(row["created_at"]),
            startedAt: optionalDate(row["started_at"]),
            finishedAt: optionalDate(row["finished_at"]),
            lastError: row["last_error"],
            summary: row["summary"],
            cancelRequestedBy: row["cancel_requested_by"],
            cancelRequestedAt: optionalDate(row["cancel_requested_at"])
        )
    }

    static func attempt(_ row: Row) throws -> AttemptRecord {
        let kindText: String = row["kind"]
        let outcomeText: String = row["outcome"]
        guard let kind = StageKind(rawValue: kindText), let outcome = AttemptOutcome(rawValue: outcomeText) else {
            throw DatabaseError(message: "stored attempt has unknown kind or outcome: \(kindText)/\(outcomeText)")
        }
        return AttemptRecord(
            id: row["id"],
            stageID: StageID(row["stage_id"] as Int64),
            kind: kind,
            attempt: row["attempt"],
            worker: row["worker"],
            startedAt: date(row["started_at"]),
            finishedAt: optionalDate(row["finished_at"]),
            outcome: outcome,
            error: row["error"]
        )
    }

    static func operatorAction(_ row: Row) throws -> OperatorAction {
        let actionText: String = row["action"]
        guard let kind = OperatorAction.Kind(rawValue: actionText) else {
            throw DatabaseError(message: "stored operator action is unknown: \(actionText)")
        }
        let stageKindText: String? = row["stage_kind"]
        return OperatorAction(
            id: row["id"],
            pipelineID: PipelineID(row["pipeline_id"] as Int64),
            stageID: (row["stage_id"] as Int64?).map(StageID.init(rawValue:)),
            stageKind: stageKindText.flatMap(StageKind.init(rawValue:)),
            kind: kind,
            operatorName: row["operator"],
            at: date(row["at"]),
            reason: row["reason"]
        )
    }

    static func delivery(_ row: Row, pipelineIDs: [PipelineID]) throws -> DeliveryRecord {
        let outcomeText: String = row["outcome"]
        guard let outcome = DeliveryOutcome(rawValue: outcomeText) else {
            throw DatabaseError(message: "stored delivery outcome is unknown: \(outcomeText)")
        }
        return DeliveryRecord(
            delivery: NewDelivery(
                id: DeliveryID(row["id"] as String),
                event: row["event"],
                repository: row["repository"],
                ref: row["ref"],
                headCommit: row["head_commit"],
                sender: row["sender"],
                outcome: outcome,
                reason: row["reason"]
            ),
            receivedAt: date(row["received_at"]),
            pipelineIDs: pipelineIDs
        )
    }

    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
    static func optionalDate(_ seconds: Double?) -> Date? { seconds.map(date) }
}

extension Date {
    /// How dates are stored: REAL seconds since 1970.
    var storedValue: Double { timeIntervalSince1970 }
}
