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

    /// The writes that can change a status: (trigger name, table and event, how the row names its pipeline).
    static let writes: [(name: String, on: String, pipeline: String)] = [
        ("stages_status_insert", "AFTER INSERT ON stages", "NEW.pipeline_id"),
        ("stages_status_update", "AFTER UPDATE OF state ON stages", "NEW.pipeline_id"),
        ("executions_status_insert", "AFTER INSERT ON executions", "NEW.pipeline_id"),
        ("executions_status_update", "AFTER UPDATE OF outcome ON executions", "NEW.pipeline_id"),
        ("pipelines_marks_status", "AFTER UPDATE OF superseded_by, discarded_at ON pipelines", "NEW.id"),
    ]

    /// SQLite's triggers, one per write.
    static let sqliteTriggers = writes.map { write in
        """
        CREATE TRIGGER \(write.name) \(write.on) BEGIN
            \(StoredSQL.refreshStatus(of: write.pipeline));
        END;
        """
    }.joined(separator: "\n")

    /// SQLite: the triggers again, with the status SQL as it is now (a migration that replaces
    /// the ones an earlier version installed).
    static let sqliteTriggersReplaced = writes.map { "DROP TRIGGER IF EXISTS \($0.name);" }.joined(separator: "\n")
        + "\n" + sqliteTriggers

    /// A PostgreSQL trigger function (one statement) refreshing the pipeline `pipeline` names.
    static func postgresFunction(_ name: String, pipeline: String) -> String {
        """
        CREATE OR REPLACE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            \(StoredSQL.refreshStatus(of: pipeline));
            RETURN NULL;
        END $$
        """
    }

    /// For rows that name their pipeline (stages, executions).
    static let postgresChildFunction = postgresFunction("jobrunner_refresh_status_of_child", pipeline: "NEW.pipeline_id")

    /// For a pipeline whose marks changed.
    static let postgresPipelineFunction = postgresFunction("jobrunner_refresh_status_of_pipeline", pipeline: "NEW.id")

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
