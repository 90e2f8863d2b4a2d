import Foundation
import JobrunnerCore
import JobrunnerStore
import Logging
import PostgresNIO

extension PostgresPipelineStore {
    public func pipelines(_ filter: PipelineFilter) async throws -> [PipelineSummary] {
        let order = filter.after == nil ? "DESC" : "ASC"
        let limit = Int64(max(1, min(filter.limit, 1000)))
        /// The page's query: the filter's conditions, and the text's in one of three forms.
        @Sendable func query(
            text: TextCondition, edge: Int64? = nil, columns: String = StoredRecords.pipelineColumns, limit: Int64
        ) -> PostgresQuery {
            var binds = PostgresBindings()
            var conditions: [String] = []
            func placeholder(_ value: some PostgresNonThrowingEncodable) -> String {
                binds.append(value)
                return "$\(binds.count)"
            }
            if let repository = filter.repository { conditions.append("p.repository = \(placeholder(repository.rawValue))") }
            if let before = filter.before { conditions.append("p.id < \(placeholder(before.rawValue))") }
            if let after = filter.after { conditions.append("p.id > \(placeholder(after.rawValue))") }
            if let path = filter.scriptPath { conditions.append("p.script_path = \(placeholder(path))") }
            if let status = filter.status { conditions.append("p.status = \(placeholder(status.rawValue))") }
            if let edge { conditions.append("p.id \(order == "DESC" ? ">=" : "<=") \(placeholder(edge))") }
            if text != .none, let query = filter.text {
                // ILIKE: SQLite's LIKE ignores ASCII case, and both drivers must answer alike.
                let pattern = placeholder("%" + StoredSQL.escapeLike(query) + "%")
                if case .indexed(let parts) = text {
                    // What the trigram index (when pg_trgm is there) can look up; the columns decide.
                    for part in parts {
                        conditions.append("\(StoredTextSearch.postgresDocument) ILIKE \(placeholder(part)) ESCAPE '\\'")
                    }
                }
                conditions.append(
                    "(p.script_path ILIKE \(pattern) ESCAPE '\\' OR p.pusher ILIKE \(pattern) ESCAPE '\\' OR p.author ILIKE \(pattern) ESCAPE '\\')")
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return PostgresQuery(
                unsafeSQL: "SELECT \(columns) FROM pipelines p \(whereClause) ORDER BY p.id \(order) LIMIT \(placeholder(limit))",
                binds: binds)
        }
        let hasText = !(filter.text ?? "").isEmpty
        let window = Int64(textScanWindow)
        let logger = logger
        return try await read("listing pipelines") { db in
            var rows: [PipelineRecord]
            if hasText {
                // A common text is found among the newest pipelines at once; only when the newest
                // `window` do not fill the page is the trigram index asked.
                let newest = query(text: .none, columns: "p.id", limit: window)
                let bounds = try await db.row(
                    PostgresQuery(
                        unsafeSQL: "SELECT COUNT(*) AS n, \(order == "DESC" ? "MIN" : "MAX")(id) AS edge FROM (\(newest.sql)) AS w",
                        binds: newest.binds), logger: logger)
                rows = []
                if let edge = try bounds?.optionalInt64("edge") {
                    rows = try await db.rows(query(text: .scanned, edge: edge, limit: limit), logger: logger)
                        .map(StoredRecords.pipeline)
                }
                if StoredTextSearch.needsIndex(
                    found: rows.count, limit: Int(limit), windowCandidates: Int(try bounds?.int64("n") ?? 0), window: Int(window)),
                    let text = filter.text
                {
                    let parts = try await Self.selectiveParts(
                        StoredTextSearch.postgresPatterns(text), sample: query(text: .none, columns: "p.*", limit: 200), db, logger)
                    rows = try await db.rows(query(text: .indexed(parts), limit: limit), logger: logger).map(StoredRecords.pipeline)
                }
            } else {
                rows = try await db.rows(query(text: .none, limit: limit), logger: logger).map(StoredRecords.pipeline)
            }
            // Newest first either way: a page after an id is read oldest first, then turned round.
            let pipelines = filter.after == nil ? rows : rows.reversed()
            let stages = try await Self.stagesByPipeline(db, pipelines.map(\.id), logger: logger)
            let scripts = try await Self.latestScripts(db, pipelines.map(\.id), logger: logger)
            return pipelines.map { PipelineSummary(pipeline: $0, stages: stages[$0.id] ?? [], script: scripts[$0.id]) }
        }
    }

    /// How a page's query treats the text filter: not at all, by the columns alone (a bounded
    /// scan), or through the trigram index as well (with these patterns).
    private enum TextCondition: Equatable, Sendable { case none, scanned, indexed([String]) }

    /// The patterns worth asking the trigram index for: those found in at most a fifth of the
    /// newest candidates (`sample`). A pattern nearly every pipeline holds (`scr` when every
    /// script is `script-N`) narrows nothing, yet GIN still walks its posting list (22 ms at 1M
    /// with them, under 2 ms without). Any subset finds every match, so when all are common they
    /// are all kept.
    private static func selectiveParts(_ parts: [String], sample: PostgresQuery, _ db: PostgresConnection, _ logger: Logger)
        async throws -> [String]
    {
        guard parts.count > 1 else { return parts }
        var binds = sample.binds
        var counts: [String] = []
        for part in parts {
            binds.append(part)
            counts.append("COUNT(*) FILTER (WHERE \(StoredTextSearch.postgresDocument) ILIKE $\(binds.count) ESCAPE '\\')")
        }
        guard
            let row = try await db.row(
                PostgresQuery(
                    unsafeSQL: "SELECT COUNT(*) AS n, \(counts.enumerated().map { "\($1) AS f\($0)" }.joined(separator: ", ")) FROM (\(sample.sql)) AS p",
                    binds: binds), logger: logger)
        else { return parts }
        let total = try row.int64("n")
        let selective = try parts.indices.filter { try row.int64("f\($0)") * 5 <= total }.map { parts[$0] }
        return selective.isEmpty ? parts : selective
    }

    public func pipeline(_ id: PipelineID) async throws -> PipelineDetail? {
        let logger = logger
        // One transaction, so the pipeline, its stages and attempts are one consistent snapshot.
        return try await transaction("reading pipeline \(id)") { db -> PipelineDetail? in
            try await db.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            guard
                let row = try await db.row(
                    "SELECT \(unescaped: StoredRecords.pipelineColumns) FROM pipelines p WHERE p.id = \(id.rawValue)",
                    logger: logger)
            else { return nil }
            let pipeline = try StoredRecords.pipeline(row)
            let stages = try await Self.stagesByPipeline(db, [id], logger: logger)[id] ?? []
            let attempts = try await db.rows(
                """
                SELECT a.*, s.kind FROM stage_attempts a JOIN stages s ON s.id = a.stage_id
                WHERE s.pipeline_id = \(id.rawValue) ORDER BY a.id
                """, logger: logger
            ).map(StoredRecords.attempt)
            let actions = try await db.rows(
                "SELECT * FROM operator_actions WHERE pipeline_id = \(id.rawValue) ORDER BY id", logger: logger
            ).map(StoredRecords.operatorAction)
            let script = try await Self.latestScripts(db, [id], logger: logger)[id]
            return PipelineDetail(
                summary: PipelineSummary(pipeline: pipeline, stages: stages, script: script), attempts: attempts,
                operatorActions: actions)
        }
    }

    public func delivery(_ id: DeliveryID) async throws -> DeliveryRecord? {
        let logger = logger
        return try await transaction("reading delivery \(id.rawValue)") { db in
            try await Self.fetchDelivery(db, id, logger: logger)
        }
    }

    static func latestScripts(_ db: PostgresConnection, _ ids: [PipelineID], logger: Logger) async throws
        -> [PipelineID: ScriptResult]
    {
        guard !ids.isEmpty else { return [:] }
        let query = PostgresQuery(
            unsafeSQL: StoredSQL.latestScripts.replacingOccurrences(of: "%@", with: "= ANY($1)"),
            binds: try { var binds = PostgresBindings(); try binds.append(ids.map(\.rawValue)); return binds }())
        let rows = try await db.rows(query, logger: logger)
        return Dictionary(try rows.map(StoredRecords.script), uniquingKeysWith: { first, _ in first })
    }

    static func stagesByPipeline(_ db: PostgresConnection, _ ids: [PipelineID], logger: Logger) async throws
        -> [PipelineID: [StageRecord]]
    {
        guard !ids.isEmpty else { return [:] }
        let stages = try await db.rows(
            "SELECT * FROM stages WHERE pipeline_id = ANY(\(ids.map(\.rawValue)))", logger: logger
        ).map(StoredRecords.stage)
        return Dictionary(grouping: stages, by: \.pipelineID)
    }

    public func statistics() async throws -> QueueStatistics {
        let logger = logger
        return try await transaction("counting the queue") { db in
            try await db.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            var statistics = QueueStatistics()
            for row in try await db.rows(PostgresQuery(unsafeSQL: StoredStatusCounts.postgresRead), logger: logger) {
                if let status = PipelineStatus(rawValue: try row.string("status")) {
                    statistics.pipelinesByStatus[status] = try row.int("n")
                }
            }
            for row in try await db.rows(
                "SELECT kind, state, COUNT(*) AS n FROM stages WHERE state IN ('queued', 'running') GROUP BY 1, 2",
                logger: logger)
            {
                guard let kind = StageKind(rawValue: try row.string("kind")) else { continue }
                if try row.string("state") == "queued" {
                    statistics.queuedByKind[kind] = try row.int("n")
                } else {
                    statistics.runningByKind[kind] = try row.int("n")
                }
            }
            statistics.oldestQueuedSince = try await db.row(
                "SELECT MIN(run_after) AS oldest FROM stages WHERE state = 'queued' AND wait_reason IS NULL", logger: logger
            )?.optionalDouble("oldest").map(Date.init(timeIntervalSince1970:))
            return statistics
        }
    }

    public func prune(finishedBefore cutoff: Date, limit: Int) async throws -> Int {
        let cutoff = cutoff.storedValue
        let limit = Int64(max(1, limit))
        let logger = logger
        return try await transaction("pruning finished pipelines") { db -> Int in
            // SKIP LOCKED: a pipeline another node is pruning (or an operator is touching) waits
            // for the next round.
            let ids = try await db.rows(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT p.id FROM pipelines p WHERE \(StoredRetention.prunableCondition(cutoff: "$1"))
                        ORDER BY p.id LIMIT $2 FOR UPDATE OF p SKIP LOCKED
                        """,
                    binds: try Self.binds(cutoff, limit)), logger: logger
            ).map { try $0.int64("id") }
            if !ids.isEmpty {
                for statement in StoredRetention.deleteStatements(ids: "SELECT unnest($1::bigint[])") {
                    try await db.run(PostgresQuery(unsafeSQL: statement, binds: try Self.binds(ids)), logger: logger)
                }
            }
            try await db.run(
                PostgresQuery(unsafeSQL: StoredRetention.orphanedDeliveries(cutoff: "$1", listed: "dp.delivery_id = deliveries.id"), binds: try Self.binds(cutoff)),
                logger: logger)
            for statement in StoredRetention.closedDryRuns(cutoff: "$1") {
                try await db.run(PostgresQuery(unsafeSQL: statement, binds: try Self.binds(cutoff)), logger: logger)
            }
            return ids.count
        }
    }

    static func binds(_ values: any PostgresNonThrowingEncodable...) throws -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return binds
    }
}
