"""An import run under way in its own OS process (tests/integration/test_import_in_batches.py).

    python -m tests.helpers.staging_holder --url URL

Starts an import run (data_model.import_runs.import_run), writes one hidden patient in it, prints the
run's id, and waits for a line on stdin (or to be killed). On that line it leaves the run unfinished:
its own clean-up then clears it.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import insert

from data_model.db import make_engine, run_write
from data_model.import_runs import import_run
from data_model.models import Patient, utcnow


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    args = parser.parse_args(argv)
    engine = make_engine(args.url)
    with import_run(engine, "csv", "held", "holder") as run:
        run_write(
            engine,
            lambda session: session.execute(
                insert(Patient.__table__),
                {
                    "mrn": "HELD1",
                    "sex": "unknown",
                    "source": "csv",
                    "created_at": utcnow(),
                    "data_changed_at": utcnow(),
                    "import_id": run.id,
                },
            ),
        )
        print(run.id, flush=True)
        sys.stdin.readline()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
