import JobrunnerCore

/// The status rule (`PipelineStatus.rule`) as the SQL the database's triggers run: a pipeline's
/// status is a stored, indexed column (`pipelines.status`) kept by triggers in the database
/// itself, so no write path can forget it. Migrations install this SQL as frozen text;
/// changing the rule means a new migration that installs what this generates
/// (`InstalledRuleSQLTests` fails and prints it until then).
package enum StoredStatus {
    /// The writes that can change a status: (trigger name, table and event, how the row names
    /// its pipeline, and — SQLite only — when the trigger need not run at all).
    package static let writes: [(name: String, on: String, pipeline: String, when: String?)] = [
        ("stages_status_insert", "AFTER INSERT ON stages", "NEW.pipeline_id", StoredSQL.insertedStageCanChangeStatus(new: "NEW")),
        ("stages_status_update", "AFTER UPDATE OF state ON stages", "NEW.pipeline_id", nil),
        ("executions_status_insert", "AFTER INSERT ON executions", "NEW.pipeline_id", nil),
        ("executions_status_update", "AFTER UPDATE OF outcome ON executions", "NEW.pipeline_id", nil),
        ("pipelines_marks_status", "AFTER UPDATE OF superseded_by, discarded_at ON pipelines", "NEW.id", nil),
    ]

    /// SQLite's triggers, one per write.
    package static let sqliteTriggers = writes.map(sqliteTrigger).joined(separator: "\n")

    /// The SQLite trigger for the write named `name`, as today's rule makes it.
    package static func sqliteTrigger(named name: String) -> String? {
        writes.first { $0.name == name }.map(sqliteTrigger)
    }

    private static func sqliteTrigger(_ write: (name: String, on: String, pipeline: String, when: String?)) -> String {
        """
        CREATE TRIGGER \(write.name) \(write.on)\(write.when.map { " WHEN " + $0 } ?? "") BEGIN
            \(StoredSQL.refreshStatus(of: write.pipeline));
        END;
        """
    }

    /// SQLite: the triggers again, with the status SQL as it is now (a migration that replaces
    /// the ones an earlier version installed).
    package static let sqliteTriggersReplaced = writes.map { "DROP TRIGGER IF EXISTS \($0.name);" }.joined(separator: "\n")
        + "\n" + sqliteTriggers

    /// A PostgreSQL trigger function (one statement) refreshing the pipeline `pipeline` names.
    package static func postgresFunction(_ name: String, pipeline: String) -> String {
        """
        CREATE OR REPLACE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            \(StoredSQL.refreshStatus(of: pipeline));
            RETURN NULL;
        END $$
        """
    }

    /// For rows that name their pipeline (stages, executions).
    package static let postgresChildFunction = postgresFunction("jobrunner_refresh_status_of_child", pipeline: "NEW.pipeline_id")

    /// For a pipeline whose marks changed.
    package static let postgresPipelineFunction = postgresFunction("jobrunner_refresh_status_of_pipeline", pipeline: "NEW.id")

    /// PostgreSQL (v27): the stage trigger split in two, the insert one guarded as on SQLite. A
    /// trigger's WHEN cannot ask PostgreSQL about other rows, so the guard leaves out the marks
    /// (`marksAsked: false`): it lets a few more inserts through to the function, which derives
    /// the status as always. The queued PROCESS stage of every new pipeline no longer runs it:
    /// at a million pipelines each pooled connection planned the whole rule afresh for its first
    /// five runs of the function (~1 ms each), which made intake 10-20 % slower than on an empty
    /// database.
    package static let postgresStageTriggersGuarded = """
        DROP TRIGGER IF EXISTS stages_status ON stages;
        CREATE TRIGGER stages_status_insert AFTER INSERT ON stages
            FOR EACH ROW WHEN (\(StoredSQL.insertedStageCanChangeStatus(new: "NEW", marksAsked: false)))
            EXECUTE FUNCTION jobrunner_refresh_status_of_child();
        CREATE TRIGGER stages_status_update AFTER UPDATE OF state ON stages
            FOR EACH ROW EXECUTE FUNCTION jobrunner_refresh_status_of_child()
        """
}

extension StoredSQL {
    /// Whether inserting the stage `new` can change its pipeline's status, from
    /// `PipelineStatus.rule`: every condition only asks whether some stage, mark or script run
    /// exists, so adding a stage can make a condition true only through a stage term it
    /// matches, and only if the marks the same condition also requires are set. Nothing else
    /// can turn a status the triggers kept right into another one. Every new pipeline's
    /// PROCESS stage is inserted `queued`, which no such term of the rule matches unless the
    /// pipeline is discarded: intake skips the status refresh (two evaluations of the whole
    /// rule) without a rule of its own.
    ///
    /// `marksAsked: false` leaves the marks out (where SQL may not read other rows): a superset.
    package static func insertedStageCanChangeStatus(new: String, marksAsked: Bool = true) -> String {
        // Each stage term the new stage may match, with the mark sets that must come with it
        // (none: the match alone suffices).
        var needs: [(match: String, marks: [[String]])] = []
        for entry in PipelineStatus.rule {
            let terms = entry.condition.conjunction
            let marks = terms.filter { if case .marked = $0 { true } else { false } }.map(sql)
            for term in terms {
                let match: String
                switch term {
                case .anyStage(let state): match = "\(new).state = '\(state.rawValue)'"
                case .stage(let kind, let state): match = "\(new).kind = '\(kind.rawValue)' AND \(new).state = '\(state.rawValue)'"
                case .marked, .scriptEnded, .both: continue
                }
                if let index = needs.firstIndex(where: { $0.match == match }) {
                    needs[index].marks.append(marks)
                } else {
                    needs.append((match, [marks]))
                }
            }
        }
        let clauses = needs.map { need -> String in
            if need.marks.contains(where: \.isEmpty) || !marksAsked { return "(\(need.match))" }
            let marks = need.marks.map { $0.joined(separator: " AND ") }.joined(separator: " OR ")
            return "(\(need.match) AND EXISTS (SELECT 1 FROM pipelines p WHERE p.id = \(new).pipeline_id AND (\(marks))))"
        }
        return clauses.isEmpty ? "FALSE" : "(" + clauses.joined(separator: " OR ") + ")"
    }
}

extension StageCondition {
    /// The terms this condition requires all at once (`both` flattened).
    package var conjunction: [StageCondition] {
        if case .both(let first, let second) = self { return first.conjunction + second.conjunction }
        return [self]
    }
}
