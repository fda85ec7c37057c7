"""`paintrail import ...`: the import group; `import csv` here, other formats in dashboard/cli_import_*.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy import Engine, func, select

from dashboard.cli_common import DbOption, UserError, open_database, operator, user_errors
from data_model.db import read_session
from data_model.importers import import_csv_folder
from data_model.models import User
from data_model.permissions import Action, require

import_app = typer.Typer(help="Import clinical data (all or nothing, every row audited).", no_args_is_help=True)

AsUserOption = Annotated[
    str | None,
    typer.Option(
        "--as-user",
        metavar="NAME",
        help="Record the import in the audit trail as this PainTrail account (it must be active and allowed "
        "to enter data). Default: the operating-system user, as cli:<name>.",
        show_default=False,
    ),
]


def import_actor(engine: Engine, as_user: str | None) -> str:
    """The audit actor: a checked account name, or the operator when no account is given."""
    if as_user is None:
        return operator()
    with read_session(engine) as session:
        user = session.scalar(select(User).where(func.lower(User.username) == as_user.strip().lower()))
    if user is None or not user.active:
        raise UserError(f"--as-user: {as_user!r} is not an active PainTrail account")
    require(user.role, Action.ENTER_DATA)
    return user.username


@import_app.command("csv")
def import_csv(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="DIR",
            help="A folder with any of patients.csv, surgeries.csv, visits.csv, treatments.csv "
            "(UTF-8, header row, ISO dates; format in DESIGN.md).",
            show_default=False,
        ),
    ],
    db: DbOption = None,
    as_user: AsUserOption = None,
) -> None:
    """Import a folder of CSV files: every row is checked first, then all of it is written, or nothing.

    On any problem nothing is written and every problem is listed by file, line, column and value.
    Patients already in the database are refused (this import only adds new patients). The rows are
    written in batches as they are checked, and all show at once at the end: the app keeps working.
    """
    with user_errors():
        if not folder.is_dir():
            raise UserError(f"{str(folder)!r} is not a folder")
        engine = open_database(db)
        try:
            actor = import_actor(engine, as_user)
            console = Console(stderr=True)  # rows written so far: a million rows take minutes
            with Progress(TextColumn("Importing rows"), BarColumn(), MofNCompleteColumn(), console=console,
                          transient=True, disable=not console.is_terminal) as bar:
                task = bar.add_task("", total=None)
                report = import_csv_folder(
                    engine, folder, actor, progress=lambda done, total: bar.update(task, completed=done, total=total))
        finally:
            engine.dispose()
    typer.echo(report.format())
