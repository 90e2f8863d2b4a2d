// Frozen: written out once (2026-12) from the code that built these migrations, and never
// edited since. A shipped migration is never changed — `FrozenMigrationTests` checks each one's
// digest — and depends on no application type, so a database upgraded today runs exactly the
// SQL that databases created when it shipped ran. To change the schema, append a migration.

/// Every SQLite migration, in order, as the statements it runs.
enum SQLiteMigrations {
    struct Migration: Sendable {
        let identifier: String
        /// Run one at a time, in order, in the migration's transaction.
        let statements: [String]
    }

    static let all: [Migration] = [
        Migration(
            identifier: "v1-durable-queue",
            statements: [
                #"""
                CREATE TABLE deliveries (
                    id TEXT PRIMARY KEY NOT NULL,
                    event TEXT NOT NULL,
                    repository TEXT,
                    ref TEXT,
                    head_commit TEXT,
                    sender TEXT,
                    outcome TEXT NOT NULL,
                    reason TEXT,
                    received_at REAL NOT NULL
                )
                """#,
                #"""
                CREATE INDEX deliveries_received ON deliveries(received_at)
                """#,
                #"""
                CREATE TABLE pipelines (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    repository TEXT NOT NULL,
                    branch TEXT NOT NULL,
                    script_path TEXT NOT NULL,
                    commit_sha TEXT NOT NULL,
                    blob_sha TEXT,
                    pusher TEXT,
                    pull_request INTEGER,
                    author TEXT,
                    delivery_id TEXT NOT NULL REFERENCES deliveries(id),
                    created_at REAL NOT NULL,
                    UNIQUE (repository, script_path, commit_sha)
                )
                """#,
                #"""
                CREATE INDEX pipelines_repository ON pipelines(repository, id)
                """#,
                #"""
                CREATE TABLE delivery_pipelines (
                    delivery_id TEXT NOT NULL REFERENCES deliveries(id),
                    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
                    position INTEGER NOT NULL,
                    PRIMARY KEY (delivery_id, pipeline_id)
                )
                """#,
                #"""
                CREATE TABLE stages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
                    kind TEXT NOT NULL CHECK (kind IN ('process', 'execute', 'cleanup')),
                    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'interrupted', 'cancelled')),
                    attempt INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL,
                    run_after REAL NOT NULL,
                    lease_owner TEXT,
                    lease_expires_at REAL,
                    created_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL,
                    last_error TEXT,
                    summary TEXT,
                    UNIQUE (pipeline_id, kind)
                )
                """#,
                #"""
                CREATE INDEX stages_runnable ON stages(state, run_after)
                """#,
                #"""
                CREATE INDEX stages_leases ON stages(state, lease_expires_at)
                """#,
                #"""
                CREATE TABLE stage_attempts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    stage_id INTEGER NOT NULL REFERENCES stages(id),
                    attempt INTEGER NOT NULL,
                    worker TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    finished_at REAL,
                    outcome TEXT NOT NULL,
                    error TEXT
                )
                """#,
                #"""
                CREATE INDEX stage_attempts_stage ON stage_attempts(stage_id, id)
                """#,
                #"""
                CREATE TABLE operator_actions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
                    stage_id INTEGER REFERENCES stages(id),
                    stage_kind TEXT,
                    action TEXT NOT NULL,
                    operator TEXT NOT NULL,
                    at REAL NOT NULL,
                    reason TEXT
                )
                """#,
                #"""
                CREATE INDEX operator_actions_pipeline ON operator_actions(pipeline_id, id)
                """#,
            ]),
        Migration(
            identifier: "v2-artifacts-and-executions",
            statements: [
                #"""
                CREATE TABLE artifacts (
                    pipeline_id INTEGER PRIMARY KEY NOT NULL REFERENCES pipelines(id),
                    toolchain TEXT NOT NULL,
                    toolchain_version TEXT NOT NULL,
                    file_name TEXT NOT NULL,
                    run_command TEXT NOT NULL,
                    content BLOB NOT NULL,
                    digest TEXT NOT NULL,
                    source_digest TEXT NOT NULL,
                    build_seconds REAL NOT NULL,
                    is_text INTEGER NOT NULL,
                    timeout_seconds REAL,
                    built_at REAL NOT NULL
                )
                """#,
                #"""
                CREATE TABLE executions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
                    attempt INTEGER NOT NULL,
                    started_at REAL NOT NULL,
                    finished_at REAL,
                    outcome TEXT NOT NULL,
                    exit_code INTEGER,
                    signal INTEGER,
                    timed_out INTEGER NOT NULL DEFAULT 0,
                    stdout BLOB NOT NULL DEFAULT x'',
                    stderr BLOB NOT NULL DEFAULT x'',
                    stdout_bytes INTEGER NOT NULL DEFAULT 0,
                    stderr_bytes INTEGER NOT NULL DEFAULT 0,
                    stdout_truncated INTEGER NOT NULL DEFAULT 0,
                    stderr_truncated INTEGER NOT NULL DEFAULT 0
                )
                """#,
                #"""
                CREATE INDEX executions_pipeline ON executions(pipeline_id, id)
                """#,
            ]),
        Migration(
            identifier: "v3-artifact-source",
            statements: [
                #"""
                ALTER TABLE artifacts ADD COLUMN source BLOB NOT NULL DEFAULT x''
                """#,
            ]),
        Migration(
            identifier: "v4-approval-and-feedback",
            statements: [
                #"""
                ALTER TABLE artifacts ADD COLUMN approval TEXT
                """#,
                #"""
                CREATE TABLE feedback (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
                    channel TEXT NOT NULL,
                    event TEXT NOT NULL,
                    target TEXT NOT NULL,
                    error TEXT,
                    at REAL NOT NULL
                )
                """#,
                #"""
                CREATE INDEX feedback_pipeline ON feedback(pipeline_id, id)
                """#,
            ]),
        Migration(
            identifier: "v5-cancel-requests",
            statements: [
                #"""
                ALTER TABLE stages ADD COLUMN cancel_requested_by TEXT
                """#,
                #"""
                ALTER TABLE stages ADD COLUMN cancel_requested_at REAL
                """#,
            ]),
        // Stages copy their pipeline's repository (for the EXECUTE runnable rule), and the runnable
        // index covers the claim order completely, so a claim reads the queue in order instead of
        // sorting it.
        Migration(
            identifier: "v6-stage-repository",
            statements: [
                #"""
                ALTER TABLE stages ADD COLUMN repository TEXT
                """#,
                #"""
                UPDATE stages SET repository = (SELECT p.repository FROM pipelines p WHERE p.id = stages.pipeline_id)
                """#,
                #"""
                CREATE INDEX stages_active_by_repository ON stages(repository, pipeline_id)
                    WHERE state IN ('queued', 'running') AND kind IN ('process', 'execute')
                """#,
                #"""
                DROP INDEX stages_runnable
                """#,
                #"""
                CREATE INDEX stages_runnable ON stages(state, run_after, pipeline_id, id)
                """#,
            ]),
        // EXECUTE can wait (the deploy gate) with a reason, and a run records the application it ran in.
        Migration(
            identifier: "v9-application-context",
            statements: [
                #"""
                ALTER TABLE stages ADD COLUMN wait_reason TEXT
                """#,
                #"""
                ALTER TABLE stages ADD COLUMN waiting_since DOUBLE PRECISION
                """#,
                #"""
                ALTER TABLE executions ADD COLUMN app_dir TEXT
                """#,
                #"""
                ALTER TABLE executions ADD COLUMN app_revision TEXT
                """#,
                #"""
                ALTER TABLE executions ADD COLUMN app_lockfile TEXT
                """#,
                #"""
                ALTER TABLE executions ADD COLUMN app_lockfile_digest TEXT
                """#,
            ]),
        // A run keeps the latest `::progress` its script reported.
        Migration(
            identifier: "v10-progress",
            statements: [
                #"""
                ALTER TABLE executions ADD COLUMN progress_done DOUBLE PRECISION
                """#,
                #"""
                ALTER TABLE executions ADD COLUMN progress_total DOUBLE PRECISION
                """#,
                #"""
                ALTER TABLE executions ADD COLUMN progress_unit TEXT
                """#,
                #"""
                ALTER TABLE executions ADD COLUMN progress_first_done DOUBLE PRECISION
                """#,
                #"""
                ALTER TABLE executions ADD COLUMN progress_first_at DOUBLE PRECISION
                """#,
                #"""
                ALTER TABLE executions ADD COLUMN progress_at DOUBLE PRECISION
                """#,
            ]),
        // A fix of a script replaces a pipeline that never ran (links both ways), and an operator
        // can discard a pipeline; `discard_may_have_run` is 0 or 1.
        Migration(
            identifier: "v11-lifecycle",
            statements: [
                #"""
                ALTER TABLE pipelines ADD COLUMN supersedes BIGINT
                """#,
                #"""
                ALTER TABLE pipelines ADD COLUMN superseded_by BIGINT
                """#,
                #"""
                ALTER TABLE pipelines ADD COLUMN discarded_by TEXT
                """#,
                #"""
                ALTER TABLE pipelines ADD COLUMN discarded_at DOUBLE PRECISION
                """#,
                #"""
                ALTER TABLE pipelines ADD COLUMN discard_reason TEXT
                """#,
                #"""
                ALTER TABLE pipelines ADD COLUMN discard_may_have_run INTEGER
                """#,
                #"""
                CREATE INDEX pipelines_by_script ON pipelines(repository, script_path, id)
                """#,
            ]),
        // The feedback outbox and the one comment each pipeline edits.
        Migration(
            identifier: "v12-feedback-outbox",
            statements: [
                #"""
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    pipeline_id BIGINT NOT NULL REFERENCES pipelines(id),
                    event_name TEXT NOT NULL,
                    event TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at DOUBLE PRECISION NOT NULL,
                    last_error TEXT,
                    remaining TEXT,
                    settled_at DOUBLE PRECISION,
                    lease_owner TEXT,
                    lease_expires_at DOUBLE PRECISION
                )
                """#,
                #"""
                CREATE INDEX outbox_pipeline ON outbox(pipeline_id, id)
                """#,
                #"""
                CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE state = 'pending'
                """#,
                #"""
                CREATE TABLE feedback_comments (
                    pipeline_id BIGINT PRIMARY KEY REFERENCES pipelines(id),
                    repository TEXT NOT NULL,
                    issue BIGINT NOT NULL,
                    comment_id BIGINT NOT NULL,
                    url TEXT NOT NULL,
                    edited_at DOUBLE PRECISION NOT NULL,
                    body_digest TEXT
                )
                """#,
            ]),
        // Dry runs of approved pull requests: unique per (repository, head commit, script).
        Migration(
            identifier: "v13-dry-runs",
            statements: [
                #"""
                CREATE TABLE dry_run_pulls (
                    repository TEXT NOT NULL,
                    number BIGINT NOT NULL,
                    head_commit TEXT NOT NULL,
                    is_open BOOLEAN NOT NULL,
                    status TEXT,
                    title TEXT,
                    url TEXT,
                    comment_id BIGINT,
                    comment_url TEXT,
                    evaluate_at DOUBLE PRECISION,
                    evaluation_attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    report_version INTEGER NOT NULL DEFAULT 0,
                    reported_version INTEGER NOT NULL DEFAULT 0,
                    report_at DOUBLE PRECISION,
                    report_attempts INTEGER NOT NULL DEFAULT 0,
                    lease_owner TEXT,
                    lease_expires_at DOUBLE PRECISION,
                    claimed_at DOUBLE PRECISION,
                    updated_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (repository, number)
                )
                """#,
                #"""
                CREATE TABLE dry_runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    repository TEXT NOT NULL,
                    pull_request BIGINT NOT NULL,
                    head_commit TEXT NOT NULL,
                    script_path TEXT NOT NULL,
                    blob TEXT NOT NULL,
                    approvers TEXT NOT NULL DEFAULT '[]',
                    state TEXT NOT NULL DEFAULT 'queued',
                    outdated BOOLEAN NOT NULL DEFAULT FALSE,
                    created_at DOUBLE PRECISION NOT NULL,
                    started_at DOUBLE PRECISION,
                    finished_at DOUBLE PRECISION,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at DOUBLE PRECISION NOT NULL,
                    lease_owner TEXT,
                    lease_expires_at DOUBLE PRECISION,
                    outcome TEXT,
                    exit_code INTEGER,
                    signal INTEGER,
                    stdout TEXT NOT NULL DEFAULT '',
                    stderr TEXT NOT NULL DEFAULT '',
                    stdout_truncated BOOLEAN NOT NULL DEFAULT FALSE,
                    stderr_truncated BOOLEAN NOT NULL DEFAULT FALSE,
                    progress TEXT,
                    error TEXT,
                    artifact_digest TEXT,
                    UNIQUE (repository, head_commit, script_path)
                )
                """#,
                #"""
                CREATE INDEX dry_runs_pull ON dry_runs(repository, pull_request, id)
                """#,
                #"""
                CREATE INDEX dry_runs_blob ON dry_runs(repository, blob) WHERE state = 'finished' AND outcome = 'succeeded'
                """#,
                #"""
                CREATE INDEX dry_runs_queued ON dry_runs(next_attempt_at, id) WHERE state = 'queued'
                """#,
            ]),
        // The pipeline's status as a stored, indexed column, filled for existing pipelines and kept
        // by triggers in the database itself, so no write path can forget it.
        Migration(
            identifier: "v14-stored-status",
            statements: [
                #"""
                ALTER TABLE pipelines ADD COLUMN status TEXT NOT NULL DEFAULT 'queued'
                """#,
                #"""
                UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = pipelines.id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id)
                """#,
                #"""
                CREATE INDEX pipelines_status ON pipelines(status, id)
                """#,
                #"""
                CREATE INDEX pipelines_repository_status ON pipelines(repository, status, id)
                """#,
                #"""
                CREATE TRIGGER stages_status_insert AFTER INSERT ON stages WHEN ((NEW.state = 'running') OR (NEW.kind = 'cleanup' AND NEW.state = 'failed' AND EXISTS (SELECT 1 FROM pipelines p WHERE p.id = NEW.pipeline_id AND ((p.discarded_at IS NOT NULL)))) OR (NEW.kind = 'cleanup' AND NEW.state = 'succeeded') OR (NEW.kind = 'cleanup' AND NEW.state = 'queued' AND EXISTS (SELECT 1 FROM pipelines p WHERE p.id = NEW.pipeline_id AND ((p.discarded_at IS NOT NULL)))) OR (NEW.state = 'cancelled') OR (NEW.state = 'failed') OR (NEW.state = 'interrupted')) BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER stages_status_update AFTER UPDATE OF state ON stages BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER executions_status_insert AFTER INSERT ON executions BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER executions_status_update AFTER UPDATE OF outcome ON executions BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER pipelines_marks_status AFTER UPDATE OF superseded_by, discarded_at ON pipelines BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
            ]),
        // A run in a Kubernetes Job keeps where it ran and how its container ended (JSON).
        Migration(
            identifier: "v15-kubernetes-runs",
            statements: [
                #"""
                ALTER TABLE executions ADD COLUMN app_kubernetes TEXT
                """#,
            ]),
        // An FTS5 trigram index over script path, pusher and author, filled in the background
        // (`SQLitePipelineStore.textIndexing`); deletions of indexed rows are applied by trigger.
        Migration(
            identifier: "v16-text-search",
            statements: [
                #"""
                CREATE VIRTUAL TABLE pipelines_text USING fts5(
                    script_path, pusher, author, content = 'pipelines', content_rowid = 'id', tokenize = 'trigram')
                """#,
                #"""
                -- CREATE TABLE 'main'.'pipelines_text_data'(id INTEGER PRIMARY KEY, block BLOB)
                """#,
                #"""
                -- CREATE TABLE 'main'.'pipelines_text_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID
                """#,
                #"""
                -- REPLACE INTO 'main'.'pipelines_text_data'(id, block) VALUES(?,?)
                """#,
                #"""
                -- REPLACE INTO 'main'.'pipelines_text_data'(id, block) VALUES(?,?)
                """#,
                #"""
                -- CREATE TABLE 'main'.'pipelines_text_docsize'(id INTEGER PRIMARY KEY, sz BLOB)
                """#,
                #"""
                -- CREATE TABLE 'main'.'pipelines_text_config'(k PRIMARY KEY, v) WITHOUT ROWID
                """#,
                #"""
                -- REPLACE INTO 'main'.'pipelines_text_config' VALUES(?,?)
                """#,
                #"""
                -- PRAGMA 'main'.data_version
                """#,
                #"""
                -- SELECT k, v FROM 'main'.'pipelines_text_config'
                """#,
                #"""
                CREATE TABLE pipelines_text_state (indexed_through INTEGER NOT NULL)
                """#,
                #"""
                INSERT INTO pipelines_text_state (indexed_through) VALUES (0)
                """#,
                #"""
                CREATE TRIGGER pipelines_text_delete AFTER DELETE ON pipelines
                WHEN OLD.id <= (SELECT indexed_through FROM pipelines_text_state) BEGIN
                    INSERT INTO pipelines_text (pipelines_text, rowid, script_path, pusher, author)
                    VALUES ('delete', OLD.id, OLD.script_path, OLD.pusher, OLD.author);
                END
                """#,
                #"""
                CREATE TRIGGER pipelines_text_update AFTER UPDATE OF script_path, pusher, author ON pipelines
                WHEN OLD.id <= (SELECT indexed_through FROM pipelines_text_state) BEGIN
                    INSERT INTO pipelines_text (pipelines_text, rowid, script_path, pusher, author)
                    VALUES ('delete', OLD.id, OLD.script_path, OLD.pusher, OLD.author);
                    INSERT INTO pipelines_text (rowid, script_path, pusher, author) VALUES (NEW.id, NEW.script_path, NEW.pusher, NEW.author);
                END
                """#,
            ]),
        // How many pipelines are in each status, kept by triggers (see `StoredStatusCounts`).
        Migration(
            identifier: "v17-status-counts",
            statements: [
                #"""
                CREATE TABLE pipeline_status_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID
                """#,
                #"""
                INSERT INTO pipeline_status_counts (status, n) SELECT status, COUNT(*) FROM pipelines GROUP BY status
                """#,
                #"""
                CREATE TRIGGER pipelines_count_insert AFTER INSERT ON pipelines BEGIN
                    INSERT INTO pipeline_status_counts (status, n) VALUES (NEW.status, 1)
                    ON CONFLICT (status) DO UPDATE SET n = n + 1;
                END
                """#,
                #"""
                CREATE TRIGGER pipelines_count_update AFTER UPDATE OF status ON pipelines WHEN OLD.status IS NOT NEW.status BEGIN
                    UPDATE pipeline_status_counts SET n = n - 1 WHERE status = OLD.status;
                    INSERT INTO pipeline_status_counts (status, n) VALUES (NEW.status, 1)
                    ON CONFLICT (status) DO UPDATE SET n = n + 1;
                END
                """#,
                #"""
                CREATE TRIGGER pipelines_count_delete AFTER DELETE ON pipelines BEGIN
                    UPDATE pipeline_status_counts SET n = n - 1 WHERE status = OLD.status;
                END
                """#,
            ]),
        // The status triggers again, with the status SQL as it was then (stages found by pipeline).
        Migration(
            identifier: "v18-status-by-pipeline",
            statements: [
                #"""
                DROP TRIGGER IF EXISTS stages_status_insert
                """#,
                #"""
                DROP TRIGGER IF EXISTS stages_status_update
                """#,
                #"""
                DROP TRIGGER IF EXISTS executions_status_insert
                """#,
                #"""
                DROP TRIGGER IF EXISTS executions_status_update
                """#,
                #"""
                DROP TRIGGER IF EXISTS pipelines_marks_status
                """#,
                #"""
                CREATE TRIGGER stages_status_insert AFTER INSERT ON stages WHEN ((NEW.state = 'running') OR (NEW.kind = 'cleanup' AND NEW.state = 'failed' AND EXISTS (SELECT 1 FROM pipelines p WHERE p.id = NEW.pipeline_id AND ((p.discarded_at IS NOT NULL)))) OR (NEW.kind = 'cleanup' AND NEW.state = 'succeeded') OR (NEW.kind = 'cleanup' AND NEW.state = 'queued' AND EXISTS (SELECT 1 FROM pipelines p WHERE p.id = NEW.pipeline_id AND ((p.discarded_at IS NOT NULL)))) OR (NEW.state = 'cancelled') OR (NEW.state = 'failed') OR (NEW.state = 'interrupted')) BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER stages_status_update AFTER UPDATE OF state ON stages BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER executions_status_insert AFTER INSERT ON executions BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER executions_status_update AFTER UPDATE OF outcome ON executions BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER pipelines_marks_status AFTER UPDATE OF superseded_by, discarded_at ON pipelines BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
            ]),
        // The status triggers again: they write the row only when the status changes.
        Migration(
            identifier: "v19-status-written-when-changed",
            statements: [
                #"""
                DROP TRIGGER IF EXISTS stages_status_insert
                """#,
                #"""
                DROP TRIGGER IF EXISTS stages_status_update
                """#,
                #"""
                DROP TRIGGER IF EXISTS executions_status_insert
                """#,
                #"""
                DROP TRIGGER IF EXISTS executions_status_update
                """#,
                #"""
                DROP TRIGGER IF EXISTS pipelines_marks_status
                """#,
                #"""
                CREATE TRIGGER stages_status_insert AFTER INSERT ON stages WHEN ((NEW.state = 'running') OR (NEW.kind = 'cleanup' AND NEW.state = 'failed' AND EXISTS (SELECT 1 FROM pipelines p WHERE p.id = NEW.pipeline_id AND ((p.discarded_at IS NOT NULL)))) OR (NEW.kind = 'cleanup' AND NEW.state = 'succeeded') OR (NEW.kind = 'cleanup' AND NEW.state = 'queued' AND EXISTS (SELECT 1 FROM pipelines p WHERE p.id = NEW.pipeline_id AND ((p.discarded_at IS NOT NULL)))) OR (NEW.state = 'cancelled') OR (NEW.state = 'failed') OR (NEW.state = 'interrupted')) BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER stages_status_update AFTER UPDATE OF state ON stages BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER executions_status_insert AFTER INSERT ON executions BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER executions_status_update AFTER UPDATE OF outcome ON executions BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER pipelines_marks_status AFTER UPDATE OF superseded_by, discarded_at ON pipelines BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
            ]),
        // The stage-insert trigger runs only when the stage can change the status (not for the
        // queued PROCESS stage of every new pipeline).
        Migration(
            identifier: "v20-status-insert-guarded",
            statements: [
                #"""
                DROP TRIGGER IF EXISTS stages_status_insert
                """#,
                #"""
                DROP TRIGGER IF EXISTS stages_status_update
                """#,
                #"""
                DROP TRIGGER IF EXISTS executions_status_insert
                """#,
                #"""
                DROP TRIGGER IF EXISTS executions_status_update
                """#,
                #"""
                DROP TRIGGER IF EXISTS pipelines_marks_status
                """#,
                #"""
                CREATE TRIGGER stages_status_insert AFTER INSERT ON stages WHEN ((NEW.state = 'running') OR (NEW.kind = 'cleanup' AND NEW.state = 'failed' AND EXISTS (SELECT 1 FROM pipelines p WHERE p.id = NEW.pipeline_id AND ((p.discarded_at IS NOT NULL)))) OR (NEW.kind = 'cleanup' AND NEW.state = 'succeeded') OR (NEW.kind = 'cleanup' AND NEW.state = 'queued' AND EXISTS (SELECT 1 FROM pipelines p WHERE p.id = NEW.pipeline_id AND ((p.discarded_at IS NOT NULL)))) OR (NEW.state = 'cancelled') OR (NEW.state = 'failed') OR (NEW.state = 'interrupted')) BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER stages_status_update AFTER UPDATE OF state ON stages BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER executions_status_insert AFTER INSERT ON executions BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER executions_status_update AFTER UPDATE OF outcome ON executions BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
                #"""
                CREATE TRIGGER pipelines_marks_status AFTER UPDATE OF superseded_by, discarded_at ON pipelines BEGIN
                    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
                END
                """#,
            ]),
        // Deliveries get an increasing number (`seq`, an explicit INTEGER PRIMARY KEY, which
        // `VACUUM` keeps), and `delivery_pipelines` is keyed by it instead of by the delivery's
        // random GitHub id: each new delivery's rows then go at the end of that table, where the
        // random key put each into a leaf page of its own — one more page written to the WAL per
        // delivery at intake. `seq` is never shown; deliveries are still found by their GitHub id.
        Migration(
            identifier: "v21-deliveries-numbered",
            statements: [
                #"""
                CREATE TABLE deliveries_numbered (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    event TEXT NOT NULL,
                    repository TEXT,
                    ref TEXT,
                    head_commit TEXT,
                    sender TEXT,
                    outcome TEXT NOT NULL,
                    reason TEXT,
                    received_at REAL NOT NULL
                )
                """#,
                #"""
                INSERT INTO deliveries_numbered (seq, id, event, repository, ref, head_commit, sender, outcome, reason, received_at)
                    SELECT rowid, id, event, repository, ref, head_commit, sender, outcome, reason, received_at FROM deliveries ORDER BY rowid
                """#,
                #"""
                CREATE TABLE delivery_pipelines_numbered (
                    delivery_seq INTEGER NOT NULL REFERENCES deliveries(seq),
                    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
                    position INTEGER NOT NULL,
                    PRIMARY KEY (delivery_seq, pipeline_id)
                ) WITHOUT ROWID
                """#,
                #"""
                INSERT INTO delivery_pipelines_numbered (delivery_seq, pipeline_id, position)
                    SELECT d.seq, dp.pipeline_id, dp.position FROM delivery_pipelines dp JOIN deliveries_numbered d ON d.id = dp.delivery_id
                """#,
                #"""
                DROP TABLE delivery_pipelines
                """#,
                #"""
                DROP TABLE deliveries
                """#,
                #"""
                ALTER TABLE deliveries_numbered RENAME TO deliveries
                """#,
                #"""
                -- PRAGMA 'main'.data_version
                """#,
                #"""
                -- SELECT k, v FROM 'main'.'pipelines_text_config'
                """#,
                #"""
                ALTER TABLE delivery_pipelines_numbered RENAME TO delivery_pipelines
                """#,
                #"""
                -- PRAGMA 'main'.data_version
                """#,
                #"""
                -- SELECT k, v FROM 'main'.'pipelines_text_config'
                """#,
                #"""
                CREATE INDEX deliveries_received ON deliveries(received_at)
                """#,
            ]),
        // Two indexes every intake wrote and no query needs: the expired-lease scan reads the
        // few running stages through `stages_runnable` (state first), and a script's latest
        // pipeline is found through the unique (repository, script path, commit) index, which
        // holds the few pipelines of one script.
        Migration(
            identifier: "v22-fewer-intake-indexes",
            statements: [
                #"""
                DROP INDEX IF EXISTS stages_leases
                """#,
                #"""
                DROP INDEX IF EXISTS pipelines_by_script
                """#,
            ]),
        Migration(
            identifier: "v23-execution-limits",
            statements: [
                #"""
                ALTER TABLE executions ADD COLUMN stopped_by TEXT
                """#,
            ]),
    ]
}
