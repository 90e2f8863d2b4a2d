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
enum StoredStatusCounts {
    static let sqliteMigration = """
        CREATE TABLE pipeline_status_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO pipeline_status_counts (status, n) SELECT status, COUNT(*) FROM pipelines GROUP BY status;
        CREATE TRIGGER pipelines_count_insert AFTER INSERT ON pipelines BEGIN
            INSERT INTO pipeline_status_counts (status, n) VALUES (NEW.status, 1)
            ON CONFLICT (status) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER pipelines_count_update AFTER UPDATE OF status ON pipelines WHEN OLD.status IS NOT NEW.status BEGIN
            UPDATE pipeline_status_counts SET n = n - 1 WHERE status = OLD.status;
            INSERT INTO pipeline_status_counts (status, n) VALUES (NEW.status, 1)
            ON CONFLICT (status) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER pipelines_count_delete AFTER DELETE ON pipelines BEGIN
            UPDATE pipeline_status_counts SET n = n - 1 WHERE status = OLD.status;
        END;
        """

    /// PostgreSQL: the delta table, seeded with the current counts. The lock keeps nodes still
    /// running the previous version from changing a status between the seed and the trigger
    /// (it is held until the migration's transaction commits).
    static let postgresTable = """
        LOCK TABLE pipelines IN SHARE ROW EXCLUSIVE MODE;
        CREATE TABLE pipeline_status_deltas (status TEXT NOT NULL, n BIGINT NOT NULL);
        INSERT INTO pipeline_status_deltas (status, n) SELECT status, COUNT(*) FROM pipelines GROUP BY status
        """

    /// PostgreSQL: what every insert, status change and delete of a pipeline appends.
    static let postgresFunction = """
        CREATE OR REPLACE FUNCTION jobrunner_count_status() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO pipeline_status_deltas (status, n) VALUES (NEW.status, 1);
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO pipeline_status_deltas (status, n) VALUES (OLD.status, -1);
            ELSIF OLD.status IS DISTINCT FROM NEW.status THEN
                INSERT INTO pipeline_status_deltas (status, n) VALUES (OLD.status, -1), (NEW.status, 1);
            END IF;
            RETURN NULL;
        END $$
        """

    static let postgresTrigger = """
        CREATE TRIGGER pipelines_count AFTER INSERT OR DELETE OR UPDATE OF status ON pipelines
            FOR EACH ROW EXECUTE FUNCTION jobrunner_count_status()
        """

    /// PostgreSQL: the counts, whatever has not been folded yet included.
    static let postgresRead = "SELECT status, SUM(n)::bigint AS n FROM pipeline_status_deltas GROUP BY status HAVING SUM(n) > 0"

    /// PostgreSQL: whether there is anything to fold (more rows than one per status).
    static let postgresNeedsCompaction = "SELECT COUNT(*) > \(PipelineStatus.allCases.count) AS more FROM (SELECT 1 FROM pipeline_status_deltas LIMIT \(PipelineStatus.allCases.count + 1)) AS d"

    /// PostgreSQL: folds every committed delta into one row per status. Safe beside writers and
    /// other nodes: rows committed after the statement's snapshot are neither deleted nor summed,
    /// and a row another compaction deleted first is skipped.
    static let postgresCompaction = """
        WITH folded AS (DELETE FROM pipeline_status_deltas RETURNING status, n)
        INSERT INTO pipeline_status_deltas (status, n) SELECT status, SUM(n) FROM folded GROUP BY status HAVING SUM(n) <> 0
        """
}
