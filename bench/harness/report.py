"""The table `bench/run` prints: each figure beside its reference and its target."""


def rows(results):
    """(benchmark, Jobrunner, reference, figure compared, target, met) for every measured target."""
    table = []
    intake = results.get("intake")
    if intake:
        ours, theirs = intake["jobrunner"], intake["webhook"]
        ratio = ours["per_second"] / theirs["per_second"]
        table.append(("intake deliveries/s (wrk)", f"{ours['per_second']:.0f}", f"webhook {theirs['per_second']:.0f}",
                      f"{ratio:.2f}x", ">= 1.0x", ratio >= 1.0))
        table.append(("intake p50 / p99 ms", f"{ours['p50_ms']:.2f} / {ours['p99_ms']:.2f}",
                      f"webhook {theirs['p50_ms']:.2f} / {theirs['p99_ms']:.2f}", f"p99 {ours['p99_ms']:.2f}",
                      "p99 <= webhook's", ours["p99_ms"] <= theirs["p99_ms"]))
        memory = intake["memory"]
        table.append(("RSS idle MB", f"{memory['idle_mb']:.1f}", f"anonymous {memory['idle_anonymous_mb']:.1f}",
                      f"{memory['idle_mb']:.1f}", "<= 40", memory["idle_mb"] <= 40))
        if "idle_breakdown" in memory:
            ours_kib, theirs_kib = memory["idle_breakdown"]["totals_kib"], memory["webhook_idle_breakdown"]["totals_kib"]
            table.append(("PSS idle MB (own anonymous)", f"{ours_kib['Pss'] * 1024 / 1e6:.1f} ({ours_kib['Pss_Anon'] * 1024 / 1e6:.1f})",
                          f"webhook {theirs_kib['Pss'] * 1024 / 1e6:.1f} ({theirs_kib['Pss_Anon'] * 1024 / 1e6:.1f})",
                          "—", "(context)", None))
        table.append(("RSS peak under intake load MB", f"{memory['loaded_peak_mb']:.1f}",
                      f"anonymous {memory['loaded_anonymous_mb']:.1f}", f"{memory['loaded_peak_mb']:.1f}", "<= 150",
                      memory["loaded_peak_mb"] <= 150))
    queue = results.get("queue")
    if queue:
        for driver, result in queue.items():
            rate = result["queue"]["transitions_per_second"]
            raw = result["raw"]["commits_per_second"]
            workers = result["queue"]["workers"]
            if driver == "sqlite":
                target, met = ">= 0.8x raw", result["ratio"] >= 0.8
            else:
                target, met = f">= 2000/s ({workers} workers)", rate >= 2000
            table.append((f"queue transitions/s, {driver}", f"{rate:.0f}", f"raw commits {raw:.0f}",
                          f"{result['ratio']:.2f}x", target, met))
    latency = results.get("latency")
    if latency:
        parts = latency["parts"]
        for driver, limit in (("sqlite", 10), ("postgres", 30)):
            if driver not in latency:
                continue
            start = latency[driver]["ack_to_start_ms"]
            table.append((f"ack -> script started ms, {driver}", f"p50 {start['p50']:.1f} p99 {start['p99']:.1f}",
                          f"spawn alone {parts['spawn']['to_script_start']['p50']:.1f}", f"p50 {start['p50']:.1f}",
                          f"p50 <= {limit}", start["p50"] <= limit))
        for driver in ("sqlite", "postgres"):
            if driver not in latency:
                continue
            loop = latency[driver]["webhook_to_log_pushed_ms"]
            table.append((f"webhook -> log pushed ms, {driver}", f"p50 {loop['p50']:.0f} p99 {loop['p99']:.0f}",
                          f"spawn+push alone {parts['floor_ms']:.0f}", f"p50 {loop['p50']:.0f}", "p50 <= 300",
                          loop["p50"] <= 300))
    transpile = results.get("transpile")
    if transpile:
        table.append(("transpile ms, 3 scripts (PROCESS)", f"esbuild {transpile['service_ms']:.0f}",
                      f"tsc {transpile['tsc_ms']:.0f}", f"{transpile['ratio']:.0f}x faster", ">= 50x", transpile["ratio"] >= 50))
        table.append(("transpile ms, `jobrunner transpile`", f"{transpile['command_ms']:.0f}", f"tsc {transpile['tsc_ms']:.0f}",
                      f"{transpile['command_ratio']:.0f}x faster", "(no target)", True))
    history = results.get("history")
    if history:
        for driver, result in history.items():
            requests = result["requests"]
            slowest = max(requests, key=lambda name: requests[name]["p99"])
            worst = requests[slowest]["p99"]
            table.append((f"history p99 ms, {driver}, {result['pipelines']} pipelines", f"{worst:.1f} ({slowest})",
                          f"empty: {max(r['p99'] for r in result['empty']['requests'].values()):.1f}", f"{worst:.1f}",
                          "<= 50 for every request", worst <= 50))
            full, empty = result["intake"]["per_second"], result["empty"]["intake"]["per_second"]
            table.append((f"history intake/s (one at a time), {driver}", f"{full:.0f}", f"empty {empty:.0f}",
                          f"{full / empty:.2f}x", ">= 0.9x empty", full / empty >= 0.9))
    return table


def render(table):
    header = ("benchmark", "Jobrunner", "reference", "figure", "target", "met")
    lines = [header] + [(a, b, c, d, e, "—" if met is None else "yes" if met else "NO") for a, b, c, d, e, met in table]
    widths = [max(len(str(line[column])) for line in lines) for column in range(len(header))]
    out = []
    for number, line in enumerate(lines):
        out.append("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip())
        if number == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)
