"""Shared helpers: processes the benchmarks start, signing, percentiles, memory readings."""
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign(secret, body):
    """GitHub's X-Hub-Signature-256 value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def push_payload(repository, before, after, path, number):
    """A GitHub push event adding one script in one commit, with the fields intake reads."""
    commit = {"id": after, "message": f"Add {path} (#{number})", "timestamp": "2026-11-22T10:00:00Z",
              "author": {"name": "Alice", "email": "alice@example.com", "username": "alice"},
              "added": [path], "removed": [], "modified": []}
    return {"ref": "refs/heads/main", "before": before, "after": after, "created": False, "deleted": False,
            "forced": False, "commits": [commit], "head_commit": commit,
            "repository": {"full_name": repository, "name": repository.split("/")[1], "default_branch": "main",
                           "owner": {"login": repository.split("/")[0]}},
            "pusher": {"name": "alice", "email": "alice@example.com"}, "sender": {"login": "alice"}}


def percentile(samples, p):
    """Nearest-rank percentile, as jobrunner-bench computes it."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, int(-(-p * len(ordered) // 100)))
    return ordered[min(len(ordered), rank) - 1]


def summary(samples):
    return {"count": len(samples), "p50": percentile(samples, 50), "p99": percentile(samples, 99),
            "mean": sum(samples) / len(samples) if samples else 0.0, "max": max(samples) if samples else 0.0}


def rss_kib(pid, field="VmRSS"):
    """Resident memory of `pid` from /proc (VmRSS now, or VmHWM: the peak)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def memory_breakdown(pid, top=8):
    """Where `pid`'s resident memory is, in KiB: the kernel's totals (/proc/PID/smaps_rollup —
    PSS divides each shared page among the processes mapping it) and the mappings holding the most
    resident memory (/proc/PID/smaps), so a figure can say what is the process's own and what is
    shared, clean, file-backed code the kernel can drop at any time."""
    totals = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                totals[parts[0][:-1]] = int(parts[1])
    mappings = {}
    current = None
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            parts = line.split()
            if parts and not parts[0].endswith(":"):
                # A mapping's header: address range, permissions, offset, device, inode[, path].
                current = parts[5] if len(parts) > 5 else "[anonymous]"
            elif current and parts and parts[0] in ("Rss:", "Pss:", "Anonymous:"):
                entry = mappings.setdefault(current, {"rss_kib": 0, "pss_kib": 0, "anonymous_kib": 0})
                entry[{"Rss:": "rss_kib", "Pss:": "pss_kib", "Anonymous:": "anonymous_kib"}[parts[0]]] += int(parts[1])
    largest = sorted(mappings.items(), key=lambda item: -item[1]["rss_kib"])[:top]
    keys = ("Rss", "Pss", "Pss_Anon", "Pss_File", "Shared_Clean", "Private_Clean", "Private_Dirty", "Anonymous")
    return {"totals_kib": {key: totals.get(key, 0) for key in keys},
            "largest_mappings": [{"path": path, **entry} for path, entry in largest]}


def run(command, **kwargs):
    """Runs a command to its end; a failure says which command and what it printed."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def bench_json(binary, *arguments):
    """Runs a jobrunner-bench subcommand and returns the JSON object it printed."""
    return json.loads(run([binary, *arguments]).strip().splitlines()[-1])


class Service:
    """A server process the benchmark starts and stops: jobrunner serve or webhook."""

    def __init__(self, command, environment, log_path, ready_url, cwd=None):
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(command, env=environment, stdout=self.log, stderr=subprocess.STDOUT,
                                        cwd=cwd, start_new_session=True)
        deadline = time.time() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited {self.process.returncode} at start; see {log_path}")
            try:
                with urllib.request.urlopen(ready_url, timeout=1) as answer:
                    if answer.status < 500:
                        break
            except Exception as error:  # not listening yet, or an HTTP error status
                if getattr(error, "code", 500) < 500:
                    break
            if time.time() > deadline:
                raise RuntimeError(f"{command[0]} did not answer {ready_url} within 60 s; see {log_path}")
            time.sleep(0.05)

    @property
    def pid(self):
        return self.process.pid

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def jobrunner_environment(data, port, secret, repositories, **extra):
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": data,
        "JOBRUNNER_DATA_DIR": data, "JOBRUNNER_HTTP_PORT": str(port), "JOBRUNNER_WEBHOOK_SECRET": secret,
        "JOBRUNNER_REPOSITORIES": ",".join(repositories), "JOBRUNNER_SHUTDOWN_GRACE_PERIOD": "5s",
    }
    environment.update({key: str(value) for key, value in extra.items()})
    return environment


def fresh_postgres_database(url, name):
    """Creates (again) database `name` on the server of `url` and returns its URL."""
    run(["psql", "-q", url, "-c", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}"])
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")
