"""Latency: webhook acknowledged → script process started, and webhook sent → execution log
pushed to a local bare repository, one delivery at a time through `jobrunner serve`, against
the unavoidable parts measured alone (one spawn, one log commit + push: jobrunner-bench).

Each round commits a new script to the bare repository, sends its signed push, and waits —
through inotify, not polling — for the script's first line (it appends bash's
`$EPOCHREALTIME`, no extra process) and for the branch ref to move (CLEANUP's push)."""
import http.client
import json
import os
import shutil
import subprocess
import time

from common import (Service, bench_json, free_port, fresh_postgres_database, jobrunner_environment, push_payload,
                    sign, summary)
from filewatch import IN_CLOSE_WRITE, IN_MODIFY, IN_MOVED_TO, FileWatch

REPOSITORY = "bench/latency"
SECRET = "bench-latency-secret-0123456789"
SCRIPT = 'printf "%s %s\\n" "$JOBRUNNER_PIPELINE_ID" "$EPOCHREALTIME" >> "$JOURNAL"\n'


def git(*arguments, cwd):
    return subprocess.run(["git", *arguments], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def make_repository(work):
    bare = os.path.join(work, "remotes", REPOSITORY + ".git")
    clone = os.path.join(work, "clone")
    os.makedirs(os.path.dirname(bare))
    git("init", "--quiet", "--bare", "--initial-branch=main", bare, cwd=work)
    # Loose refs only, so the ref file CLEANUP's push replaces is the one being watched.
    git("config", "receive.autogc", "false", cwd=bare)
    git("config", "gc.auto", "0", cwd=bare)
    git("clone", "--quiet", bare, clone, cwd=work)
    for key, value in [("user.name", "Bench"), ("user.email", "bench@example.com")]:
        git("config", key, value, cwd=clone)
    os.makedirs(os.path.join(clone, "jobs"))
    with open(os.path.join(clone, "README.md"), "w") as readme:
        readme.write("latency benchmark\n")
    git("add", ".", cwd=clone)
    git("commit", "--quiet", "-m", "Start", cwd=clone)
    git("push", "--quiet", "origin", "HEAD:main", cwd=clone)
    return bare, clone


def one_round(index, port, bare, clone, journal, journal_watch, ref_watch):
    git("fetch", "--quiet", "origin", cwd=clone)
    git("reset", "--quiet", "--hard", "origin/main", cwd=clone)
    before = git("rev-parse", "HEAD", cwd=clone)
    path = f"jobs/latency-{index:04d}.sh"
    os.makedirs(os.path.join(clone, "jobs"), exist_ok=True)  # CLEANUP removed the last script
    with open(os.path.join(clone, path), "w") as script:
        script.write(SCRIPT)
    git("add", path, cwd=clone)
    git("commit", "--quiet", "-m", f"Add {path}", cwd=clone)
    git("push", "--quiet", "origin", "HEAD:main", cwd=clone)
    after = git("rev-parse", "HEAD", cwd=clone)
    ref_file = os.path.join(bare, "refs", "heads", "main")
    lines_before = journal_lines(journal)

    body = json.dumps(push_payload(REPOSITORY, before, after, path, index + 1)).encode()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push",
               "X-GitHub-Delivery": f"latency-{index}-{time.time_ns()}", "X-Hub-Signature-256": sign(SECRET, body)}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sent = time.time()
    connection.request("POST", "/webhooks/github", body, headers)
    answer = connection.getresponse()
    answer.read()
    acknowledged = time.time()
    connection.close()
    if answer.status != 202:
        raise RuntimeError(f"the webhook was answered {answer.status}, not 202")

    journal_watch.wait_until(lambda: journal_lines(journal) > lines_before, timeout=30)
    started = float(open(journal).read().splitlines()[-1].split()[1].replace(",", "."))
    pushed = ref_watch.wait_until(lambda: read_ref(ref_file) not in (after, None), timeout=30)
    log = git("show", "--name-only", "--format=", read_ref(ref_file), cwd=bare)
    if "jobrunner-logs/" not in log:
        raise RuntimeError(f"the commit after {path} is not its execution log:\n{log}")
    return {"acknowledged_ms": (acknowledged - sent) * 1000, "ack_to_start_ms": (started - acknowledged) * 1000,
            "webhook_to_log_pushed_ms": (pushed - sent) * 1000}


def journal_lines(path):
    with open(path) as journal:
        return sum(1 for _ in journal)


def read_ref(path):
    try:
        with open(path) as ref:
            return ref.read().strip()
    except FileNotFoundError:
        return None


def measure_driver(jobrunner, work, database_url, rounds, warmup):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    bare, clone = make_repository(work)
    # Scripts run in a sandbox that sees only their run directory writable, besides the
    # directories shared with them: the journal gets one of its own.
    shared = os.path.join(work, "shared")
    os.makedirs(shared)
    journal = os.path.join(shared, "journal")
    open(journal, "w").close()
    data = os.path.join(work, "data")
    os.makedirs(data)
    port = free_port()
    extra = {"JOBRUNNER_GIT_REMOTE": os.path.join(work, "remotes") + "/{repository}.git",
             "JOBRUNNER_SCRIPT_ENV": "JOURNAL", "JOURNAL": journal, "JOBRUNNER_SCRIPT_SHARED_DIRS": shared}
    if database_url:
        extra["JOBRUNNER_DATABASE_URL"] = database_url
    service = Service([jobrunner, "serve"], jobrunner_environment(data, port, SECRET, [REPOSITORY], **extra),
                      os.path.join(work, "jobrunner.log"), f"http://127.0.0.1:{port}/readyz")
    journal_watch = FileWatch(journal, IN_MODIFY | IN_CLOSE_WRITE)
    ref_watch = FileWatch(os.path.join(bare, "refs", "heads"), IN_MOVED_TO | IN_CLOSE_WRITE)
    samples = []
    try:
        for index in range(warmup + rounds):
            sample = one_round(index, port, bare, clone, journal, journal_watch, ref_watch)
            if index >= warmup:
                samples.append(sample)
            time.sleep(0.05)  # let CLEANUP finish recording, so each round starts at rest
    finally:
        journal_watch.close()
        ref_watch.close()
        service.stop()
    return {key: summary([sample[key] for sample in samples]) for key in samples[0]}


def measure(jobrunner, bench, work, postgres_url, rounds, warmup):
    parts_dir = os.path.join(work, "latency-parts")
    shutil.rmtree(parts_dir, ignore_errors=True)
    os.makedirs(parts_dir)
    spawn = bench_json(bench, "spawn", "--directory", parts_dir, "--count", str(max(rounds, 100)))
    push = bench_json(bench, "push", "--directory", parts_dir, "--count", str(max(rounds, 50)))
    results = {"parts": {"spawn": spawn, "push": push,
                         "floor_ms": spawn["to_exit"]["p50"] + push["p50"]},
               "sqlite": measure_driver(jobrunner, os.path.join(work, "latency-sqlite"), None, rounds, warmup)}
    if postgres_url:
        results["postgres"] = measure_driver(
            jobrunner, os.path.join(work, "latency-postgres"), fresh_postgres_database(postgres_url, "bench_latency"),
            rounds, warmup)
    return results
