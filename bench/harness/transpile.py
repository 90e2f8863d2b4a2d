"""Transpile: Jobrunner's esbuild toolchain against `tsc` (Debian's node-typescript) on the same
TypeScript scripts, each compiled on its own, best-of-N wall time per script.

The toolchain is timed twice: as PROCESS runs it in the service (`ScriptBuilder.build` in a
long-lived process, through jobrunner-bench — the figure the target is about), and as an
engineer runs it (`jobrunner transpile`, a whole command including the process start and the
toolchain version questions)."""
import os
import shutil
import subprocess
import time

from common import bench_json

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPTS = ["examples/backfill-display-names.ts", "bench/scripts/reconcile-invoices.ts",
           "bench/scripts/rename-feature-flags.ts"]


def timed(command, cwd, environment=None):
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=environment)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return elapsed


def measure(jobrunner, bench, work, runs):
    out = os.path.join(work, "transpile")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    environment = dict(os.environ, JOBRUNNER_DATA_DIR=out)
    in_process = {entry["script"]: entry for entry in bench_json(
        bench, "transpile", "--directory", out, "--runs", str(runs * 2), *[os.path.join(ROOT, s) for s in SCRIPTS])}
    per_script = []
    for script in SCRIPTS:
        service = in_process[os.path.join(ROOT, script)]["builds"]["p50"] / 1000
        esbuild = min(timed([jobrunner, "transpile", script, "-o", os.path.join(out, "esbuild.mjs")], ROOT, environment)
                      for _ in range(runs))
        # tsc type-checks as well: that is what running `tsc` costs. Node's globals come from a
        # small declaration file (Debian ships no @types/node).
        tsc = min(timed(["tsc", "--target", "es2022", "--module", "es2022", "--moduleResolution", "node",
                         "--outDir", os.path.join(out, "tsc"), os.path.join(HERE, "..", "scripts", "node-globals.d.ts"),
                         script], ROOT)
                  for _ in range(max(1, runs // 4)))
        per_script.append({"script": script, "service_ms": service * 1000, "command_ms": esbuild * 1000,
                           "tsc_ms": tsc * 1000})
    totals = {key: sum(entry[key] for entry in per_script) for key in ("service_ms", "command_ms", "tsc_ms")}
    return {"scripts": per_script, **totals, "ratio": totals["tsc_ms"] / totals["service_ms"],
            "command_ratio": totals["tsc_ms"] / totals["command_ms"]}
