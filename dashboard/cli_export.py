"""`paintrail export ...`: the export group; `export fhir` here, other formats in dashboard/cli_export_*.py.

A new format registers itself on export_app in its own module (dashboard/cli_export_<name>.py, using
`@export_app.command("<name>")`); dashboard/cli.py imports every such module.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from dashboard.cli_common import DbOption, UserError, open_database, operator, user_errors
from data_model.audit import record_event, set_actor
from data_model.db import read_session, write_session
from data_model.exporters import export_fhir
from data_model.pseudonyms import KEY_ENV, PseudonymKeyMissing

export_app = typer.Typer(help="Export data: de-identified unless asked otherwise.", no_args_is_help=True)

OutOption = Annotated[
    Path, typer.Option("--out", metavar="FILE", help="The file to write (replaced if it exists).", show_default=False)
]


def write_atomically(path: Path, text: str) -> None:
    """Write text to path through a temporary file in the same folder: never a half-written file."""
    if not path.parent.is_dir():
        raise UserError(f"--out: the folder {str(path.parent)!r} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@export_app.command("fhir")
def export_fhir_command(
    out: OutOption,
    db: DbOption = None,
    identified: Annotated[
        bool,
        typer.Option("--identified", help="Keep MRNs, names, notes and true dates. Default: de-identified "
                     f"(pseudonyms from the site secret ${KEY_ENV}, no names or notes, dates shifted per patient)."),
    ] = False,
    bundle_type: Annotated[
        str, typer.Option("--bundle-type", metavar="collection|transaction", help="The Bundle type.")
    ] = "collection",
) -> None:
    """Export every patient as one FHIR R4 Bundle (JSON): patients, surgeries, visit measures, treatments.

    De-identified by default; --identified keeps identities (role checks come with accounts on the command line).
    """
    with user_errors():
        if bundle_type not in ("collection", "transaction"):
            raise UserError(f"--bundle-type: {bundle_type!r} must be collection or transaction")
        engine = open_database(db)
        try:
            with read_session(engine) as session:
                try:
                    bundle = export_fhir(session, deidentify=not identified, bundle_type=bundle_type)
                except PseudonymKeyMissing as exc:
                    raise UserError(f"{exc}, or pass --identified") from None
            write_atomically(out, json.dumps(bundle, ensure_ascii=False, indent=1))
            kinds: dict[str, int] = {}
            for entry in bundle["entry"]:
                kinds[entry["resource"]["resourceType"]] = kinds.get(entry["resource"]["resourceType"], 0) + 1
            with write_session(engine) as session:
                set_actor(session, operator())
                record_event(session, "export_fhir", {"file": out.name, "identified": identified, "resources": kinds})
        finally:
            engine.dispose()
    shown = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "no resources"
    kind = "identified" if identified else "de-identified"
    typer.echo(f"Wrote {out} ({kind} FHIR R4 {bundle_type} Bundle): {shown}.")
