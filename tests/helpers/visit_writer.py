"""A staff member entering visits, as its own OS process (tests/integration/test_concurrency.py).

    python -m tests.helpers.visit_writer --url URL --writer N --own PID [--shared PID] [--visits 40]

Goes through the real write path: data_model.db.run_write + commands.add_visit with audit.set_actor,
one transaction per visit, on an engine of its own (data_model.db.make_engine). For PostgreSQL the
URL carries the test schema (`options=-csearch_path=...`, see tests.conftest.subprocess_url).

Start-up protocol, so that all writers really start together: once the engine is connected the
worker prints `ready` and waits for one line on stdin (the test's "go"). Then it writes and prints one
JSON line: what it wrote, every error it saw (never raised, so the test can show them all), how many
transaction attempts it needed, and when its first write started and its last one ended.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import date, timedelta

from sqlalchemy import text

from data_model import commands
from data_model.audit import set_actor
from data_model.db import make_engine, run_write

TODAY = date(2026, 6, 1)
FIRST_DAY = date(2026, 1, 5)
SHARED_DAY = date(2026, 3, 2)


def actor(writer: int) -> str:
    return f"writer{writer}"


def planned_visits(writer: int, own: int, shared: int | None, n: int) -> list[dict]:
    """What writer `writer` enters: half its visits go to the shared patient (same day) when it has one."""
    plan = []
    for i in range(n):
        to_shared = shared is not None and i % 2 == 1
        plan.append(
            {
                "patient_id": shared if to_shared else own,
                # Own patient: one visit a day, so add_visit's same-day check (a read before the write)
                # runs; shared patient: every writer on the same day, confirmed (allow_same_day).
                "allow_same_day": to_shared,
                "values": {
                    "visit_date": (SHARED_DAY if to_shared else FIRST_DAY + timedelta(days=i)).isoformat(),
                    "back_pain": float(writer),
                    "leg_pain": i / 4,
                    "odi": float(i),
                    "numbness": i % 3 == 0,
                    "notes": f"writer {writer} visit {i}",
                },
            }
        )
    return plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--writer", type=int, required=True)
    parser.add_argument("--own", type=int, required=True)
    parser.add_argument("--shared", type=int)
    parser.add_argument("--visits", type=int, default=40)
    args = parser.parse_args(argv)

    engine = make_engine(args.url)
    with engine.connect() as conn:  # connected (and the SQLite pragmas applied) before "go"
        conn.execute(text("SELECT 1"))
    plan = planned_visits(args.writer, args.own, args.shared, args.visits)
    print("ready", flush=True)
    sys.stdin.readline()

    result: dict = {"writer": args.writer, "written": [], "errors": [], "attempts": 0}
    result["start"] = time.time()
    for item in plan:

        def action(session, item=item):
            result["attempts"] += 1
            set_actor(session, actor(args.writer))
            visit = commands.add_visit(
                session,
                item["patient_id"],
                item["values"],
                TODAY,
                allow_same_day=item["allow_same_day"],
                actor=actor(args.writer),
            )
            return visit.id

        try:
            visit_id = run_write(engine, action)
            result["written"].append({"id": visit_id, "patient_id": item["patient_id"], **item["values"]})
        except Exception as exc:
            result["errors"].append(f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")
    result["end"] = time.time()
    engine.dispose()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
