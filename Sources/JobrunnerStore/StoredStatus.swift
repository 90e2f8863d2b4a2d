/// The migration that makes a pipeline's status a stored, indexed column (`pipelines.status`)
/// maintained by triggers in the database itself, so no write path can forget it. The triggers
/// embed `StoredSQL.statusExpression` as it is when the migration runs: changing
/// `PipelineStatus.rule` means a new migration that replaces them (the agreement suite fails
/// until then).
enum StoredStatus {
    /// The column, filled for existing pipelines, and its indexes (shared by both drivers).
    static let column = """
        ALTER TABLE pipelines ADD COLUMN status TEXT NOT NULL DEFAULT 'queued';
        \(StoredSQL.refreshStatus(of: "pipelines.id"));
        CREATE INDEX pipelines_status ON pipelines(status, id);
        CREATE INDEX pipelines_repository_status ON pipelines(repository, status, id)
        """

    /// SQLite's triggers.
    static let sqliteTriggers = """
        CREATE TRIGGER stages_status_insert AFTER INSERT ON stages BEGIN
            \(StoredSQL.refreshStatus(of: "NEW.pipeline_id"));
        END;
        CREATE TRIGGER stages_status_update AFTER UPDATE OF state ON stages BEGIN
            \(StoredSQL.refreshStatus(of: "NEW.pipeline_id"));
        END;
        CREATE TRIGGER executions_status_insert AFTER INSERT ON executions BEGIN
            \(StoredSQL.refreshStatus(of: "NEW.pipeline_id"));
        END;
        CREATE TRIGGER executions_status_update AFTER UPDATE OF outcome ON executions BEGIN
            \(StoredSQL.refreshStatus(of: "NEW.pipeline_id"));
        END;
        CREATE TRIGGER pipelines_marks_status AFTER UPDATE OF superseded_by, discarded_at ON pipelines BEGIN
            \(StoredSQL.refreshStatus(of: "NEW.id"));
        END;
        """

    /// PostgreSQL's trigger function for rows that name their pipeline (stages, executions): one statement.
    static let postgresChildFunction = """
        CREATE OR REPLACE FUNCTION jobrunner_refresh_status_of_child() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            \(StoredSQL.refreshStatus(of: "NEW.pipeline_id"));
            RETURN NULL;
        END $$
        """

    /// PostgreSQL's trigger function for a pipeline whose marks changed: one statement.
    static let postgresPipelineFunction = """
        CREATE OR REPLACE FUNCTION jobrunner_refresh_status_of_pipeline() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            \(StoredSQL.refreshStatus(of: "NEW.id"));
            RETURN NULL;
        END $$
        """

    /// PostgreSQL's triggers (after the functions).
    static let postgresTriggers = """
        CREATE TRIGGER stages_status AFTER INSERT OR UPDATE OF state ON stages
            FOR EACH ROW EXECUTE FUNCTION jobrunner_refresh_status_of_child();
        CREATE TRIGGER executions_status AFTER INSERT OR UPDATE OF outcome ON executions
            FOR EACH ROW EXECUTE FUNCTION jobrunner_refresh_status_of_child();
        CREATE TRIGGER pipelines_marks_status AFTER UPDATE OF superseded_by, discarded_at ON pipelines
            FOR EACH ROW EXECUTE FUNCTION jobrunner_refresh_status_of_pipeline()
        """
}
