"""`paintrail export csv --out DIR`: every patient as the CSV import folder, de-identified unless --identified."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dashboard.cli.acting_account import (
    AsUserOption,
    IdentifiedOption,
    audit_command,
    export_action,
    export_key,
    open_as,
)
from dashboard.cli.common import DbOption, UserError, user_errors


def export_csv_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="DIR",
            help="The folder to write patients.csv, surgeries.csv, visits.csv "
            "and treatments.csv into (created if missing; those files are replaced).",
            show_default=False,
        ),
    ],
    as_user: AsUserOption,
    identified: IdentifiedOption = False,
    db: DbOption = None,
) -> None:
    """Export every patient in the CSV import format (README), which `paintrail import csv` reads back.

    De-identified by default (clinicians and admins): pseudonyms for MRNs, no names, surgeons or notes,
    each patient's dates shifted alike. --identified keeps everything (admins only). Text cells a
    spreadsheet would run as a formula get a leading apostrophe.
    """
    from data_model.db import read_session
    from data_model.exchange.csv_folder.export import export_csv, write_folder

    with user_errors():
        if out.exists() and not out.is_dir():
            raise UserError(f"--out: {str(out)!r} is a file, not a folder")
        if not out.parent.is_dir():
            raise UserError(f"--out: the folder {str(out.parent)!r} does not exist")
        engine, user = open_as(db, as_user, export_action(identified), "export csv")
        try:
            key = None if identified else export_key(engine, user)
            with read_session(engine) as session:
                exported = export_csv(session, deidentify=not identified, key=key)
            write_folder(exported, out)
            audit_command(
                engine,
                user,
                "export_csv",
                {
                    "folder": out.name,
                    "identified": identified,
                    "rows": exported.counts(),
                    "left_out": exported.left_out,
                },
            )
        finally:
            engine.dispose()
    kind = "identified" if identified else "de-identified"
    files = ", ".join(f"{name} {count} rows" for name, count in exported.counts().items())
    typer.echo(f"Wrote {out} ({kind}): {files}.")
    for what, count in exported.left_out.items():
        typer.echo(f"Left out {count} {what}.")
