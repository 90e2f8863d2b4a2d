"""Runs every benchmark, prints the table and writes the JSON (`bench/run` calls this).

    python3 bench/harness/main.py --jobrunner BIN --bench BIN --work DIR --json FILE
        [--postgres-url URL] [--only intake,queue,latency,transpile,history] [--quick]
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import history  # noqa: E402
import intake  # noqa: E402
import latency  # noqa: E402
import queue as queue_bench  # noqa: E402
import report  # noqa: E402
import transpile  # noqa: E402


def machine(work):
    def first(path, prefix):
        with open(path) as source:
            for line in source:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
        return "unknown"

    def version(command):
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "not found"

    return {
        "cpu": first("/proc/cpuinfo", "model name"), "cores": os.cpu_count(),
        "memory_gib": round(int(first("/proc/meminfo", "MemTotal").split()[0]) / 1024 / 1024, 1),
        "kernel": platform.release(), "disk": subprocess.run(["df", "-h", "--output=source,size", work], capture_output=True,
                                                             text=True).stdout.splitlines()[-1].strip(),
        "swift": version(["swift", "--version"]), "webhook": version(["webhook", "-version"]),
        "wrk": version(["wrk", "--version"]), "tsc": version(["tsc", "--version"]),
        "esbuild": version(["esbuild", "--version"]), "postgres": version(["psql", "--version"]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobrunner", required=True)
    parser.add_argument("--bench", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--postgres-url")
    parser.add_argument("--only", default="intake,queue,latency,transpile,history")
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the harness, not the figures")
    options = parser.parse_args()
    only = set(options.only.split(","))
    work = os.path.abspath(options.work)
    os.makedirs(work, exist_ok=True)
    quick = options.quick

    results = {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "machine": machine(work), "quick": quick}
    if "intake" in only:
        print("intake: Jobrunner vs webhook under wrk ...", file=sys.stderr)
        results["intake"] = intake.measure(options.jobrunner, work, seconds=3 if quick else 10, connections=16,
                                           threads=2, request_count=60_000 if quick else 200_000)
    if "queue" in only:
        print("queue: transitions vs raw commits ...", file=sys.stderr)
        results["queue"] = queue_bench.measure(options.bench, work, options.postgres_url,
                                               pipelines=200 if quick else 2000, workers=4, seconds=2 if quick else 5)
    if "latency" in only:
        print("latency: webhook -> script -> log pushed ...", file=sys.stderr)
        results["latency"] = latency.measure(options.jobrunner, options.bench, work, options.postgres_url,
                                             rounds=10 if quick else 50, warmup=3)
    if "transpile" in only:
        print("transpile: esbuild toolchain vs tsc ...", file=sys.stderr)
        results["transpile"] = transpile.measure(options.jobrunner, options.bench, work, runs=4 if quick else 12)

    if "history" in only:
        print("history: pages, lists and /metrics over a million pipelines ...", file=sys.stderr)
        results["history"] = history.measure(options.jobrunner, work, options.postgres_url,
                                             pipelines=3000 if quick else 1_000_000, rounds=3 if quick else 30,
                                             deliveries=20 if quick else 300)

    table = report.rows(results)
    results["targets"] = [{"benchmark": a, "jobrunner": b, "reference": c, "figure": d, "target": e, "met": met}
                          for a, b, c, d, e, met in table]
    os.makedirs(os.path.dirname(os.path.abspath(options.json)), exist_ok=True)
    with open(options.json, "w") as out:
        json.dump(results, out, indent=2)
        out.write("\n")
    m = results["machine"]
    print(f"\n{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, disk {m['disk']}")
    print(report.render(table))
    print(f"\nJSON: {options.json}")
    shutil.rmtree(os.path.join(work, "intake-jobrunner"), ignore_errors=True)


if __name__ == "__main__":
    main()
