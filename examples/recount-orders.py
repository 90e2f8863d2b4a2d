# Recomputes each customer's order count and reports the ones that drifted, as JSON lines.
import json
import os
import sys

dry_run = os.environ.get("DRY_RUN", "1") != "0"
orders = [("c1", 1), ("c1", 2), ("c2", 3)]
stored_counts = {"c1": 2, "c2": 5}

actual = {}
for customer, _ in orders:
    actual[customer] = actual.get(customer, 0) + 1
drifted = {c: (stored_counts.get(c), n) for c, n in actual.items() if stored_counts.get(c) != n}
for customer, (stored, real) in sorted(drifted.items()):
    print(json.dumps({"customer": customer, "stored": stored, "actual": real, "fixed": not dry_run}))
print(f"recount done: {len(drifted)} customers drifted{' (dry run)' if dry_run else ''}", file=sys.stderr)
