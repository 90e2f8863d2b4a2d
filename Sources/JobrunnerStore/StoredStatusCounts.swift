/// How many pipelines are in each status, kept by SQLite triggers as the stored status changes,
/// so `/metrics` and the dashboard's overview read a handful of rows instead of counting every
/// pipeline of the history. (PostgreSQL still counts: one counter row per status would serialise
/// every intake and completion behind its row lock.) `QueueRuleAgreementTests` checks the counts
/// against the status filter.
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

}
