"""`paintrail seed`: a synthetic cohort for demos, tests and benchmarks, refused beside real patients."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from dashboard.cli.acting_account import AsUserOption, open_as
from dashboard.cli.common import DbOption, UserError, optional_date, site_today_of, user_errors
from data_model.access.permissions import Action

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _refuse_real_patients(engine: Engine) -> None:
    """Synthetic patients must never mix with real ones: refuse a database holding non-seed patients."""
    from data_model import queries
    from data_model.db import read_session

    with read_session(engine) as session:
        real = queries.patient_count(session, real_only=True)
    if real:
        raise UserError(f"the database holds {real} real (non-synthetic) patients; seed a separate database with --db")


def seed(
    patients: Annotated[int, typer.Option("--patients", min=0, help="How many synthetic patients to write.")],
    as_user: AsUserOption,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same cohort.")] = 42,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="The cohort's 'today' (YYYY-MM-DD); nothing is dated later. Default: the site's today, in its time zone.",
            show_default=False,
        ),
    ] = None,
    dense: Annotated[
        bool,
        typer.Option(
            "--dense",
            help="Also see everyone routinely every few weeks: about 20 visits per patient "
            "(100,000 patients: two million visits), as a large network's load for benchmarks.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Write a synthetic cohort (patients, surgeries, visits, treatments) for demos and tests.

    The cohort is invented: never seed a database that holds real patients. Runs as --as-user (any role
    that enters data), under whose name every row is audited.
    """
    with user_errors():
        given = optional_date("--as-of", as_of)
        engine, user = open_as(db, as_user, Action.ENTER_DATA, "seed")
        try:
            today: date = given or site_today_of(engine)
            from sample_data.generator import generate_cohort
            from sample_data.params import DENSE_VISITS_PER_PATIENT
            from sample_data.writer import write_cohort

            _refuse_real_patients(engine)
            kind = " with dense follow-up" if dense else ""
            typer.echo(f"Generating {patients} synthetic patients{kind} (seed {seed}, as of {today.isoformat()})...")
            frames = generate_cohort(patients, seed, today, DENSE_VISITS_PER_PATIENT if dense else None)
            typer.echo("Writing them to the database...")
            try:
                counts = write_cohort(engine, frames, actor=user.username)
            except ValueError as exc:  # MRNs already in the database: nothing was written
                raise UserError(f"{exc} (seed an empty database, or pass --db for another one)") from None
        finally:
            engine.dispose()
        typer.echo("Done: " + ", ".join(f"{count} {name}" for name, count in counts.items()) + ".")
