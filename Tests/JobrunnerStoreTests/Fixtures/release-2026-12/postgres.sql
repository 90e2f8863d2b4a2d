--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;


--
-- Name: EXTENSION pg_trgm; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';


--
-- Name: jobrunner_claim(text, text[], double precision, double precision, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.jobrunner_claim(p_owner text, p_kinds text[], p_now double precision, p_expires double precision, p_lock_class integer) RETURNS TABLE(claimed_stage bigint, claimed_kind text, claimed_attempt bigint, claimed_pipeline bigint)
    LANGUAGE plpgsql
    AS $$
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
          AND (s.kind <> 'execute' OR NOT EXISTS (
    SELECT 1 FROM stages o
    WHERE o.repository = s.repository AND o.id <> s.id
      AND o.state IN ('queued', 'running') AND o.kind IN ('process', 'execute')
      AND ((o.kind = 'execute' AND o.state = 'running') OR o.pipeline_id < s.pipeline_id)))
        ORDER BY s.run_after, s.pipeline_id, s.id
        LIMIT 1
        FOR UPDATE OF s SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        IF candidate.kind = 'execute' THEN
            PERFORM pg_advisory_xact_lock(p_lock_class, hashtext(candidate.repository));
            SELECT NOT EXISTS (
    SELECT 1 FROM stages o
    WHERE o.repository = s.repository AND o.id <> s.id
      AND o.state IN ('queued', 'running') AND o.kind IN ('process', 'execute')
      AND ((o.kind = 'execute' AND o.state = 'running') OR o.pipeline_id < s.pipeline_id)) INTO runnable FROM stages s WHERE s.id = candidate.id;
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
$$;


--
-- Name: jobrunner_complete(bigint, text, bigint, double precision, text, bigint, bigint, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.jobrunner_complete(p_stage bigint, p_owner text, p_attempt bigint, p_now double precision, p_summary text, p_execute_attempts bigint, p_cleanup_attempts bigint, p_channel text) RETURNS text
    LANGUAGE plpgsql
    AS $$
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
$$;


--
-- Name: jobrunner_count_status(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.jobrunner_count_status() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pipeline_status_deltas (status, n) VALUES (NEW.status, 1);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pipeline_status_deltas (status, n) VALUES (OLD.status, -1);
    ELSIF OLD.status IS DISTINCT FROM NEW.status THEN
        INSERT INTO pipeline_status_deltas (status, n) VALUES (OLD.status, -1), (NEW.status, 1);
    END IF;
    RETURN NULL;
END $$;


--
-- Name: jobrunner_refresh_status_of_child(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.jobrunner_refresh_status_of_child() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.pipeline_id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
    RETURN NULL;
END $$;


--
-- Name: jobrunner_refresh_status_of_pipeline(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.jobrunner_refresh_status_of_pipeline() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE pipelines SET status = (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id) WHERE id = NEW.id AND status <> (SELECT CASE WHEN (p.superseded_by IS NOT NULL) THEN 'superseded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running')) THEN 'running' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'failed')) THEN 'failed' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'discarded' WHEN ((p.discarded_at IS NOT NULL) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'queued')) THEN 'queued' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'cancelled') THEN 'cancelled' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'running') THEN 'running' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'failed') THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.state || '' = 'interrupted') THEN 'interrupted' WHEN (COALESCE((SELECT e.outcome FROM executions e WHERE e.pipeline_id = p.id ORDER BY e.id DESC LIMIT 1) IN ('failed', 'killed', 'timed-out'), FALSE) AND EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded')) THEN 'failed' WHEN EXISTS (SELECT 1 FROM stages x WHERE x.pipeline_id = p.id AND x.kind = 'cleanup' AND x.state || '' = 'succeeded') THEN 'succeeded' ELSE 'queued' END FROM pipelines p WHERE p.id = pipelines.id);
    RETURN NULL;
END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: artifacts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.artifacts (
    pipeline_id bigint NOT NULL,
    toolchain text NOT NULL,
    toolchain_version text NOT NULL,
    file_name text NOT NULL,
    run_command text NOT NULL,
    content bytea NOT NULL,
    digest text NOT NULL,
    source_digest text NOT NULL,
    build_seconds double precision NOT NULL,
    is_text boolean NOT NULL,
    timeout_seconds double precision,
    built_at double precision NOT NULL,
    source bytea DEFAULT '\x'::bytea NOT NULL,
    approval text
);


--
-- Name: deliveries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.deliveries (
    id text NOT NULL,
    event text NOT NULL,
    repository text,
    ref text,
    head_commit text,
    sender text,
    outcome text NOT NULL,
    reason text,
    received_at double precision NOT NULL
);


--
-- Name: delivery_pipelines; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.delivery_pipelines (
    delivery_id text NOT NULL,
    pipeline_id bigint NOT NULL,
    "position" bigint NOT NULL
);


--
-- Name: dry_run_pulls; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dry_run_pulls (
    repository text NOT NULL,
    number bigint NOT NULL,
    head_commit text NOT NULL,
    is_open boolean NOT NULL,
    status text,
    title text,
    url text,
    comment_id bigint,
    comment_url text,
    evaluate_at double precision,
    evaluation_attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    report_version integer DEFAULT 0 NOT NULL,
    reported_version integer DEFAULT 0 NOT NULL,
    report_at double precision,
    report_attempts integer DEFAULT 0 NOT NULL,
    lease_owner text,
    lease_expires_at double precision,
    claimed_at double precision,
    updated_at double precision NOT NULL
);


--
-- Name: dry_runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dry_runs (
    id bigint NOT NULL,
    repository text NOT NULL,
    pull_request bigint NOT NULL,
    head_commit text NOT NULL,
    script_path text NOT NULL,
    blob text NOT NULL,
    approvers text DEFAULT '[]'::text NOT NULL,
    state text DEFAULT 'queued'::text NOT NULL,
    outdated boolean DEFAULT false NOT NULL,
    created_at double precision NOT NULL,
    started_at double precision,
    finished_at double precision,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at double precision NOT NULL,
    lease_owner text,
    lease_expires_at double precision,
    outcome text,
    exit_code integer,
    signal integer,
    stdout text DEFAULT ''::text NOT NULL,
    stderr text DEFAULT ''::text NOT NULL,
    stdout_truncated boolean DEFAULT false NOT NULL,
    stderr_truncated boolean DEFAULT false NOT NULL,
    progress text,
    error text,
    artifact_digest text
);


--
-- Name: dry_runs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.dry_runs ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.dry_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: executions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.executions (
    id bigint NOT NULL,
    pipeline_id bigint NOT NULL,
    attempt bigint NOT NULL,
    started_at double precision NOT NULL,
    finished_at double precision,
    outcome text NOT NULL,
    exit_code bigint,
    signal bigint,
    timed_out boolean DEFAULT false NOT NULL,
    stdout bytea DEFAULT '\x'::bytea NOT NULL,
    stderr bytea DEFAULT '\x'::bytea NOT NULL,
    stdout_bytes bigint DEFAULT 0 NOT NULL,
    stderr_bytes bigint DEFAULT 0 NOT NULL,
    stdout_truncated boolean DEFAULT false NOT NULL,
    stderr_truncated boolean DEFAULT false NOT NULL,
    app_dir text,
    app_revision text,
    app_lockfile text,
    app_lockfile_digest text,
    progress_done double precision,
    progress_total double precision,
    progress_unit text,
    progress_first_done double precision,
    progress_first_at double precision,
    progress_at double precision,
    app_kubernetes text,
    stopped_by text
);


--
-- Name: executions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.executions ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.executions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: feedback; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.feedback (
    id bigint NOT NULL,
    pipeline_id bigint NOT NULL,
    channel text NOT NULL,
    event text NOT NULL,
    target text NOT NULL,
    error text,
    at double precision NOT NULL
);


--
-- Name: feedback_comments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.feedback_comments (
    pipeline_id bigint NOT NULL,
    repository text NOT NULL,
    issue bigint NOT NULL,
    comment_id bigint NOT NULL,
    url text NOT NULL,
    edited_at double precision NOT NULL,
    body_digest text
);


--
-- Name: feedback_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.feedback ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.feedback_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: jobrunner_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.jobrunner_migrations (
    identifier text NOT NULL,
    applied_at double precision NOT NULL
);


--
-- Name: operator_actions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.operator_actions (
    id bigint NOT NULL,
    pipeline_id bigint NOT NULL,
    stage_id bigint,
    stage_kind text,
    action text NOT NULL,
    operator text NOT NULL,
    at double precision NOT NULL,
    reason text
);


--
-- Name: operator_actions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.operator_actions ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.operator_actions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: outbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outbox (
    id bigint NOT NULL,
    pipeline_id bigint NOT NULL,
    event_name text NOT NULL,
    event text NOT NULL,
    created_at double precision NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at double precision NOT NULL,
    last_error text,
    remaining text,
    settled_at double precision,
    lease_owner text,
    lease_expires_at double precision
);


--
-- Name: outbox_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.outbox ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: pipeline_status_deltas; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pipeline_status_deltas (
    status text NOT NULL,
    n bigint NOT NULL
);


--
-- Name: pipelines; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pipelines (
    id bigint NOT NULL,
    repository text NOT NULL,
    branch text NOT NULL,
    script_path text NOT NULL,
    commit_sha text NOT NULL,
    blob_sha text,
    pusher text,
    pull_request bigint,
    author text,
    delivery_id text NOT NULL,
    created_at double precision NOT NULL,
    supersedes bigint,
    superseded_by bigint,
    discarded_by text,
    discarded_at double precision,
    discard_reason text,
    discard_may_have_run integer,
    status text DEFAULT 'queued'::text NOT NULL
);


--
-- Name: pipelines_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.pipelines ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.pipelines_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: stage_attempts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.stage_attempts (
    id bigint NOT NULL,
    stage_id bigint NOT NULL,
    attempt bigint NOT NULL,
    worker text NOT NULL,
    started_at double precision NOT NULL,
    finished_at double precision,
    outcome text NOT NULL,
    error text
);


--
-- Name: stage_attempts_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.stage_attempts ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.stage_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: stages; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.stages (
    id bigint NOT NULL,
    pipeline_id bigint NOT NULL,
    kind text NOT NULL,
    state text NOT NULL,
    attempt bigint DEFAULT 0 NOT NULL,
    max_attempts bigint NOT NULL,
    run_after double precision NOT NULL,
    lease_owner text,
    lease_expires_at double precision,
    created_at double precision NOT NULL,
    started_at double precision,
    finished_at double precision,
    last_error text,
    summary text,
    cancel_requested_by text,
    cancel_requested_at double precision,
    repository text,
    wait_reason text,
    waiting_since double precision,
    CONSTRAINT stages_kind_check CHECK ((kind = ANY (ARRAY['process'::text, 'execute'::text, 'cleanup'::text]))),
    CONSTRAINT stages_state_check CHECK ((state = ANY (ARRAY['queued'::text, 'running'::text, 'succeeded'::text, 'failed'::text, 'interrupted'::text, 'cancelled'::text])))
);


--
-- Name: stages_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.stages ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.stages_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Data for Name: artifacts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.artifacts VALUES (1, 'bash', '5.2', 'script.sh', '["bash","{file}"]', '\x00ff0ae282', 'sha256:abc', 'sha256:def', 1.5, false, 90, 1790000007, '\x6563686f2068690a', '{"url":"https:\/\/github.com\/acme\/ops\/pull\/7","number":7,"mergedBy":"carol","requiredApprovals":1,"title":"Add a script","author":"alice","approvers":["bob"]}');


--
-- Data for Name: deliveries; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.deliveries VALUES ('delivery-1', 'push', 'acme/ops', 'refs/heads/main', 'c0ffee', 'octocat', 'accepted', NULL, 1790000000);
INSERT INTO public.deliveries VALUES ('delivery-2', 'push', 'acme/billing', 'refs/heads/main', 'c0ffee', 'octocat', 'accepted', NULL, 1790000021);
INSERT INTO public.deliveries VALUES ('delivery-3', 'push', 'acme/search', 'refs/heads/main', 'c0ffee', 'octocat', 'accepted', NULL, 1790000042);
INSERT INTO public.deliveries VALUES ('delivery-4', 'push', 'acme/search', 'refs/heads/main', 'c0ffee', 'octocat', 'accepted', NULL, 1790000042);
INSERT INTO public.deliveries VALUES ('delivery-5', 'push', 'acme/ops', 'refs/heads/main', 'c0ffee', 'octocat', 'accepted', NULL, 1790000042);
INSERT INTO public.deliveries VALUES ('delivery-6', 'push', 'acme/ops', 'refs/heads/main', 'c0ffee', 'octocat', 'ignored', NULL, 1790000049);
INSERT INTO public.deliveries VALUES ('delivery-7', 'push', 'other/repo', 'refs/heads/main', 'c0ffee', 'octocat', 'failed', NULL, 1790000049);
INSERT INTO public.deliveries VALUES ('delivery-8', 'pull_request', 'acme/ops', NULL, NULL, NULL, 'accepted', NULL, 1790000049);


--
-- Data for Name: delivery_pipelines; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.delivery_pipelines VALUES ('delivery-1', 1, 0);
INSERT INTO public.delivery_pipelines VALUES ('delivery-2', 2, 0);
INSERT INTO public.delivery_pipelines VALUES ('delivery-3', 3, 0);
INSERT INTO public.delivery_pipelines VALUES ('delivery-4', 4, 0);
INSERT INTO public.delivery_pipelines VALUES ('delivery-5', 5, 0);
INSERT INTO public.delivery_pipelines VALUES ('delivery-5', 6, 1);
INSERT INTO public.delivery_pipelines VALUES ('delivery-5', 7, 2);


--
-- Data for Name: dry_run_pulls; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.dry_run_pulls VALUES ('acme/ops', 21, 'dddddddddddddddddddddddddddddddddddddddd', true, 'dry-running', 'Backfill refunds', 'https://github.com/acme/ops/pull/21', 9001, 'https://github.com/acme/ops/pull/21#issuecomment-9001', NULL, 0, NULL, 3, 0, NULL, 0, NULL, NULL, 1790000049, 1790000049);


--
-- Data for Name: dry_runs; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.dry_runs VALUES (1, 'acme/ops', 21, 'dddddddddddddddddddddddddddddddddddddddd', 'jobs/backfill_refunds.py', 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', '["bob"]', 'finished', false, 1790000049, 1790000049, 1790000056, 0, 1790000049, NULL, NULL, 'succeeded', 0, NULL, 'would refund 3 orders
', '', false, false, NULL, NULL, NULL);


--
-- Data for Name: executions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.executions VALUES (1, 1, 1, 1790000007, 1790000014, 'succeeded', 0, NULL, false, '\x7570646174656420343020726f77730a', '\x7761726e696e673a20736c6f770a', 16, 14, false, false, '/srv/app', 'abc123', 'uv.lock', 'sha256:99', 40, 100, 'rows', 10, 1790000007, 1790000007, NULL, NULL);
INSERT INTO public.executions VALUES (2, 2, 1, 1790000028, 1790000035, 'failed', 3, NULL, false, '\x', '\x696e766f6963652031373a206e6f7420666f756e640a', 0, 22, false, false, '/srv/app', 'abc123', 'uv.lock', 'sha256:99', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO public.executions VALUES (3, 2, 2, 1790000035, 1790000042, 'failed', 4, NULL, false, '\x7061727469616c0a', '\x', 8, 0, false, false, '/srv/app', 'abc123', 'uv.lock', 'sha256:99', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);


--
-- Data for Name: feedback; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.feedback VALUES (1, 1, 'github', 'finished', 'status', NULL, 1790000021);


--
-- Data for Name: feedback_comments; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: jobrunner_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.jobrunner_migrations VALUES ('v1-durable-queue', 1796685225.2685993);
INSERT INTO public.jobrunner_migrations VALUES ('v6-stage-repository', 1796685225.2793727);
INSERT INTO public.jobrunner_migrations VALUES ('v7-claim-function', 1796685225.2844543);
INSERT INTO public.jobrunner_migrations VALUES ('v8-complete-function', 1796685225.2868447);
INSERT INTO public.jobrunner_migrations VALUES ('v9-application-context', 1796685225.2937737);
INSERT INTO public.jobrunner_migrations VALUES ('v10-progress', 1796685225.30029);
INSERT INTO public.jobrunner_migrations VALUES ('v11-lifecycle', 1796685225.3113198);
INSERT INTO public.jobrunner_migrations VALUES ('v12-feedback-outbox', 1796685225.3305764);
INSERT INTO public.jobrunner_migrations VALUES ('v13-dry-runs', 1796685225.3549454);
INSERT INTO public.jobrunner_migrations VALUES ('v14-stored-status', 1796685225.3758023);
INSERT INTO public.jobrunner_migrations VALUES ('v15-status-of-child-function', 1796685225.3788009);
INSERT INTO public.jobrunner_migrations VALUES ('v16-status-of-pipeline-function', 1796685225.3820863);
INSERT INTO public.jobrunner_migrations VALUES ('v17-status-triggers', 1796685225.386378);
INSERT INTO public.jobrunner_migrations VALUES ('v18-kubernetes-runs', 1796685225.3880525);
INSERT INTO public.jobrunner_migrations VALUES ('v19-text-search', 1796685225.398489);
INSERT INTO public.jobrunner_migrations VALUES ('v20-status-deltas', 1796685225.4059975);
INSERT INTO public.jobrunner_migrations VALUES ('v21-status-count-function', 1796685225.4078727);
INSERT INTO public.jobrunner_migrations VALUES ('v22-status-count-trigger', 1796685225.4095974);
INSERT INTO public.jobrunner_migrations VALUES ('v23-status-of-child-by-pipeline', 1796685225.4115682);
INSERT INTO public.jobrunner_migrations VALUES ('v24-status-of-pipeline-by-pipeline', 1796685225.4138815);
INSERT INTO public.jobrunner_migrations VALUES ('v25-status-of-child-when-changed', 1796685225.4161077);
INSERT INTO public.jobrunner_migrations VALUES ('v26-status-of-pipeline-when-changed', 1796685225.4184306);
INSERT INTO public.jobrunner_migrations VALUES ('v27-status-insert-guarded', 1796685225.4223695);
INSERT INTO public.jobrunner_migrations VALUES ('v28-execution-limits', 1796685225.424327);


--
-- Data for Name: operator_actions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.operator_actions VALUES (1, 2, 5, 'execute', 'retry', 'carol', 1790000035, 'data fixed');
INSERT INTO public.operator_actions VALUES (2, 5, 8, 'process', 'discard', 'dave', 1790000049, 'replaced by a migration');
INSERT INTO public.operator_actions VALUES (3, 6, 9, 'process', 'cancel', 'erin', 1790000049, 'not needed');


--
-- Data for Name: outbox; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.outbox VALUES (2, 1, 'running', '{"running":{}}', 1790000007, 'pending', 0, 1790000007, NULL, NULL, NULL, NULL, NULL);
INSERT INTO public.outbox VALUES (3, 1, 'progress', '{"progress":{}}', 1790000007, 'pending', 0, 1790000007, NULL, NULL, NULL, NULL, NULL);
INSERT INTO public.outbox VALUES (1, 1, 'started', '{"started":{}}', 1790000007, 'delivered', 0, 1790000007, NULL, '[]', 1790000021, NULL, NULL);
INSERT INTO public.outbox VALUES (4, 2, 'running', '{"running":{}}', 1790000028, 'pending', 0, 1790000028, NULL, NULL, NULL, NULL, NULL);
INSERT INTO public.outbox VALUES (5, 2, 'running', '{"running":{}}', 1790000035, 'pending', 0, 1790000035, NULL, NULL, NULL, NULL, NULL);


--
-- Data for Name: pipeline_status_deltas; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.pipeline_status_deltas VALUES ('queued', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('succeeded', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('failed', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('failed', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('failed', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('failed', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('failed', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('superseded', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('running', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('failed', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('failed', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', 1);
INSERT INTO public.pipeline_status_deltas VALUES ('queued', -1);
INSERT INTO public.pipeline_status_deltas VALUES ('cancelled', 1);


--
-- Data for Name: pipelines; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.pipelines VALUES (1, 'acme/ops', 'main', 'jobs/backfill_orders.py', 'c1', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb3', 'octocat', 7, 'alice', 'delivery-1', 1790000000, NULL, NULL, NULL, NULL, NULL, NULL, 'succeeded');
INSERT INTO public.pipelines VALUES (2, 'acme/billing', 'main', 'jobs/fix_invoices.sh', 'c2', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb0', 'octocat', 7, 'alice', 'delivery-2', 1790000021, NULL, NULL, NULL, NULL, NULL, NULL, 'failed');
INSERT INTO public.pipelines VALUES (3, 'acme/search', 'main', 'jobs/reindex.ts', 'c3', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb5', 'octocat', 7, 'alice', 'delivery-3', 1790000042, NULL, 4, NULL, NULL, NULL, NULL, 'superseded');
INSERT INTO public.pipelines VALUES (4, 'acme/search', 'main', 'jobs/reindex.ts', 'c4', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb5', 'octocat', 7, 'alice', 'delivery-4', 1790000042, 3, NULL, NULL, NULL, NULL, NULL, 'running');
INSERT INTO public.pipelines VALUES (7, 'acme/ops', 'main', 'jobs/warm_cache.go', 'c5', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb8', 'octocat', 7, 'alice', 'delivery-5', 1790000042, NULL, NULL, NULL, NULL, NULL, NULL, 'queued');
INSERT INTO public.pipelines VALUES (5, 'acme/ops', 'main', 'jobs/drop_tmp.sql', 'c5', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb7', 'octocat', 7, 'alice', 'delivery-5', 1790000042, NULL, NULL, 'dave', 1790000049, 'replaced by a migration', 0, 'queued');
INSERT INTO public.pipelines VALUES (6, 'acme/ops', 'main', 'jobs/rotate_keys.rb', 'c5', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb9', 'octocat', 7, 'alice', 'delivery-5', 1790000042, NULL, NULL, NULL, NULL, NULL, NULL, 'cancelled');


--
-- Data for Name: stage_attempts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.stage_attempts VALUES (1, 1, 1, 'node-a', 1790000007, 1790000007, 'succeeded', NULL);
INSERT INTO public.stage_attempts VALUES (2, 2, 1, 'node-a', 1790000007, 1790000014, 'succeeded', NULL);
INSERT INTO public.stage_attempts VALUES (3, 3, 1, 'node-a', 1790000014, 1790000021, 'succeeded', NULL);
INSERT INTO public.stage_attempts VALUES (4, 4, 1, 'node-a', 1790000021, 1790000028, 'succeeded', NULL);
INSERT INTO public.stage_attempts VALUES (5, 5, 1, 'node-a', 1790000028, 1790000035, 'failed', 'the script exited with 3');
INSERT INTO public.stage_attempts VALUES (6, 5, 2, 'node-a', 1790000035, 1790000042, 'failed', 'the script exited with 4');
INSERT INTO public.stage_attempts VALUES (7, 6, 1, 'node-a', 1790000042, 1790000042, 'failed', 'esbuild: syntax error');
INSERT INTO public.stage_attempts VALUES (8, 7, 1, 'node-b', 1790000042, NULL, 'running', NULL);
INSERT INTO public.stage_attempts VALUES (9, 8, 1, 'node-a', 1790000049, 1790000049, 'failed', 'unsupported extension');


--
-- Data for Name: stages; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.stages VALUES (1, 1, 'process', 'succeeded', 1, 5, 1790000000, NULL, NULL, 1790000000, 1790000007, 1790000007, NULL, 'built with bash 5.2', NULL, NULL, 'acme/ops', NULL, NULL);
INSERT INTO public.stages VALUES (2, 1, 'execute', 'succeeded', 1, 1, 1790000007, NULL, NULL, 1790000007, 1790000007, 1790000014, NULL, 'exit 0', NULL, NULL, 'acme/ops', NULL, NULL);
INSERT INTO public.stages VALUES (3, 1, 'cleanup', 'succeeded', 1, 8, 1790000014, NULL, NULL, 1790000014, 1790000014, 1790000021, NULL, 'log committed', NULL, NULL, 'acme/ops', NULL, NULL);
INSERT INTO public.stages VALUES (4, 2, 'process', 'succeeded', 1, 5, 1790000021, NULL, NULL, 1790000021, 1790000021, 1790000028, NULL, 'built', NULL, NULL, 'acme/billing', NULL, NULL);
INSERT INTO public.stages VALUES (5, 2, 'execute', 'failed', 2, 2, 1790000035, NULL, NULL, 1790000028, 1790000035, 1790000042, 'attempt 2 of 2: the script exited with 4', NULL, NULL, NULL, 'acme/billing', NULL, NULL);
INSERT INTO public.stages VALUES (6, 3, 'process', 'failed', 1, 5, 1790000042, NULL, NULL, 1790000042, 1790000042, 1790000042, 'attempt 1 of 5: esbuild: syntax error', NULL, NULL, NULL, 'acme/search', NULL, NULL);
INSERT INTO public.stages VALUES (7, 4, 'process', 'running', 1, 5, 1790000042, 'node-b', 1790000102, 1790000042, 1790000042, NULL, NULL, NULL, NULL, NULL, 'acme/search', NULL, NULL);
INSERT INTO public.stages VALUES (10, 7, 'process', 'queued', 0, 5, 1790000042, NULL, NULL, 1790000042, NULL, NULL, NULL, NULL, NULL, NULL, 'acme/ops', NULL, NULL);
INSERT INTO public.stages VALUES (8, 5, 'process', 'failed', 1, 5, 1790000042, NULL, NULL, 1790000042, 1790000049, 1790000049, 'attempt 1 of 5: unsupported extension', NULL, NULL, NULL, 'acme/ops', NULL, NULL);
INSERT INTO public.stages VALUES (11, 5, 'cleanup', 'queued', 0, 8, 1790000049, NULL, NULL, 1790000049, NULL, NULL, NULL, NULL, NULL, NULL, 'acme/ops', NULL, NULL);
INSERT INTO public.stages VALUES (9, 6, 'process', 'cancelled', 0, 5, 1790000042, NULL, NULL, 1790000042, NULL, 1790000049, NULL, NULL, NULL, NULL, 'acme/ops', NULL, NULL);


--
-- Name: dry_runs_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.dry_runs_id_seq', 1, true);


--
-- Name: executions_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.executions_id_seq', 3, true);


--
-- Name: feedback_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.feedback_id_seq', 1, true);


--
-- Name: operator_actions_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.operator_actions_id_seq', 3, true);


--
-- Name: outbox_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.outbox_id_seq', 5, true);


--
-- Name: pipelines_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.pipelines_id_seq', 7, true);


--
-- Name: stage_attempts_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.stage_attempts_id_seq', 9, true);


--
-- Name: stages_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.stages_id_seq', 11, true);


--
-- Name: artifacts artifacts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.artifacts
    ADD CONSTRAINT artifacts_pkey PRIMARY KEY (pipeline_id);


--
-- Name: deliveries deliveries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT deliveries_pkey PRIMARY KEY (id);


--
-- Name: delivery_pipelines delivery_pipelines_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.delivery_pipelines
    ADD CONSTRAINT delivery_pipelines_pkey PRIMARY KEY (delivery_id, pipeline_id);


--
-- Name: dry_run_pulls dry_run_pulls_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dry_run_pulls
    ADD CONSTRAINT dry_run_pulls_pkey PRIMARY KEY (repository, number);


--
-- Name: dry_runs dry_runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dry_runs
    ADD CONSTRAINT dry_runs_pkey PRIMARY KEY (id);


--
-- Name: dry_runs dry_runs_repository_head_commit_script_path_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dry_runs
    ADD CONSTRAINT dry_runs_repository_head_commit_script_path_key UNIQUE (repository, head_commit, script_path);


--
-- Name: executions executions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.executions
    ADD CONSTRAINT executions_pkey PRIMARY KEY (id);


--
-- Name: feedback_comments feedback_comments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.feedback_comments
    ADD CONSTRAINT feedback_comments_pkey PRIMARY KEY (pipeline_id);


--
-- Name: feedback feedback_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.feedback
    ADD CONSTRAINT feedback_pkey PRIMARY KEY (id);


--
-- Name: jobrunner_migrations jobrunner_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.jobrunner_migrations
    ADD CONSTRAINT jobrunner_migrations_pkey PRIMARY KEY (identifier);


--
-- Name: operator_actions operator_actions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operator_actions
    ADD CONSTRAINT operator_actions_pkey PRIMARY KEY (id);


--
-- Name: outbox outbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);


--
-- Name: pipelines pipelines_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pipelines
    ADD CONSTRAINT pipelines_pkey PRIMARY KEY (id);


--
-- Name: pipelines pipelines_repository_script_path_commit_sha_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pipelines
    ADD CONSTRAINT pipelines_repository_script_path_commit_sha_key UNIQUE (repository, script_path, commit_sha);


--
-- Name: stage_attempts stage_attempts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.stage_attempts
    ADD CONSTRAINT stage_attempts_pkey PRIMARY KEY (id);


--
-- Name: stages stages_pipeline_id_kind_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.stages
    ADD CONSTRAINT stages_pipeline_id_kind_key UNIQUE (pipeline_id, kind);


--
-- Name: stages stages_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.stages
    ADD CONSTRAINT stages_pkey PRIMARY KEY (id);


--
-- Name: deliveries_received; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_received ON public.deliveries USING btree (received_at);


--
-- Name: delivery_pipelines_pipeline; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX delivery_pipelines_pipeline ON public.delivery_pipelines USING btree (pipeline_id);


--
-- Name: dry_runs_blob; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dry_runs_blob ON public.dry_runs USING btree (repository, blob) WHERE ((state = 'finished'::text) AND (outcome = 'succeeded'::text));


--
-- Name: dry_runs_pull; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dry_runs_pull ON public.dry_runs USING btree (repository, pull_request, id);


--
-- Name: dry_runs_queued; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dry_runs_queued ON public.dry_runs USING btree (next_attempt_at, id) WHERE (state = 'queued'::text);


--
-- Name: executions_pipeline; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX executions_pipeline ON public.executions USING btree (pipeline_id, id);


--
-- Name: feedback_pipeline; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX feedback_pipeline ON public.feedback USING btree (pipeline_id, id);


--
-- Name: operator_actions_pipeline; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX operator_actions_pipeline ON public.operator_actions USING btree (pipeline_id, id);


--
-- Name: outbox_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_due ON public.outbox USING btree (next_attempt_at, id) WHERE (state = 'pending'::text);


--
-- Name: outbox_pipeline; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_pipeline ON public.outbox USING btree (pipeline_id, id);


--
-- Name: pipelines_by_script; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX pipelines_by_script ON public.pipelines USING btree (repository, script_path, id);


--
-- Name: pipelines_delivery; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX pipelines_delivery ON public.pipelines USING btree (delivery_id);


--
-- Name: pipelines_repository; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX pipelines_repository ON public.pipelines USING btree (repository, id);


--
-- Name: pipelines_repository_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX pipelines_repository_status ON public.pipelines USING btree (repository, status, id);


--
-- Name: pipelines_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX pipelines_status ON public.pipelines USING btree (status, id);


--
-- Name: pipelines_text_trigrams; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX pipelines_text_trigrams ON public.pipelines USING gin ((((((script_path || ' '::text) || COALESCE(pusher, ''::text)) || ' '::text) || COALESCE(author, ''::text))) public.gin_trgm_ops);


--
-- Name: stage_attempts_stage; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX stage_attempts_stage ON public.stage_attempts USING btree (stage_id, id);


--
-- Name: stages_active_by_repository; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX stages_active_by_repository ON public.stages USING btree (repository, pipeline_id) WHERE ((state = ANY (ARRAY['queued'::text, 'running'::text])) AND (kind = ANY (ARRAY['process'::text, 'execute'::text])));


--
-- Name: stages_leases; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX stages_leases ON public.stages USING btree (state, lease_expires_at);


--
-- Name: stages_runnable; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX stages_runnable ON public.stages USING btree (state, run_after, pipeline_id, id);


--
-- Name: executions executions_status; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER executions_status AFTER INSERT OR UPDATE OF outcome ON public.executions FOR EACH ROW EXECUTE FUNCTION public.jobrunner_refresh_status_of_child();


--
-- Name: pipelines pipelines_count; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pipelines_count AFTER INSERT OR DELETE OR UPDATE OF status ON public.pipelines FOR EACH ROW EXECUTE FUNCTION public.jobrunner_count_status();


--
-- Name: pipelines pipelines_marks_status; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pipelines_marks_status AFTER UPDATE OF superseded_by, discarded_at ON public.pipelines FOR EACH ROW EXECUTE FUNCTION public.jobrunner_refresh_status_of_pipeline();


--
-- Name: stages stages_status_insert; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER stages_status_insert AFTER INSERT ON public.stages FOR EACH ROW WHEN (((new.state = 'running'::text) OR ((new.kind = 'cleanup'::text) AND (new.state = 'failed'::text)) OR ((new.kind = 'cleanup'::text) AND (new.state = 'succeeded'::text)) OR ((new.kind = 'cleanup'::text) AND (new.state = 'queued'::text)) OR (new.state = 'cancelled'::text) OR (new.state = 'failed'::text) OR (new.state = 'interrupted'::text))) EXECUTE FUNCTION public.jobrunner_refresh_status_of_child();


--
-- Name: stages stages_status_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER stages_status_update AFTER UPDATE OF state ON public.stages FOR EACH ROW EXECUTE FUNCTION public.jobrunner_refresh_status_of_child();


--
-- Name: artifacts artifacts_pipeline_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.artifacts
    ADD CONSTRAINT artifacts_pipeline_id_fkey FOREIGN KEY (pipeline_id) REFERENCES public.pipelines(id);


--
-- Name: delivery_pipelines delivery_pipelines_delivery_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.delivery_pipelines
    ADD CONSTRAINT delivery_pipelines_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id);


--
-- Name: delivery_pipelines delivery_pipelines_pipeline_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.delivery_pipelines
    ADD CONSTRAINT delivery_pipelines_pipeline_id_fkey FOREIGN KEY (pipeline_id) REFERENCES public.pipelines(id);


--
-- Name: executions executions_pipeline_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.executions
    ADD CONSTRAINT executions_pipeline_id_fkey FOREIGN KEY (pipeline_id) REFERENCES public.pipelines(id);


--
-- Name: feedback_comments feedback_comments_pipeline_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.feedback_comments
    ADD CONSTRAINT feedback_comments_pipeline_id_fkey FOREIGN KEY (pipeline_id) REFERENCES public.pipelines(id);


--
-- Name: feedback feedback_pipeline_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.feedback
    ADD CONSTRAINT feedback_pipeline_id_fkey FOREIGN KEY (pipeline_id) REFERENCES public.pipelines(id);


--
-- Name: operator_actions operator_actions_pipeline_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operator_actions
    ADD CONSTRAINT operator_actions_pipeline_id_fkey FOREIGN KEY (pipeline_id) REFERENCES public.pipelines(id);


--
-- Name: operator_actions operator_actions_stage_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operator_actions
    ADD CONSTRAINT operator_actions_stage_id_fkey FOREIGN KEY (stage_id) REFERENCES public.stages(id);


--
-- Name: outbox outbox_pipeline_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_pipeline_id_fkey FOREIGN KEY (pipeline_id) REFERENCES public.pipelines(id);


--
-- Name: pipelines pipelines_delivery_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pipelines
    ADD CONSTRAINT pipelines_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id);


--
-- Name: stage_attempts stage_attempts_stage_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.stage_attempts
    ADD CONSTRAINT stage_attempts_stage_id_fkey FOREIGN KEY (stage_id) REFERENCES public.stages(id);


--
-- Name: stages stages_pipeline_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.stages
    ADD CONSTRAINT stages_pipeline_id_fkey FOREIGN KEY (pipeline_id) REFERENCES public.pipelines(id);


--
-- PostgreSQL database dump complete
--


