"""`python -m sample_data --patients N`: generate a synthetic cohort and write it, with timings."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from data_model.clock import site_today_of
from data_model.db import make_engine, resolve_url
from data_model.migrate import upgrade

from .generator import generate_cohort
from .params import DENSE_VISITS_PER_PATIENT
from .writer import write_cohort


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sample_data", description=__doc__)
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: the site's today)")
    parser.add_argument("--dense", action="store_true", help="about 20 visits per patient (routine follow-up)")
    parser.add_argument("--db", default=None, help="database URL (default: $PAINTRAIL_DATABASE_URL or SQLite)")
    args = parser.parse_args(argv)
    engine = make_engine(resolve_url(args.db))
    upgrade(engine)
    started = time.perf_counter()
    frames = generate_cohort(
        args.patients,
        seed=args.seed,
        today=args.today or site_today_of(engine),  # the date the database's site is on (its time zone)
        visits_per_patient=DENSE_VISITS_PER_PATIENT if args.dense else None,
    )
    generated = time.perf_counter()
    try:
        counts = write_cohort(engine, frames)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    written = time.perf_counter()
    print(", ".join(f"{n} {name}" for name, n in counts.items()))
    print(f"generated in {generated - started:.1f} s, written in {written - generated:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
