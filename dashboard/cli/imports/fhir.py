"""`paintrail import fhir PATH...`: FHIR R4 bundles, one transaction per bundle, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dashboard.cli.acting_account import AsUserOption, open_as
from dashboard.cli.common import DbOption, UserError, user_errors
from data_model.access.permissions import Action


def import_fhir_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...",
            help="FHIR R4 Bundle files (JSON), or folders searched for *.json recursively.",
            show_default=False,
        ),
    ],
    as_user: AsUserOption,
    db: DbOption = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Reject a whole bundle when any resource in it has bad data "
            "(by default that resource is skipped and listed).",
        ),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="List every data error, not only the first 20.")] = False,
) -> None:
    """Import FHIR R4 bundles: patients, spine surgeries, pain scores, ODI, pain medications, diagnoses.

    Each bundle is one transaction: all of it, or none of it when it cannot be read.
    A rejected bundle does not stop the others. Importing the same bundle again adds nothing.
    The report lists what was imported, what was skipped and why, and the resource types not read.
    Exit status 1 when any bundle was rejected.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from data_model.exchange.fhir.bundle_import import import_fhir
    from data_model.exchange.fhir.read import bundle_files

    with user_errors():
        files, problems = bundle_files(paths)
        if not files:
            raise UserError("; ".join(problems) or "no FHIR bundle files given")
        engine, user = open_as(db, as_user, Action.ENTER_DATA, "import fhir")
        try:
            actor = user.username
            console = Console(stderr=True)
            with Progress(
                TextColumn("Importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=console,
                transient=True,
                disable=len(files) < 2 or not console.is_terminal,
            ) as bar:
                task = bar.add_task("", total=len(files))

                def advance(done: int, total: int, path: Path) -> None:
                    bar.update(task, completed=done, description=path.name)

                report = import_fhir(engine, paths, actor, progress=advance, strict=strict)
        finally:
            engine.dispose()
    typer.echo(report.format(verbose=verbose))
    if not report.ok:
        typer.echo("Error: " + report.failure_line(), err=True)
        raise typer.Exit(1)
