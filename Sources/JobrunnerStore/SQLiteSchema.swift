import GRDB

/// The SQLite schema, as an ordered list of migrations. Never edit a shipped migration:
/// add a new one. A database that has migrations this build does not know was written by a
/// newer Jobrunner and is refused (see `PipelineStoreError.databaseIsNewer`).
///
/// Times are stored as REAL seconds since 1970 (UTC), so comparisons are numeric.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-durable-queue") { db in
            try db.execute(
                sql: """
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
                    );
                    CREATE INDEX deliveries_received ON deliveries(received_at);

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
                    );
                    CREATE INDEX pipelines_repository ON pipelines(repository, id);

                    CREATE TABLE delivery_pipelines (
                        delivery_id TEXT NOT NULL REFERENCES deliveries(id),
                        pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
                        position INTEGER NOT NULL,
                        PRIMARY KEY (delivery_id, pipeline_id)
                    );

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
                    );
                    CREATE INDEX stages_runnable ON stages(state, run_after);
                    CREATE INDEX stages_leases ON stages(state, lease_expires_at);

                    CREATE TABLE stage_attempts (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        stage_id INTEGER NOT NULL REFERENCES stages(id),
                        attempt INTEGER NOT NULL,
                        worker TEXT NOT NULL,
                        started_at REAL NOT NULL,
                        finished_at REAL,
                        outcome TEXT NOT NULL,
                        error TEXT
                    );
                    CREATE INDEX stage_attempts_stage ON stage_attempts(stage_id, id);

                    CREATE TABLE operator_actions (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
                        stage_id INTEGER REFERENCES stages(id),
                        stage_kind TEXT,
                        action TEXT NOT NULL,
                        operator TEXT NOT NULL,
                        at REAL NOT NULL,
                        reason TEXT
                    );
                    CREATE INDEX operator_actions_pipeline ON operator_actions(pipeline_id, id);
                    """)
        }
        migrator.registerMigration("v2-artifacts-and-executions") { db in
            try db.execute(
                sql: """
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
                    );

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
                    );
                    CREATE INDEX executions_pipeline ON executions(pipeline_id, id);
                    """)
        }
        migrator.registerMigration("v3-artifact-source") { db in
            try db.execute(sql: "ALTER TABLE artifacts ADD COLUMN source BLOB NOT NULL DEFAULT x''")
        }
        migrator.registerMigration("v4-approval-and-feedback") { db in
            try db.execute(
                sql: """
                    ALTER TABLE artifacts ADD COLUMN approval TEXT;
                    CREATE TABLE feedback (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
                        channel TEXT NOT NULL,
                        event TEXT NOT NULL,
                        target TEXT NOT NULL,
                        error TEXT,
                        at REAL NOT NULL
                    );
                    CREATE INDEX feedback_pipeline ON feedback(pipeline_id, id);
                    """)
        }
        migrator.registerMigration("v5-cancel-requests") { db in
            try db.execute(
                sql: """
                    ALTER TABLE stages ADD COLUMN cancel_requested_by TEXT;
                    ALTER TABLE stages ADD COLUMN cancel_requested_at REAL;
                    """)
        }
        migrator.registerMigration("v6-stage-repository") { db in
            try db.execute(sql: StoredSQL.stageRepositoryMigration)
        }
        migrator.registerMigration("v9-application-context") { db in
            try db.execute(sql: StoredSQL.applicationContextMigration)
        }
        migrator.registerMigration("v10-progress") { db in
            try db.execute(sql: StoredSQL.progressMigration)
        }
        migrator.registerMigration("v11-lifecycle") { db in
            try db.execute(sql: StoredSQL.lifecycleMigration)
        }
        migrator.registerMigration("v12-feedback-outbox") { db in
            try db.execute(sql: StoredOutbox.migration(id: "INTEGER PRIMARY KEY AUTOINCREMENT"))
        }
        migrator.registerMigration("v13-dry-runs") { db in
            try db.execute(sql: StoredDryRuns.migration(id: "INTEGER PRIMARY KEY AUTOINCREMENT"))
        }
        migrator.registerMigration("v14-stored-status") { db in
            try db.execute(sql: StoredStatus.column)
            try db.execute(sql: StoredStatus.sqliteTriggers)
        }
        migrator.registerMigration("v15-kubernetes-runs") { db in
            try db.execute(sql: StoredSQL.kubernetesRunMigration)
        }
        migrator.registerMigration("v16-text-search") { db in
            try db.execute(sql: StoredTextSearch.sqliteMigration)
        }
        migrator.registerMigration("v17-status-counts") { db in
            try db.execute(sql: StoredStatusCounts.sqliteMigration)
        }
        migrator.registerMigration("v18-status-by-pipeline") { db in
            try db.execute(sql: StoredStatus.sqliteTriggersReplaced)
        }
        // The status triggers again: they write the row only when the status changes.
        migrator.registerMigration("v19-status-written-when-changed") { db in
            try db.execute(sql: StoredStatus.sqliteTriggersReplaced)
        }
        // The stage-insert trigger runs only when the stage can change the status (not for the
        // queued PROCESS stage of every new pipeline).
        migrator.registerMigration("v20-status-insert-guarded") { db in
            try db.execute(sql: StoredStatus.sqliteTriggersReplaced)
        }
        migrator.registerMigration("v21-deliveries-numbered") { db in
            try db.execute(sql: deliveriesNumbered)
        }
        // Two indexes every intake wrote and no query needs: the expired-lease scan reads the
        // few running stages through `stages_runnable` (state first), and a script's latest
        // pipeline is found through the unique (repository, script path, commit) index, which
        // holds the few pipelines of one script.
        migrator.registerMigration("v22-fewer-intake-indexes") { db in
            try db.execute(sql: "DROP INDEX IF EXISTS stages_leases; DROP INDEX IF EXISTS pipelines_by_script")
        }
        migrator.registerMigration("v23-execution-limits") { db in
            try db.execute(sql: "ALTER TABLE executions ADD COLUMN stopped_by TEXT;")
        }
        return migrator
    }

    /// Deliveries get an increasing number (`seq`, an explicit INTEGER PRIMARY KEY, which
    /// `VACUUM` keeps), and `delivery_pipelines` is keyed by it instead of by the delivery's
    /// random GitHub id: each new delivery's rows then go at the end of that table, where the
    /// random key put each into a leaf page of its own — one more page written to the WAL per
    /// delivery at intake. `seq` is never shown; deliveries are still found by their GitHub id.
    static let deliveriesNumbered = """
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
        );
        INSERT INTO deliveries_numbered (seq, id, event, repository, ref, head_commit, sender, outcome, reason, received_at)
            SELECT rowid, id, event, repository, ref, head_commit, sender, outcome, reason, received_at FROM deliveries ORDER BY rowid;
        CREATE TABLE delivery_pipelines_numbered (
            delivery_seq INTEGER NOT NULL REFERENCES deliveries(seq),
            pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (delivery_seq, pipeline_id)
        ) WITHOUT ROWID;
        INSERT INTO delivery_pipelines_numbered (delivery_seq, pipeline_id, position)
            SELECT d.seq, dp.pipeline_id, dp.position FROM delivery_pipelines dp JOIN deliveries_numbered d ON d.id = dp.delivery_id;
        DROP TABLE delivery_pipelines;
        DROP TABLE deliveries;
        ALTER TABLE deliveries_numbered RENAME TO deliveries;
        ALTER TABLE delivery_pipelines_numbered RENAME TO delivery_pipelines;
        CREATE INDEX deliveries_received ON deliveries(received_at);
        """
}
