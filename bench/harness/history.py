"""History: the dashboard, the API and /metrics over a long history, on SQLite and PostgreSQL.

For each database, `jobrunner serve` creates the schema; then the database is filled through SQL
(one statement per table, the same text on both drivers but for `delivery_pipelines`) with `pipelines` pipelines over 200
repositories as months of use leave them: each with its stages and its script run — most
succeeded, 2% failed scripts, 1% cancelled, 1% discarded, 1% superseded, and a few queued and
running at the end. `jobrunner serve` (no workers) then answers every dashboard page, every API
list (each filter, their combinations, a page further back), a pipeline's detail and /metrics
`rounds` times each, one request at a time: p50/p99 per request. Intake is measured with that
history — signed deliveries one at a time, each durable before its answer — and everything again
on an empty database, for comparison.

    python3 bench/harness/history.py --jobrunner BIN --work DIR [--postgres-url URL]
        [--pipelines 1000000] [--rounds 30] [--deliveries 300]
"""
import argparse
import http.cookiejar
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import Service, free_port, fresh_postgres_database, jobrunner_environment, push_payload, sign, summary  # noqa: E402

SECRET = "bench-history-secret-0123456789"
TOKEN = "bench-history-operator-token-0123"
REPOSITORIES = 200
INTAKE_REPOSITORY = "bench/history"

# One pipeline per number i, in creation order; what became of it is decided by i % 100 (the last
# `live` pipelines are queued or running instead). The same SQL runs on SQLite and PostgreSQL.
ZEROS = "'" + "0" * 40 + "'"


def fill_statements(count, now, live, sqlite):
    step = 90 * 86400 / max(count, 1)
    sha = f"substr({ZEROS} || CAST(i AS TEXT), length(CAST(i AS TEXT)) + 1)"
    numbers = f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})"
    fate = f"""CASE WHEN p.id > {count - live} THEN (CASE WHEN p.id % 4 = 0 THEN 'running' ELSE 'queued' END)
                    WHEN p.id % 100 IN (1, 2) THEN 'failed-script' WHEN p.id % 100 = 3 THEN 'cancelled'
                    WHEN p.id % 100 = 4 THEN 'discarded' WHEN p.id % 100 = 5 THEN 'superseded' ELSE 'succeeded' END"""
    return [
        f"""{numbers}
            INSERT INTO deliveries (id, event, repository, ref, head_commit, sender, outcome, received_at)
            SELECT 'history-' || CAST(i AS TEXT), 'push', 'org/repo-' || CAST(i % {REPOSITORIES} AS TEXT), 'refs/heads/main',
                   {sha}, 'alice', 'accepted', {now} - ({count} - i) * {step} FROM n""",
        f"""{numbers}
            INSERT INTO pipelines (repository, branch, script_path, commit_sha, pusher, author, delivery_id, created_at)
            SELECT 'org/repo-' || CAST(i % {REPOSITORIES} AS TEXT), 'main', 'jobs/script-' || CAST(i AS TEXT) || '.ts', {sha},
                   'alice', 'author-' || CAST(i % 50 AS TEXT), 'history-' || CAST(i AS TEXT), {now} - ({count} - i) * {step}
            FROM n""",
        # SQLite keys delivery_pipelines by the delivery's number, PostgreSQL by its id.
        f"""INSERT INTO delivery_pipelines (delivery_seq, pipeline_id, position)
            SELECT d.seq, p.id, 0 FROM pipelines p JOIN deliveries d ON d.id = p.delivery_id"""
        if sqlite else
        f"""INSERT INTO delivery_pipelines (delivery_id, pipeline_id, position)
            SELECT p.delivery_id, p.id, 0 FROM pipelines p""",
        f"""UPDATE pipelines SET superseded_by = id + 1 WHERE id % 100 = 5 AND id <= {count - live}""",
        f"""UPDATE pipelines SET discarded_by = 'ops', discarded_at = created_at + 60, discard_reason = 'not needed',
                   discard_may_have_run = 0 WHERE id % 100 = 4 AND id <= {count - live}""",
        f"""INSERT INTO stages (pipeline_id, repository, kind, state, attempt, max_attempts, run_after, created_at, started_at,
                                finished_at)
            SELECT p.id, p.repository, 'process',
                   CASE {fate} WHEN 'queued' THEN 'queued' WHEN 'running' THEN 'running' WHEN 'cancelled' THEN 'cancelled'
                        WHEN 'superseded' THEN 'cancelled' ELSE 'succeeded' END,
                   1, 5, p.created_at, p.created_at, p.created_at, p.created_at + 1
            FROM pipelines p""",
        f"""INSERT INTO stages (pipeline_id, repository, kind, state, attempt, max_attempts, run_after, created_at, started_at,
                                finished_at)
            SELECT p.id, p.repository, 'execute', 'succeeded', 1, 1, p.created_at + 1, p.created_at + 1, p.created_at + 1,
                   p.created_at + 3
            FROM pipelines p WHERE {fate} IN ('succeeded', 'failed-script')""",
        f"""INSERT INTO executions (pipeline_id, attempt, started_at, finished_at, outcome, exit_code, stdout, stdout_bytes)
            SELECT p.id, 1, p.created_at + 1, p.created_at + 3,
                   CASE {fate} WHEN 'failed-script' THEN 'failed' ELSE 'succeeded' END,
                   CASE {fate} WHEN 'failed-script' THEN 1 ELSE 0 END, {{output}}, 12
            FROM pipelines p WHERE {fate} IN ('succeeded', 'failed-script')""",
        f"""INSERT INTO stages (pipeline_id, repository, kind, state, attempt, max_attempts, run_after, created_at, started_at,
                                finished_at)
            SELECT p.id, p.repository, 'cleanup', 'succeeded', 1, 5, p.created_at + 3, p.created_at + 3, p.created_at + 3,
                   p.created_at + 4
            FROM pipelines p WHERE {fate} IN ('succeeded', 'failed-script', 'discarded')""",
    ]


def recompute_statement(trigger_body):
    """The status refresh the database's own trigger runs, for every pipeline at once: a bulk fill
    leaves the triggers off and then does what they would have done, in one statement."""
    match = re.search(r"(UPDATE pipelines SET status = .*?WHERE id = NEW\.pipeline_id)", trigger_body, re.DOTALL)
    if not match:
        raise RuntimeError("the status trigger's statement was not found:\n" + trigger_body)
    return match.group(1).replace("NEW.pipeline_id", "pipelines.id")


def fill_sqlite(path, count, live):
    statements = fill_statements(count, time.time(), live, sqlite=True)
    started = time.time()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 60000")
    # One transaction writes ~1 GB at 1M pipelines: with SQLite's default 2 MB page cache it
    # re-read its own pages from the WAL over and over (150 GB read in 10 minutes).
    connection.execute("PRAGMA cache_size = -2000000")
    connection.execute("BEGIN IMMEDIATE")
    triggers = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        " AND (name LIKE '%status%' OR name LIKE 'pipelines_text_%' OR name LIKE 'pipelines_count_%')"
    ).fetchall()
    recompute = recompute_statement(next(sql for name, sql in triggers if name == "stages_status_insert"))
    for name, _ in triggers:
        connection.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        connection.execute(statement.replace("{output}", "x'726f777320666978656420310a'"))
    for _, sql in triggers:
        connection.execute(sql)
    # Statistics first: without them SQLite answers the status statement's subqueries through
    # the stage-state index, reading every stage in that state per pipeline (26 s at 100K, 10×
    # less with them).
    connection.execute("ANALYZE")
    connection.execute(recompute)
    # The text filter's trigram index, built once from the rows (as the service's indexer would).
    connection.execute("INSERT INTO pipelines_text (pipelines_text) VALUES ('rebuild')")
    connection.execute("UPDATE pipelines_text_state SET indexed_through = (SELECT MAX(id) FROM pipelines)")
    # The status counts, as the count triggers (off during the fill) would have kept them.
    connection.execute("DELETE FROM pipeline_status_counts")
    connection.execute("INSERT INTO pipeline_status_counts (status, n) SELECT status, COUNT(*) FROM pipelines GROUP BY status")
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()
    return time.time() - started


def fill_postgres(url, count, live):
    statements = fill_statements(count, time.time(), live, sqlite=False)
    started = time.time()
    body = subprocess.run(["psql", "-tA", url, "-c", "SELECT prosrc FROM pg_proc WHERE proname = 'jobrunner_refresh_status_of_child'"],
                          capture_output=True, text=True, check=True).stdout
    triggers = [("stages", "stages_status_insert"), ("stages", "stages_status_update"), ("executions", "executions_status"),
                ("pipelines", "pipelines_marks_status")]
    # The pipelines' secondary indexes are built once at the end, not row by row through the
    # fill and the status statement (the trigram index above all: ~10× the fill time at 1M).
    indexes = subprocess.run(["psql", "-tA", url, "-c",
                              "SELECT i.indexname || '|' || i.indexdef FROM pg_indexes i JOIN pg_index x ON x.indexrelid = "
                              "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass "
                              "WHERE i.tablename = 'pipelines' AND NOT x.indisunique"],
                             capture_output=True, text=True, check=True).stdout.split("\n")
    indexes = [line.split("|", 1) for line in indexes if "|" in line]
    script = "BEGIN;\nALTER TABLE pipelines DISABLE TRIGGER pipelines_count;\n"
    script += "".join(f"DROP INDEX {name};\n" for name, _ in indexes)
    script += "".join(f"ALTER TABLE {table} DISABLE TRIGGER {name};\n" for table, name in triggers)
    script += ";\n".join(s.replace("{output}", "'\\x726f777320666978656420310a'::bytea") for s in statements) + ";\n"
    script += "".join(f"ALTER TABLE {table} ENABLE TRIGGER {name};\n" for table, name in triggers)
    # Statistics first: planned as if the tables were still empty, the status statement's
    # subqueries would scan instead of looking up (hours at 1M).
    script += "ANALYZE pipelines;\nANALYZE stages;\nANALYZE executions;\n"
    script += recompute_statement(body) + ";\n"
    # The status counts, as the count trigger (off during the fill) would have kept them.
    script += "DELETE FROM pipeline_status_deltas;\n"
    script += "INSERT INTO pipeline_status_deltas (status, n) SELECT status, COUNT(*) FROM pipelines GROUP BY status;\n"
    script += "ALTER TABLE pipelines ENABLE TRIGGER pipelines_count;\n"
    script += "".join(f"{definition};\n" for _, definition in indexes)
    # The status statement left a dead version of every pipeline row. A database that grew over
    # 90 days has been vacuumed along the way; unvacuumed, autovacuum would work through a
    # million dead rows during the measurement and be measured with it.
    # And a checkpoint: the fill dirtied gigabytes of buffers, which the checkpointer otherwise
    # writes out during the measurement (PostgreSQL intake varied 282-379/s run to run).
    script += "COMMIT;\nVACUUM (ANALYZE);\nCHECKPOINT;\n"
    done = subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url], input=script, text=True, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"filling {url} failed: {done.stderr}")
    return time.time() - started


class Client:
    """Signed in to the dashboard (a session cookie) and holding a token for the API and /metrics."""

    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        form = self.opener.open(base + "/login").read().decode()
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode({"csrf": csrf, "token": TOKEN, "next": "/"}).encode()
        self.opener.open(urllib.request.Request(base + "/login", data=body, method="POST"))
        if not any(cookie.name == "jobrunner_session" for cookie in self.cookies):
            raise RuntimeError("could not sign in to the dashboard")

    def text(self, path):
        request = urllib.request.Request(self.base + path)
        request.add_header("Authorization", f"Bearer {TOKEN}")
        with self.opener.open(request, timeout=120) as answer:
            return answer.read().decode()

    def status_counts(self):
        """Pipelines by status, as /metrics reports them (read from the stored status)."""
        counts = {}
        for match in re.finditer(r'^jobrunner_pipelines\{state="([a-z-]+)"\} (\d+)', self.text("/metrics"), re.MULTILINE):
            counts[match.group(1)] = int(match.group(2))
        return counts

    def get(self, path, bearer=False):
        request = urllib.request.Request(self.base + path)
        if bearer:
            request.add_header("Authorization", f"Bearer {TOKEN}")
        started = time.perf_counter()
        with self.opener.open(request, timeout=120) as answer:
            answer.read()
            status = answer.status
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        return elapsed


def requests_for(count, live):
    middle = max(1, count // 2)
    probe = max(1, count - live - 7)
    return [
        ("dashboard: overview and first page", "/", False),
        ("dashboard: state=failed", "/?state=failed", False),
        ("dashboard: repository", "/?repository=org/repo-7", False),
        ("dashboard: text", f"/?q=script-{probe}", False),
        ("dashboard: a pipeline", f"/pipelines/{probe}", False),
        ("dashboard: dry runs", "/dry-runs", False),
        ("api: list", "/api/v1/pipelines", True),
        ("api: state=failed", "/api/v1/pipelines?state=failed", True),
        ("api: state=queued", "/api/v1/pipelines?state=queued", True),
        ("api: state=running", "/api/v1/pipelines?state=running", True),
        ("api: state=interrupted (none)", "/api/v1/pipelines?state=interrupted", True),
        ("api: repository", "/api/v1/pipelines?repository=org/repo-7", True),
        ("api: text", f"/api/v1/pipelines?q=script-{probe}", True),
        ("api: text, no match", "/api/v1/pipelines?q=no-such-script", True),
        ("api: state=failed & repository", "/api/v1/pipelines?state=failed&repository=org/repo-7", True),
        ("api: state=succeeded & text", "/api/v1/pipelines?state=succeeded&q=author-3", True),
        ("api: a page further back", f"/api/v1/pipelines?before={middle}", True),
        ("api: failed, a page further back", f"/api/v1/pipelines?state=failed&before={middle}", True),
        ("api: a pipeline", f"/api/v1/pipelines/{probe}", True),
        ("metrics", "/metrics", True),
    ]


def measure_requests(client, requests, rounds):
    results = {}
    for name, path, bearer in requests:
        client.get(path, bearer)  # warm: plans, caches
        results[name] = summary([client.get(path, bearer) for _ in range(rounds)])
    return results


def measure_intake(port, deliveries, rounds=3):
    """Signed pushes, one at a time: each answered only once durable. `rounds` rounds of
    `deliveries`; the rate is the median round's (one round lasts under a second, so a burst of
    background disk work could halve it)."""
    results = [measure_intake_round(port, deliveries, first=round * deliveries) for round in range(rounds)]
    rates = sorted(result["per_second"] for result in results)
    median = rates[len(rates) // 2]
    samples = [sample for result in results for sample in result.pop("samples")]
    return {"deliveries": deliveries * rounds, "rounds": rounds, "per_second": median, "round_rates": rates,
            "latency_ms": summary(samples)}


def measure_intake_round(port, deliveries, first):
    samples = []
    started = time.perf_counter()
    for index in range(first, first + deliveries):
        push = push_payload(INTAKE_REPOSITORY, before=f"e{index:039x}", after=f"{index + 1:040x}",
                            path=f"jobs/intake-{index}.sh", number=index)
        body = json.dumps(push, separators=(",", ":")).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/github", data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("X-GitHub-Event", "push")
        request.add_header("X-GitHub-Delivery", f"history-intake-{index}")
        request.add_header("X-Hub-Signature-256", sign(SECRET, body))
        sent = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
            if answer.status != 202:
                raise RuntimeError(f"delivery {index} answered {answer.status}")
        samples.append((time.perf_counter() - sent) * 1000)
    seconds = time.perf_counter() - started
    return {"per_second": deliveries / seconds, "samples": samples}


def pipelines_in(database, url):
    if url:
        out = subprocess.run(["psql", "-tA", url, "-c", "SELECT COUNT(*) FROM pipelines"], capture_output=True, text=True,
                             check=True).stdout
        return int(out.strip())
    connection = sqlite3.connect(database)
    try:
        return connection.execute("SELECT COUNT(*) FROM pipelines").fetchone()[0]
    finally:
        connection.close()


def one_database(jobrunner, work, name, count, rounds, deliveries, postgres_url=None):
    """Empty, then filled: the same requests and the same intake on each."""
    live = min(40, max(4, count // 100))
    data = os.path.join(work, f"history-{name}")
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    url = fresh_postgres_database(postgres_url, "jobrunner_history") if postgres_url else None
    database = os.path.join(data, "jobrunner.sqlite")
    extra = {"JOBRUNNER_WORKERS": "0", "JOBRUNNER_DASHBOARD_TOKEN": f"ops:{TOKEN}", "JOBRUNNER_LOG_LEVEL": "warning",
             "JOBRUNNER_RETENTION": "0"}
    if url:
        extra["JOBRUNNER_DATABASE_URL"] = url
    repositories = [f"org/repo-{r}" for r in range(REPOSITORIES)] + [INTAKE_REPOSITORY]

    def serve():
        port = free_port()
        environment = jobrunner_environment(data, port, SECRET, repositories, **extra)
        service = Service([jobrunner, "serve"], environment, os.path.join(data, "serve.log"),
                          f"http://127.0.0.1:{port}/healthz", cwd=data)
        return service, port

    result = {}
    service, port = serve()
    try:
        client = Client(f"http://127.0.0.1:{port}")
        result["empty"] = {"requests": measure_requests(client, requests_for(1, 0)[:1] + requests_for(1, 0)[6:8] + [
            ("metrics", "/metrics", True)], rounds), "intake": measure_intake(port, deliveries)}
    finally:
        service.stop()
    # Filled from scratch: the empty run's deliveries are gone with the database.
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    if url:
        url = fresh_postgres_database(postgres_url, "jobrunner_history")
        extra["JOBRUNNER_DATABASE_URL"] = url
    service, port = serve()
    service.stop()
    result["fill_seconds"] = fill_postgres(url, count, live) if url else fill_sqlite(database, count, live)
    # The fill's gigabytes written out now, not by the kernel during the measurement.
    os.sync()
    result["pipelines"] = pipelines_in(database, url)
    service, port = serve()
    try:
        client = Client(f"http://127.0.0.1:{port}")
        result["requests"] = measure_requests(client, requests_for(count, live), rounds)
        result["status_counts"] = client.status_counts()
        result["intake"] = measure_intake(port, deliveries)
    finally:
        service.stop()
    if url:
        subprocess.run(["psql", "-q", postgres_url, "-c", "DROP DATABASE IF EXISTS jobrunner_history"], capture_output=True)
    shutil.rmtree(data, ignore_errors=True)
    return result


def measure(jobrunner, work, postgres_url, pipelines, rounds, deliveries):
    results = {"sqlite": one_database(jobrunner, work, "sqlite", pipelines, rounds, deliveries)}
    if postgres_url:
        results["postgres"] = one_database(jobrunner, work, "postgres", pipelines, rounds, deliveries, postgres_url)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobrunner", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--postgres-url")
    parser.add_argument("--pipelines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--deliveries", type=int, default=300)
    options = parser.parse_args()
    os.makedirs(options.work, exist_ok=True)
    print(json.dumps(measure(options.jobrunner, os.path.abspath(options.work), options.postgres_url, options.pipelines,
                             options.rounds, options.deliveries)))


if __name__ == "__main__":
    main()
