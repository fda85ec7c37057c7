"""The app at work: enters visits one transaction at a time until told to stop (tests/integration/test_backup.py).

    python -m tests.helpers.steady_writer --url URL --patient PID --stop FILE

Prints `ready` once connected, then writes visits for patient PID through run_write + commands.add_visit
(audited, actor "steady") until FILE exists; then prints one JSON line: {"written": n, "errors": [...]}.
Visit n carries notes "steady n", so a snapshot of the database holds visits 1..k, a prefix.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from data_model import commands
from data_model.audit import set_actor
from data_model.db import make_engine, run_write
from data_model.models import Visit

from .visit_writer import TODAY


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--patient", type=int, required=True)
    parser.add_argument("--stop", type=Path, required=True)
    args = parser.parse_args(argv)

    engine = make_engine(args.url)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    print("ready", flush=True)
    written, errors = 0, []
    while not args.stop.exists():
        n = written + 1

        def add_one(session: Session, n: int = n) -> Visit:
            return commands.add_visit(
                set_actor(session, "steady"),
                args.patient,
                {"visit_date": "2026-02-02", "back_pain": n % 11, "notes": f"steady {n}"},
                TODAY,
                allow_same_day=True,
                actor="steady",
            )

        try:
            run_write(engine, add_one)
            written = n
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            if len(errors) > 20:
                break
    engine.dispose()
    print(json.dumps({"written": written, "errors": errors}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
