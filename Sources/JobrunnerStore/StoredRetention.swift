/// The retention rules as SQL both drivers run, so what is pruned cannot differ by driver.
/// A pipeline is prunable when it is at rest and nothing of it happened after the cutoff.
package enum StoredRetention {
    /// Pipelines `p` at rest whose creation and every stage's finish lie before the cutoff
    /// (bound as the placeholder `cutoff`).
    package static func prunableCondition(cutoff: String) -> String {
        """
        \(StoredSQL.atRest) AND p.created_at < \(cutoff)
          AND NOT EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND COALESCE(x.finished_at, x.created_at) >= \(cutoff))
        """
    }

    /// Deletes everything of the pipelines listed in the temporary table or array expression
    /// `ids` (children first, so foreign keys hold at every step).
    package static func deleteStatements(ids: String) -> [String] {
        [
            "DELETE FROM feedback WHERE pipeline_id IN (\(ids))",
            "DELETE FROM outbox WHERE pipeline_id IN (\(ids))",
            "DELETE FROM feedback_comments WHERE pipeline_id IN (\(ids))",
            "DELETE FROM executions WHERE pipeline_id IN (\(ids))",
            "DELETE FROM artifacts WHERE pipeline_id IN (\(ids))",
            "DELETE FROM operator_actions WHERE pipeline_id IN (\(ids))",
            "DELETE FROM stage_attempts WHERE stage_id IN (SELECT id FROM stages WHERE pipeline_id IN (\(ids)))",
            "DELETE FROM stages WHERE pipeline_id IN (\(ids))",
            "DELETE FROM delivery_pipelines WHERE pipeline_id IN (\(ids))",
            "DELETE FROM pipelines WHERE id IN (\(ids))",
        ]
    }

    /// Deliveries older than the cutoff that no pipeline names any more (ignored pushes,
    /// pings, refusals, and the deliveries of pruned pipelines). `listed` is how the driver's
    /// `delivery_pipelines` row `dp` names its delivery (SQLite keys it by `deliveries.seq`).
    package static func orphanedDeliveries(cutoff: String, listed: String) -> String {
        """
        DELETE FROM deliveries WHERE received_at < \(cutoff)
          AND NOT EXISTS (SELECT 1 FROM delivery_pipelines dp WHERE \(listed))
          AND NOT EXISTS (SELECT 1 FROM pipelines q WHERE q.delivery_id = deliveries.id)
        """
    }

    /// Dry runs of pull requests closed before the cutoff, finished before it, then those pull
    /// requests. An open pull request keeps its dry runs (`JOBRUNNER_REQUIRE_DRY_RUN` may need
    /// them once it is merged). `cutoff` is a placeholder usable several times in one statement.
    package static func closedDryRuns(cutoff: String) -> [String] {
        [
            """
            DELETE FROM dry_runs WHERE state NOT IN ('queued', 'running') AND COALESCE(finished_at, created_at) < \(cutoff)
              AND EXISTS (SELECT 1 FROM dry_run_pulls p WHERE p.repository = dry_runs.repository
                          AND p.number = dry_runs.pull_request AND NOT p.is_open AND p.updated_at < \(cutoff))
            """,
            """
            DELETE FROM dry_run_pulls WHERE NOT is_open AND updated_at < \(cutoff)
              AND NOT EXISTS (SELECT 1 FROM dry_runs d WHERE d.repository = dry_run_pulls.repository AND d.pull_request = dry_run_pulls.number)
            """,
        ]
    }
}
