import Foundation
import GRDB
import JobrunnerCore
import JobrunnerStore

extension SQLitePipelineStore {
    public func pipelines(_ filter: PipelineFilter) async throws -> [PipelineSummary] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let repository = filter.repository {
            conditions.append("p.repository = ?")
            arguments += [repository.rawValue]
        }
        if let before = filter.before {
            conditions.append("p.id < ?")
            arguments += [before.rawValue]
        }
        if let after = filter.after {
            conditions.append("p.id > ?")
            arguments += [after.rawValue]
        }
        if let path = filter.scriptPath {
            conditions.append("p.script_path = ?")
            arguments += [path]
        }
        if let status = filter.status {
            conditions.append("p.status = ?")
            arguments += [status.rawValue]
        }
        let order = filter.after == nil ? "DESC" : "ASC"
        let limit = max(1, min(filter.limit, 1000))
        let select: @Sendable ([String], String) -> String = { conditions, columns in
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return "SELECT \(columns) FROM pipelines p \(whereClause) ORDER BY p.id \(order) LIMIT ?"
        }
        // The text filter: a substring of the script path, pusher or author.
        var textFilter: (like: String, likeArguments: StatementArguments, phrase: String?)?
        if let query = filter.text, !query.isEmpty {
            let pattern = "%" + StoredSQL.escapeLike(query) + "%"
            textFilter = (
                "(p.script_path LIKE ? ESCAPE '\\' OR p.pusher LIKE ? ESCAPE '\\' OR p.author LIKE ? ESCAPE '\\')",
                [pattern, pattern, pattern],
                query.count >= StoredTextSearch.shortestIndexed ? StoredTextSearch.sqlitePhrase(query) : nil
            )
        }
        let text = textFilter
        let baseConditions = conditions
        let baseArguments = arguments
        let window = textScanWindow
        return try await pool.read { db in
            var rows: [PipelineRecord]
            if let text {
                // A common text is found among the newest pipelines at once; only when the newest
                // `window` do not fill the page is the trigram index asked (it lists every match,
                // which is cheap for a rare text and costly for a common one).
                let newest = select(baseConditions, "p.id")
                let bounds = try Row.fetchOne(
                    db, sql: "SELECT COUNT(*) AS n, \(order == "DESC" ? "MIN" : "MAX")(id) AS edge FROM (\(newest))",
                    arguments: baseArguments + [window])
                let edge: Int64? = bounds?["edge"]
                rows = []
                if let edge {
                    rows = try Row.fetchAll(
                        db, sql: select(baseConditions + ["p.id \(order == "DESC" ? ">=" : "<=") ?", text.like], StoredRecords.pipelineColumns),
                        arguments: baseArguments + [edge] + text.likeArguments + [limit]
                    ).map(StoredRecords.pipeline)
                }
                if StoredTextSearch.needsIndex(found: rows.count, limit: limit, windowCandidates: bounds?["n"] ?? 0, window: window) {
                    var indexed = baseConditions
                    var indexedArguments = baseArguments
                    if let phrase = text.phrase {
                        indexed.append(StoredTextSearch.sqliteCandidates)
                        indexedArguments += [phrase]
                    }
                    rows = try Row.fetchAll(
                        db, sql: select(indexed + [text.like], StoredRecords.pipelineColumns), arguments: indexedArguments + text.likeArguments + [limit]
                    ).map(StoredRecords.pipeline)
                }
            } else {
                rows = try Row.fetchAll(db, sql: select(baseConditions, StoredRecords.pipelineColumns), arguments: baseArguments + [limit]).map(StoredRecords.pipeline)
            }
            // Newest first either way: a page after an id is read oldest first, then turned round.
            let pipelines = filter.after == nil ? rows : rows.reversed()
            let stages = try Self.stagesByPipeline(db, pipelines.map(\.id))
            let scripts = try Self.latestScripts(db, pipelines.map(\.id))
            return pipelines.map { PipelineSummary(pipeline: $0, stages: stages[$0.id] ?? [], script: scripts[$0.id]) }
        }
    }

    public func pipeline(_ id: PipelineID) async throws -> PipelineDetail? {
        try await pool.read { db -> PipelineDetail? in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT \(StoredRecords.pipelineColumns) FROM pipelines p WHERE p.id = ?"),
                    arguments: [id.rawValue])
            else { return nil }
            let pipeline = try StoredRecords.pipeline(row)
            let stages = try Self.stagesByPipeline(db, [id])[id] ?? []
            let attempts = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT a.*, s.kind FROM stage_attempts a JOIN stages s ON s.id = a.stage_id
                    WHERE s.pipeline_id = ? ORDER BY a.id
                    """),
                arguments: [id.rawValue]
            ).map(StoredRecords.attempt)
            let actions = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM operator_actions WHERE pipeline_id = ? ORDER BY id"),
                arguments: [id.rawValue]
            ).map(StoredRecords.operatorAction)
            return PipelineDetail(
                summary: PipelineSummary(pipeline: pipeline, stages: stages, script: try Self.latestScripts(db, [id])[id]),
                attempts: attempts,
                operatorActions: actions)
        }
    }

    public func delivery(_ id: DeliveryID) async throws -> DeliveryRecord? {
        try await pool.read { db in try Self.fetchDelivery(db, id) }
    }

    static func latestScripts(_ db: Database, _ ids: [PipelineID]) throws -> [PipelineID: ScriptResult] {
        guard !ids.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        let rows = try Row.fetchAll(
            db, sql: StoredSQL.latestScripts.replacingOccurrences(of: "%@", with: "IN (\(placeholders))"),
            arguments: StatementArguments(ids.map(\.rawValue)))
        return Dictionary(try rows.map(StoredRecords.script), uniquingKeysWith: { first, _ in first })
    }

    static func stagesByPipeline(_ db: Database, _ ids: [PipelineID]) throws -> [PipelineID: [StageRecord]] {
        guard !ids.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        let stages = try Row.fetchAll(
            db, sql: "SELECT * FROM stages WHERE pipeline_id IN (\(placeholders))",
            arguments: StatementArguments(ids.map(\.rawValue))
        ).map(StoredRecords.stage)
        return Dictionary(grouping: stages, by: \.pipelineID)
    }
}
