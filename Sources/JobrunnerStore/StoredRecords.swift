import Foundation
import JobrunnerCore

/// Decoding of stored rows into domain records, for both drivers. Column lists live next to
/// their decoders so a query and the decoder it feeds cannot drift apart.
package enum StoredRecords {
    package static let pipelineColumns = """
        p.id AS p_id, p.repository AS p_repository, p.branch AS p_branch,
        p.script_path AS p_script_path, p.commit_sha AS p_commit_sha, p.blob_sha AS p_blob_sha,
        p.pusher AS p_pusher, p.pull_request AS p_pull_request, p.author AS p_author,
        p.delivery_id AS p_delivery_id, p.created_at AS p_created_at,
        p.supersedes AS p_supersedes, p.superseded_by AS p_superseded_by, p.discarded_by AS p_discarded_by,
        p.discarded_at AS p_discarded_at, p.discard_reason AS p_discard_reason,
        p.discard_may_have_run AS p_discard_may_have_run
        """

    package static func pipeline(_ row: some StoredRow) throws -> PipelineRecord {
        let repositoryText = try row.string("p_repository")
        guard let repository = RepositoryName(rawValue: repositoryText) else {
            throw StoredRowError(description: "stored repository name is invalid: \(repositoryText)")
        }
        let supersedes: Int64? = try row.optionalInt64("p_supersedes")
        let supersededBy: Int64? = try row.optionalInt64("p_superseded_by")
        let discard: PipelineDiscard? = try Self.discard(row)
        return PipelineRecord(
            id: PipelineID(try row.int64("p_id")),
            source: NewPipeline(
                repository: repository,
                branch: try row.string("p_branch"),
                scriptPath: try row.string("p_script_path"),
                commit: try row.string("p_commit_sha"),
                blob: try row.optionalString("p_blob_sha"),
                pusher: try row.optionalString("p_pusher"),
                pullRequest: try row.optionalInt("p_pull_request"),
                author: try row.optionalString("p_author")
            ),
            deliveryID: DeliveryID(try row.string("p_delivery_id")),
            createdAt: try row.date("p_created_at"),
            supersedes: supersedes.map { PipelineID($0) },
            supersededBy: supersededBy.map { PipelineID($0) },
            discard: discard
        )
    }

    package static func discard(_ row: some StoredRow) throws -> PipelineDiscard? {
        guard let by = try row.optionalString("p_discarded_by"), let at = try row.optionalDate("p_discarded_at") else {
            return nil
        }
        return PipelineDiscard(
            operatorName: by, at: at, reason: try row.optionalString("p_discard_reason") ?? "",
            mayHaveRun: (try row.optionalInt64("p_discard_may_have_run") ?? 0) != 0)
    }

    package static func stage(_ row: some StoredRow) throws -> StageRecord {
        let kindText = try row.string("kind")
        let stateText = try row.string("state")
        guard let kind = StageKind(rawValue: kindText), let state = StageState(rawValue: stateText) else {
            throw StoredRowError(description: "stored stage has unknown kind or state: \(kindText)/\(stateText)")
        }
        return StageRecord(
            id: StageID(try row.int64("id")),
            pipelineID: PipelineID(try row.int64("pipeline_id")),
            kind: kind,
            state: state,
            attempt: try row.int("attempt"),
            maxAttempts: try row.int("max_attempts"),
            runAfter: try row.date("run_after"),
            leaseOwner: try row.optionalString("lease_owner"),
            leaseExpiresAt: try row.optionalDate("lease_expires_at"),
            createdAt: try row.date("created_at"),
            startedAt: try row.optionalDate("started_at"),
            finishedAt: try row.optionalDate("finished_at"),
            lastError: try row.optionalString("last_error"),
            summary: try row.optionalString("summary"),
            cancelRequestedBy: try row.optionalString("cancel_requested_by"),
            cancelRequestedAt: try row.optionalDate("cancel_requested_at"),
            waitReason: try row.optionalString("wait_reason"),
            waitingSince: try row.optionalDate("waiting_since")
        )
    }

    /// A `stage_attempts` row joined with its stage's `kind`.
    package static func attempt(_ row: some StoredRow) throws -> AttemptRecord {
        let kindText = try row.string("kind")
        let outcomeText = try row.string("outcome")
        guard let kind = StageKind(rawValue: kindText), let outcome = AttemptOutcome(rawValue: outcomeText) else {
            throw StoredRowError(description: "stored attempt has unknown kind or outcome: \(kindText)/\(outcomeText)")
        }
        return AttemptRecord(
            id: try row.int64("id"),
            stageID: StageID(try row.int64("stage_id")),
            kind: kind,
            attempt: try row.int("attempt"),
            worker: try row.string("worker"),
            startedAt: try row.date("started_at"),
            finishedAt: try row.optionalDate("finished_at"),
            outcome: outcome,
            error: try row.optionalString("error")
        )
    }

    package static func operatorAction(_ row: some StoredRow) throws -> OperatorAction {
        let actionText = try row.string("action")
        guard let kind = OperatorAction.Kind(rawValue: actionText) else {
            throw StoredRowError(description: "stored operator action is unknown: \(actionText)")
        }
        return OperatorAction(
            id: try row.int64("id"),
            pipelineID: PipelineID(try row.int64("pipeline_id")),
            stageID: try row.optionalInt64("stage_id").map(StageID.init(rawValue:)),
            stageKind: try row.optionalString("stage_kind").flatMap(StageKind.init(rawValue:)),
            kind: kind,
            operatorName: try row.string("operator"),
            at: try row.date("at"),
            reason: try row.optionalString("reason")
        )
    }

    package static func delivery(_ row: some StoredRow, pipelineIDs: [PipelineID]) throws -> DeliveryRecord {
        let outcomeText = try row.string("outcome")
        guard let outcome = DeliveryOutcome(rawValue: outcomeText) else {
            throw StoredRowError(description: "stored delivery outcome is unknown: \(outcomeText)")
        }
        return DeliveryRecord(
            delivery: NewDelivery(
                id: DeliveryID(try row.string("id")),
                event: try row.string("event"),
                repository: try row.optionalString("repository"),
                ref: try row.optionalString("ref"),
                headCommit: try row.optionalString("head_commit"),
                sender: try row.optionalString("sender"),
                outcome: outcome,
                reason: try row.optionalString("reason")
            ),
            receivedAt: try row.date("received_at"),
            pipelineIDs: pipelineIDs
        )
    }

    package static func artifact(_ row: some StoredRow) throws -> Artifact {
        let command = try JSONDecoder().decode([String].self, from: Data(try row.string("run_command").utf8))
        return Artifact(
            toolchain: try row.string("toolchain"), toolchainVersion: try row.string("toolchain_version"),
            fileName: try row.string("file_name"), runCommand: command, content: try row.bytes("content"),
            digest: try row.string("digest"), sourceDigest: try row.string("source_digest"),
            buildDuration: .milliseconds(Int64(try row.double("build_seconds") * 1000)),
            isText: try row.bool("is_text"),
            timeout: try row.optionalDouble("timeout_seconds").map { .milliseconds(Int64($0 * 1000)) },
            source: try row.bytes("source"),
            approval: try row.optionalString("approval").map {
                try JSONDecoder().decode(PullRequestApproval.self, from: Data($0.utf8))
            })
    }

    /// How an artifact's run command and approval are stored: JSON text.
    package static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    package static func execution(_ row: some StoredRow) throws -> ExecutionRecord {
        ExecutionRecord(
            id: try row.int64("id"), pipelineID: PipelineID(try row.int64("pipeline_id")), attempt: try row.int("attempt"),
            startedAt: try row.date("started_at"), finishedAt: try row.optionalDate("finished_at"),
            outcome: ExecutionOutcome(rawValue: try row.string("outcome")) ?? .running,
            exitCode: try row.optionalInt32("exit_code"), signal: try row.optionalInt32("signal"), timedOut: try row.bool("timed_out"),
            stdout: try row.bytes("stdout"), stderr: try row.bytes("stderr"),
            stdoutBytes: try row.int("stdout_bytes"), stderrBytes: try row.int("stderr_bytes"),
            stdoutTruncated: try row.bool("stdout_truncated"), stderrTruncated: try row.bool("stderr_truncated"),
            application: try row.optionalString("app_dir").map { directory in
                ApplicationFacts(
                    directory: directory, revision: try row.optionalString("app_revision"),
                    lockfile: try row.optionalString("app_lockfile"), lockfileDigest: try row.optionalString("app_lockfile_digest"),
                    kubernetes: StoredSQL.kubernetesFacts(try row.optionalString("app_kubernetes")))
            },
            progress: try row.optionalDouble("progress_done").map { done in
                ProgressReport(
                    done: done, total: try row.optionalDouble("progress_total"), unit: try row.optionalString("progress_unit"),
                    firstDone: try row.optionalDouble("progress_first_done") ?? done,
                    firstAt: Date(timeIntervalSince1970: try row.optionalDouble("progress_first_at") ?? 0),
                    at: Date(timeIntervalSince1970: try row.optionalDouble("progress_at") ?? 0))
            },
            stoppedBy: try row.optionalString("stopped_by").flatMap(RunLimit.init(rawValue:)))
    }

    /// A row of `StoredSQL.latestScripts`.
    package static func script(_ row: some StoredRow) throws -> (PipelineID, ScriptResult) {
        (
            PipelineID(try row.int64("pipeline_id")),
            ScriptResult(
                outcome: ExecutionOutcome(rawValue: try row.string("outcome")) ?? .running, exitCode: try row.optionalInt32("exit_code"),
                signal: try row.optionalInt32("signal"))
        )
    }

    package static func feedback(_ row: some StoredRow) throws -> FeedbackRecord {
        FeedbackRecord(
            pipelineID: PipelineID(try row.int64("pipeline_id")), channel: try row.string("channel"),
            event: try row.string("event"), target: try row.string("target"), error: try row.optionalString("error"),
            at: try row.date("at"))
    }
}

/// SQL both drivers share.
package enum StoredSQL {
    /// `PipelineStatus.rule` as SQL over pipelines `p`, so lists can filter and page by status.
    /// Generated from the rule, never written by hand; the conformance suite checks that both
    /// agree for every combination of stage states.
    package static let statusExpression: String = {
        let branches = PipelineStatus.rule.map { entry in
            "WHEN \(sql(entry.condition)) THEN '\(entry.status.rawValue)'"
        }
        return "CASE " + branches.joined(separator: " ") + " ELSE '\(PipelineStatus.otherwise.rawValue)' END"
    }()

    /// The stored status (`pipelines.status`), kept equal to `statusExpression` by triggers on
    /// every write that can change it — stages (insert, state), executions (insert, outcome) and
    /// the pipeline's marks — so filters and counts read an indexed column instead of deriving
    /// the status of every pipeline. Each driver installs the triggers (`StoredStatus`); the
    /// agreement suite checks the column against Core for every combination.
    ///
    /// The row is written only when its status changes: most writes that can change a status
    /// do not (the PROCESS stage inserted with a new pipeline leaves it `queued`), and rewriting
    /// the row rewrote both status indexes for nothing (SQLite) or left a dead row version
    /// behind (PostgreSQL). The expression is never NULL (its CASE has an ELSE), so `<>` is exact.
    package static func refreshStatus(of pipeline: String) -> String {
        let derived = "(SELECT \(statusExpression) FROM pipelines p WHERE p.id = pipelines.id)"
        return "UPDATE pipelines SET status = \(derived) WHERE id = \(pipeline) AND status <> \(derived)"
    }

    /// A status condition as SQL over pipelines `p`. The state is compared as `x.state || ''`
    /// so no index on the state can serve it: the stages are found by their pipeline (three at
    /// most). SQLite, which keeps no statistics unless asked, otherwise chose the stage-state
    /// index and read every stage in that state, for every status refresh — intake and claims
    /// slowed down as the history grew.
    package static func sql(_ condition: StageCondition) -> String {
        switch condition {
        case .anyStage(let state):
            return "EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = '\(state.rawValue)')"
        case .stage(let kind, let state):
            return "EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = '\(kind.rawValue)' AND x.state || '' = '\(state.rawValue)')"
        case .scriptEnded(let outcomes):
            let list = outcomes.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
            return "COALESCE((\(latestScriptOutcome)) IN (\(list)), FALSE)"
        case .marked(.superseded):
            return "(p.superseded_by IS NOT NULL)"
        case .marked(.discarded):
            return "(p.discarded_at IS NOT NULL)"
        case .both(let first, let second):
            return "(\(sql(first)) AND \(sql(second)))"
        }
    }

    /// The outcome of the latest script run of pipeline `p`.
    package static let latestScriptOutcome = "SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1"

    /// The latest run of each of some pipelines; `%@` is the driver's test for a pipeline id
    /// among them (`IN (?, ?)` or `= ANY($1)`).
    package static let latestScripts = """
        SELECT e.pipeline_id, e.outcome, e.exit_code, e.signal FROM executions e
        WHERE e.id IN (SELECT MAX(x.id) FROM executions x WHERE x.pipeline_id %@ GROUP BY x.pipeline_id)
        """

    /// An EXECUTE `s` may start: no EXECUTE of its repository is running and no earlier pipeline
    /// of that repository still has PROCESS or EXECUTE ahead of it. Stages carry their
    /// pipeline's repository, and the partial index `stages_active_by_repository` holds only
    /// queued and running PROCESS/EXECUTE stages, so this looks at the few stages in flight in
    /// one repository — not at its whole history (which made claims slow down as it grew).
    package static let executeRunnable = """
        NOT EXISTS (
            SELECT 1 FROM stages o
            WHERE o.repository = s.repository AND o.id <> s.id
              AND o.state IN ('queued', 'running') AND o.kind IN ('process', 'execute')
              AND ((o.kind = 'execute' AND o.state = 'running') OR o.pipeline_id < s.pipeline_id))
        """

    /// `KubernetesRunFacts` as stored in `app_kubernetes`.
    package static func kubernetesText(_ facts: KubernetesRunFacts?) -> String? {
        guard let facts, let data = try? JSONEncoder().encode(facts) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    package static func kubernetesFacts(_ text: String?) -> KubernetesRunFacts? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(KubernetesRunFacts.self, from: Data(text.utf8))
    }

    /// The latest pipeline of a script path: what a modifying push is decided against.
    /// `repository` and `path` are the driver's placeholders.
    package static func latestPipelineOfScript(repository: String, path: String) -> String {
        "SELECT \(StoredRecords.pipelineColumns) FROM pipelines p WHERE p.repository = \(repository) AND p.script_path = \(path) ORDER BY p.id DESC LIMIT 1"
    }

    /// A pipeline at rest: no stage queued or running.
    package static let atRest = "NOT EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state IN ('queued', 'running'))"

    /// `text` for a LIKE pattern with `\` as the escape character.
    package static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// The SQL list of stage kinds (`'process', 'execute'`), from the enum — never user input.
    package static func kindList(_ kinds: Set<StageKind>) -> String {
        kinds.sorted().map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }
}
