"""Intake: signed push deliveries per second and latency, Jobrunner vs adnanh/webhook.

Both servers get the same requests from the same load tool (wrk): distinct deliveries of one
push payload shape, each adding one script in its own commit, each correctly signed. Jobrunner
runs on its SQLite default, durable (every acknowledged delivery is committed to disk), with no
workers, so what is measured is the front door alone; webhook runs its `payload-hmac-sha256`
rule and starts `true` for every delivery, its whole job. Memory of Jobrunner is sampled
during its run (RSS idle before, peak under this load).
"""
import json
import os
import sqlite3
import subprocess
import threading
import time
import uuid

from common import Service, free_port, jobrunner_environment, memory_breakdown, push_payload, rss_kib, sign

REPOSITORY = "bench/intake"
SECRET = "bench-intake-secret-0123456789"
HERE = os.path.dirname(os.path.abspath(__file__))


def write_requests(path, count):
    with open(path, "w") as out:
        for index in range(count):
            push = push_payload(REPOSITORY, before=f"f{index:039x}", after=f"{index:040x}",
                                path=f"jobs/bench-{index}.sh", number=index)
            body = json.dumps(push, separators=(",", ":")).encode()
            out.write(f"{uuid.uuid4()} {sign(SECRET, body)} {body.decode()}\n")


def run_wrk(url, path, requests_file, seconds, connections, threads):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
               "-s", os.path.join(HERE, "intake.lua"), url, "--", path, requests_file, str(threads)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK-JSON "))
    result = json.loads(line[len("WRK-JSON "):])
    errors = sum(value for key, value in result.items() if key.startswith("errors_"))
    return {"requests": result["requests"], "seconds": result["duration_us"] / 1e6,
            "per_second": result["requests"] / (result["duration_us"] / 1e6),
            "p50_ms": result["p50_us"] / 1000, "p99_ms": result["p99_us"] / 1000, "mean_ms": result["mean_us"] / 1000,
            "max_ms": result["max_us"] / 1000, "errors": errors}


class RSSSampler(threading.Thread):
    """Samples a process's VmRSS every 50 ms, keeping the largest reading."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.running = pid, 0, True

    def run(self):
        while self.running:
            try:
                self.peak_kib = max(self.peak_kib, rss_kib(self.pid))
            except (OSError, RuntimeError):
                return
            time.sleep(0.05)


def measure(jobrunner, work, seconds, connections, threads, request_count):
    requests_file = os.path.join(work, "intake-requests.txt")
    write_requests(requests_file, request_count)

    # Jobrunner: serve on SQLite, no workers.
    data = os.path.join(work, "intake-jobrunner")
    os.makedirs(data, exist_ok=True)
    port = free_port()
    environment = jobrunner_environment(data, port, SECRET, [REPOSITORY], JOBRUNNER_WORKERS=0)
    service = Service([jobrunner, "serve"], environment, os.path.join(work, "intake-jobrunner.log"),
                      f"http://127.0.0.1:{port}/readyz")
    try:
        time.sleep(2)
        idle_kib = rss_kib(service.pid)
        idle_anon_kib = rss_kib(service.pid, "RssAnon")
        idle_breakdown = memory_breakdown(service.pid)
        sampler = RSSSampler(service.pid)
        sampler.start()
        ours = run_wrk(f"http://127.0.0.1:{port}", "/webhooks/github", requests_file, seconds, connections, threads)
        sampler.running = False
        sampler.join()
        peak_kib = max(sampler.peak_kib, rss_kib(service.pid, "VmHWM"))
        loaded_anon_kib = rss_kib(service.pid, "RssAnon")
        loaded_breakdown = memory_breakdown(service.pid)
    finally:
        service.stop()
    # Every answered delivery must be durable, and each must be a new one (no repeats).
    with sqlite3.connect(os.path.join(data, "jobrunner.sqlite")) as db:
        recorded = db.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        pipelines = db.execute("SELECT count(*) FROM pipelines").fetchone()[0]
    ours.update({"recorded_deliveries": recorded, "created_pipelines": pipelines})
    if ours["errors"] or recorded < ours["requests"] - connections or pipelines != recorded:
        raise RuntimeError(f"Jobrunner intake lost or refused deliveries: {ours}")

    # webhook: the same requests, HMAC rule, runs `true`.
    hooks = os.path.join(work, "webhook-hooks.json")
    with open(hooks, "w") as out:
        json.dump([{
            "id": "jobrunner-bench", "execute-command": "/bin/true", "command-working-directory": work,
            "trigger-rule": {"match": {"type": "payload-hmac-sha256", "secret": SECRET,
                                        "parameter": {"source": "header", "name": "X-Hub-Signature-256"}}},
        }], out)
    peer_port = free_port()
    peer = Service(["webhook", "-hooks", hooks, "-ip", "127.0.0.1", "-port", str(peer_port)],
                   {"PATH": os.environ["PATH"]}, os.path.join(work, "intake-webhook.log"),
                   f"http://127.0.0.1:{peer_port}/")
    try:
        time.sleep(2)
        peer_idle = memory_breakdown(peer.pid)
        theirs = run_wrk(f"http://127.0.0.1:{peer_port}", "/hooks/jobrunner-bench", requests_file, seconds,
                         connections, threads)
    finally:
        peer.stop()
    for name, result in (("Jobrunner", ours), ("webhook", theirs)):
        if result["requests"] >= request_count - 2 * threads:
            raise RuntimeError(f"{name} used up all {request_count} prepared deliveries before the time was up: "
                               "the rate is understated — prepare more (request_count)")
    if theirs["errors"]:
        raise RuntimeError(f"webhook refused deliveries (is the rule right?): {theirs}")
    return {"jobrunner": ours, "webhook": theirs,
            # MB as the targets say them (10^6 bytes); the anonymous part is the service's own
            # memory, the rest is mapped code and data of the binary and its libraries.
            "memory": {"idle_mb": idle_kib * 1024 / 1e6, "loaded_peak_mb": peak_kib * 1024 / 1e6,
                       "idle_anonymous_mb": idle_anon_kib * 1024 / 1e6,
                       "loaded_anonymous_mb": loaded_anon_kib * 1024 / 1e6,
                       "idle_breakdown": idle_breakdown, "loaded_breakdown": loaded_breakdown,
                       "webhook_idle_breakdown": peer_idle},
            "load": {"tool": "wrk", "seconds": seconds, "connections": connections, "threads": threads}}
