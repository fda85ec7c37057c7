"""`paintrail import csv DIR`: a folder of CSV files, all or nothing, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dashboard.cli.acting_account import AsUserOption, open_as
from dashboard.cli.common import DbOption, UserError, user_errors
from data_model.access.permissions import Action


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
    as_user: AsUserOption,
    db: DbOption = None,
) -> None:
    """Import a folder of CSV files: every row is checked first, then all of it is written, or nothing.

    On any problem nothing is written and every problem is listed by file, line, column and value.
    Patients already in the database are refused (this import only adds new patients). Every row is
    audited under --as-user, an account allowed to enter data (any role). The rows are written in
    batches as they are checked, and all show at once at the end: the app keeps working.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from data_model.exchange.csv_folder.folder_import import import_csv_folder

    with user_errors():
        if not folder.is_dir():
            raise UserError(f"{str(folder)!r} is not a folder")
        engine, user = open_as(db, as_user, Action.ENTER_DATA, "import csv")
        try:
            console = Console(stderr=True)  # rows written so far: a million rows take minutes
            with Progress(
                TextColumn("Importing rows"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
                transient=True,
                disable=not console.is_terminal,
            ) as bar:
                task = bar.add_task("", total=None)
                report = import_csv_folder(
                    engine,
                    folder,
                    user.username,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        finally:
            engine.dispose()
    typer.echo(report.format())
