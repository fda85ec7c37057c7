"""`paintrail`: the command line (demo, serve, seed, flags, import, export, users, bench); DESIGN.md has the contract."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer
from sqlalchemy import Engine, func, select

import dashboard
from dashboard import cli_backup, cli_bench, cli_flags, cli_serve
from dashboard.cli_auth import AsUserOption, open_as
from dashboard.cli_common import DbOption, OneLineErrorsGroup, UserError, parse_date, user_errors
from dashboard.cli_export import export_app
from dashboard.cli_import import import_app
from dashboard.cli_users import users_app
from data_model.access.permissions import Action
from data_model.db import read_session
from data_model.models import Patient

app = typer.Typer(
    name="paintrail",
    cls=OneLineErrorsGroup,
    help="PainTrail: follow patients with persistent pain after spine surgery.",
    no_args_is_help=True,
    add_completion=False,
    # Locals can hold passwords and patient data: never print them, even for a genuine bug.
    pretty_exceptions_show_locals=False,
)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(users_app, name="users")
app.command("serve")(cli_serve.serve)
app.command("demo")(cli_serve.demo)
app.command("flags")(cli_flags.flags)
app.command("backup")(cli_backup.backup)
app.command("restore")(cli_backup.restore)
app.command("bench")(cli_bench.bench)

# Further importers (`paintrail import fhir`, ...) live in their own dashboard/cli_import_*.py module,
# registering on cli_import.import_app, and further exports (`paintrail export csv`, ...) in
# dashboard/cli_export_*.py on cli_export.export_app; importing them here is all it takes to add them.
for _module in pkgutil.iter_modules(dashboard.__path__):
    if _module.name.startswith(("cli_import_", "cli_export_")):
        importlib.import_module(f"dashboard.{_module.name}")


def _version(value: bool) -> None:
    if value:
        try:
            typer.echo(f"paintrail {version('paintrail')}")
        except PackageNotFoundError:
            typer.echo("paintrail (not installed)")
        raise typer.Exit()


@app.callback()
def main(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """PainTrail: follow patients with persistent pain after spine surgery.

    Every command that touches data takes --db URL (else $PAINTRAIL_DATABASE_URL, else
    sqlite:///paintrail.db in the current folder) and brings the schema up to date first. Every command
    that reads or writes patients or accounts runs as a PainTrail account: --as-user NAME (else
    $PAINTRAIL_USER), its password from $PAINTRAIL_PASSWORD, a hidden prompt, or the first line of stdin.
    """


def _refuse_real_patients(engine: Engine) -> None:
    """Synthetic patients must never mix with real ones: refuse a database holding non-seed patients."""
    with read_session(engine) as session:
        real = session.scalar(select(func.count(Patient.id)).where(Patient.source != "seed"))
    if real:
        raise UserError(f"the database holds {real} real (non-synthetic) patients; seed a separate database with --db")


@app.command()
def seed(
    patients: Annotated[int, typer.Option("--patients", min=0, help="How many synthetic patients to write.")],
    as_user: AsUserOption,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same cohort.")] = 42,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", help="The cohort's 'today' (YYYY-MM-DD); nothing is dated later. "
                     "Default: today.", show_default=False),
    ] = None,
    dense: Annotated[
        bool,
        typer.Option("--dense", help="Also see everyone routinely every few weeks: about 20 visits per patient "
                     "(100,000 patients: two million visits), as a large network's load for benchmarks."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Write a synthetic cohort (patients, surgeries, visits, treatments) for demos and tests.

    The cohort is invented: never seed a database that holds real patients. Runs as --as-user (any role
    that enters data), under whose name every row is audited.
    """
    with user_errors():
        today: date = parse_date("--as-of", as_of)
        engine, user = open_as(db, as_user, Action.ENTER_DATA, "seed")
        try:
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


if __name__ == "__main__":
    app()
