# jobrunner: timeout=30m
"""Recomputes orders.total with the application's own rule, through the database driver in the
application's virtualenv. It runs with APP_DIR/.venv/bin/python, APP_DIR importable (so `app`
is the application's package) and the application's settings (DATABASE_URL)."""
import os

import psycopg  # installed in the application's virtualenv

from app.orders import order_total

dry_run = os.environ.get("DRY_RUN", "1") != "0"
with psycopg.connect(os.environ.get("DATABASE_URL", "")) as connection:
    orders = connection.execute("SELECT id, total, lines FROM orders").fetchall()
    drifted = [(order_id, order_total(lines)) for order_id, total, lines in orders if order_total(lines) != total]
    for order_id, total in drifted:
        print(f"{'would set' if dry_run else 'set'} order {order_id} total={total}")
        if not dry_run:
            connection.execute("UPDATE orders SET total = %s WHERE id = %s", (total, order_id))
print(f"recount done: {len(drifted)} of {len(orders)} orders drifted{' (dry run)' if dry_run else ''}")
