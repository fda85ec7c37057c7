"""`paintrail bench`: the speed-at-scale benchmark on SQLite and PostgreSQL (a table, and JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dashboard.cli.common import optional_date, user_errors

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def bench(
    patients: Annotated[int, typer.Option("--patients", min=1, help="Patients in the seeded cohort.")] = 100_000,
    dense: Annotated[
        bool,
        typer.Option(
            "--dense/--no-dense",
            help="Dense follow-up, about 20 visits a patient (100,000 patients: "
            "two million visits), or the calibrated clinic's about 6.",
        ),
    ] = True,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Timed runs per measure; the table shows the median.")] = 5,
    postgres_url: Annotated[
        str,
        typer.Option(
            "--postgres-url",
            metavar="URL",
            help="PostgreSQL database to benchmark in (a throwaway schema is created there and dropped after).",
        ),
    ] = DEFAULT_POSTGRES_URL,
    skip_postgres: Annotated[bool, typer.Option("--skip-postgres", help="Benchmark SQLite only.")] = False,
    json_path: Annotated[
        Path, typer.Option("--json", metavar="PATH", help="Where to write every figure as JSON.")
    ] = Path("bench-results.json"),
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the cohort and of the sampled patients.")] = 42,
    import_rows: Annotated[
        int,
        typer.Option(
            "--import-rows",
            min=1,
            help="Rows of the CSV import that 8 staff keep saving visits beside "
            "(new patients with their surgeries, visits and treatments).",
        ),
    ] = 1_000_000,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="The cohort's today and the measures' as-of date "
            "(YYYY-MM-DD). Default: today in the server's zone (the throwaway databases' own setting).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Benchmark at scale: seed a throwaway cohort on SQLite and PostgreSQL, time each figure of the
    speed targets (median of --runs), then staff saving visits while a big CSV import runs; print a
    table with target and status, and write JSON.

    Progress goes to stderr. Exits 1 when PostgreSQL was asked for and could not be used.
    """
    from dashboard.benchmark.run import Params, run
    from data_model.clock import site_today
    from data_model.settings import DEFAULT_SETTINGS
    from sample_data.params import DENSE_VISITS_PER_PATIENT

    with user_errors():
        params = Params(
            patients=patients,
            visits_per_patient=DENSE_VISITS_PER_PATIENT if dense else None,
            runs=runs,
            seed=seed,
            # the throwaway databases keep the default settings: the site's zone is the server's
            as_of=optional_date("--as-of", as_of) or site_today(DEFAULT_SETTINGS),
            postgres_url=None if skip_postgres else postgres_url,
            json_path=json_path,
            import_rows=import_rows,
        )
    code = run(params)
    if code:
        raise typer.Exit(code)
