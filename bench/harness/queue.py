"""Queue: stage transitions per second on SQLite and PostgreSQL against the raw durable commit
rate of the same database on the same disk (jobrunner-bench `queue` and `commit-rate`)."""
import os

from common import bench_json, fresh_postgres_database


def measure(bench, work, postgres_url, pipelines, workers, seconds):
    results = {}
    sqlite_dir = os.path.join(work, "queue-sqlite")
    os.makedirs(sqlite_dir, exist_ok=True)
    for name in os.listdir(sqlite_dir):
        os.remove(os.path.join(sqlite_dir, name))
    results["sqlite"] = {
        "raw": bench_json(bench, "commit-rate", "--database", os.path.join(sqlite_dir, "raw.sqlite"),
                          "--clients", str(workers), "--seconds", str(seconds)),
        "queue": bench_json(bench, "queue", "--database", os.path.join(sqlite_dir, "queue.sqlite"),
                            "--workers", str(workers), "--pipelines", str(pipelines)),
    }
    if postgres_url:
        results["postgres"] = {
            "raw": bench_json(bench, "commit-rate", "--database", fresh_postgres_database(postgres_url, "bench_raw"),
                              "--clients", str(workers), "--seconds", str(seconds)),
            "queue": bench_json(bench, "queue", "--database", fresh_postgres_database(postgres_url, "bench_queue"),
                                "--workers", str(workers), "--pipelines", str(pipelines)),
        }
    for result in results.values():
        result["ratio"] = result["queue"]["transitions_per_second"] / result["raw"]["commits_per_second"]
    return results
