import JobrunnerStore
/// `jobrunner_claim` and `jobrunner_complete`: a claim and a completion as server-side
/// functions, so each is one round trip and PostgreSQL plans their statements once per
/// connection instead of on every call (`bench/`: an EXECUTE claim took nine round trips,
/// and planning was a large part of the server's time).
///
/// It does what the claim always did: the oldest runnable stage, `FOR UPDATE SKIP LOCKED`; for
/// an EXECUTE, the repository's advisory lock and then the rule checked again by a new
/// statement — in a VOLATILE PL/pgSQL function under READ COMMITTED each statement takes a
/// fresh snapshot, so the re-check sees every EXECUTE another node claimed before it got the
/// lock; a candidate that fails it is passed over (at most four). The lock and the row lock
/// last until the calling statement's transaction commits. The function embeds
/// `StoredSQL.executeRunnable`; migrations install it as frozen text, so changing that rule
/// means a new migration that replaces the function (`InstalledRuleSQLTests` fails until then).
enum PostgresFunctions {
    static let claim = """
        CREATE OR REPLACE FUNCTION jobrunner_claim(
            p_owner TEXT, p_kinds TEXT[], p_now DOUBLE PRECISION, p_expires DOUBLE PRECISION, p_lock_class INTEGER)
        RETURNS TABLE (claimed_stage BIGINT, claimed_kind TEXT, claimed_attempt BIGINT, claimed_pipeline BIGINT)
        LANGUAGE plpgsql VOLATILE AS $$
        #variable_conflict use_column
        DECLARE
            candidate RECORD;
            passed_over BIGINT[] := '{}';
            runnable BOOLEAN;
        BEGIN
            LOOP
                SELECT s.id, s.kind, s.repository INTO candidate FROM stages s
                WHERE s.state = 'queued' AND s.run_after <= p_now AND s.kind = ANY (p_kinds)
                  AND NOT (s.id = ANY (passed_over))
                  AND (s.kind <> 'execute' OR \(StoredSQL.executeRunnable))
                ORDER BY s.run_after, s.pipeline_id, s.id
                LIMIT 1
                FOR UPDATE OF s SKIP LOCKED;
                IF NOT FOUND THEN
                    RETURN;
                END IF;
                IF candidate.kind = 'execute' THEN
                    PERFORM pg_advisory_xact_lock(p_lock_class, hashtext(candidate.repository));
                    SELECT \(StoredSQL.executeRunnable) INTO runnable FROM stages s WHERE s.id = candidate.id;
                    IF NOT runnable THEN
                        passed_over := passed_over || candidate.id;
                        IF cardinality(passed_over) >= 4 THEN
                            RETURN;
                        END IF;
                        CONTINUE;
                    END IF;
                END IF;
                RETURN QUERY
                    WITH claimed AS (
                        UPDATE stages
                        SET state = 'running', attempt = stages.attempt + 1, lease_owner = p_owner,
                            lease_expires_at = p_expires, started_at = p_now, finished_at = NULL,
                            cancel_requested_by = NULL, cancel_requested_at = NULL
                        WHERE stages.id = candidate.id
                        RETURNING stages.id, stages.kind, stages.attempt, stages.pipeline_id),
                    recorded AS (
                        INSERT INTO stage_attempts (stage_id, attempt, worker, started_at, outcome)
                        SELECT c.id, c.attempt, p_owner, p_now, 'running' FROM claimed c)
                    SELECT c.id, c.kind, c.attempt, c.pipeline_id FROM claimed c;
                RETURN;
            END LOOP;
        END
        $$
        """

    /// The stage succeeds, its attempt is closed, the next stage is queued and the workers are
    /// told — all or nothing; NULL when the lease is not held (the caller reports it lost).
    static let complete = """
        CREATE OR REPLACE FUNCTION jobrunner_complete(
            p_stage BIGINT, p_owner TEXT, p_attempt BIGINT, p_now DOUBLE PRECISION, p_summary TEXT,
            p_execute_attempts BIGINT, p_cleanup_attempts BIGINT, p_channel TEXT)
        RETURNS TEXT
        LANGUAGE plpgsql VOLATILE AS $$
        DECLARE
            held RECORD;
        BEGIN
            UPDATE stages SET state = 'succeeded', finished_at = p_now, lease_owner = NULL,
                lease_expires_at = NULL, summary = p_summary
            WHERE id = p_stage AND state = 'running' AND lease_owner = p_owner AND attempt = p_attempt
            RETURNING id, pipeline_id, repository, kind INTO held;
            IF NOT FOUND THEN
                RETURN NULL;
            END IF;
            UPDATE stage_attempts SET finished_at = p_now, outcome = 'succeeded', error = NULL
            WHERE stage_id = p_stage AND attempt = p_attempt AND outcome = 'running';
            IF held.kind <> 'cleanup' THEN
                INSERT INTO stages (pipeline_id, repository, kind, state, attempt, max_attempts, run_after, created_at)
                VALUES (held.pipeline_id, held.repository,
                        CASE held.kind WHEN 'process' THEN 'execute' ELSE 'cleanup' END, 'queued', 0,
                        CASE held.kind WHEN 'process' THEN p_execute_attempts ELSE p_cleanup_attempts END,
                        p_now, p_now);
            END IF;
            -- A next stage is work; a finished pipeline may free its repository's next EXECUTE.
            PERFORM pg_notify(p_channel, '');
            RETURN held.kind;
        END
        $$
        """
}
