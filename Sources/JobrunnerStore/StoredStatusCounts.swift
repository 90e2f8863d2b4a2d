import JobrunnerCore

/// How many pipelines are in each status, kept by triggers as the stored status changes, so
/// `/metrics` and the dashboard's overview read a handful of rows instead of counting every
/// pipeline of the history. `QueueRuleAgreementTests` checks the counts against the status filter
/// on both drivers.
///
/// SQLite has one writer, so one counter row per status costs nothing. On PostgreSQL a counter
/// row would serialise every intake and completion behind its row lock, so the triggers only
/// append `(status, ±1)` rows to `pipeline_status_deltas` (no row is ever updated by two
/// writers) and readers add them up; `PostgresPipelineStore.statusCountFolding` folds them into one row per
/// status every few seconds so the sum stays a handful of rows.
package enum StoredStatusCounts {
    /// PostgreSQL: the counts, whatever has not been folded yet included.
    package static let postgresRead = "SELECT status, SUM(n)::bigint AS n FROM pipeline_status_deltas GROUP BY status HAVING SUM(n) > 0"

    /// PostgreSQL: whether there is anything to fold (more rows than one per status).
    package static let postgresNeedsCompaction = "SELECT COUNT(*) > \(PipelineStatus.allCases.count) AS more FROM (SELECT 1 FROM pipeline_status_deltas LIMIT \(PipelineStatus.allCases.count + 1)) AS d"

    /// PostgreSQL: folds every committed delta into one row per status. Safe beside writers and
    /// other nodes: rows committed after the statement's snapshot are neither deleted nor summed,
    /// and a row another compaction deleted first is skipped.
    package static let postgresCompaction = """
        WITH folded AS (DELETE FROM pipeline_status_deltas RETURNING status, n)
        INSERT INTO pipeline_status_deltas (status, n) SELECT status, SUM(n) FROM folded GROUP BY status HAVING SUM(n) <> 0
        """
}
