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

from dashboard.cli_auth import AsUserOption, IdentifiedOption, audit_command, export_action, export_key, open_as
from dashboard.cli_common import DbOption, UserError, user_errors
from data_model.db import read_session
from data_model.exchange.fhir.export import export_fhir

export_app = typer.Typer(help="Export data: de-identified unless asked otherwise.", no_args_is_help=True)

OutOption = Annotated[
    Path, typer.Option("--out", metavar="FILE", help="The file to write (replaced if it exists).", show_default=False)
]


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write text (UTF-8) or bytes to path through a temporary file in the same folder: never a
    half-written file."""
    if not path.parent.is_dir():
        raise UserError(f"--out: the folder {str(path.parent)!r} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@export_app.command("fhir")
def export_fhir_command(
    out: OutOption,
    as_user: AsUserOption,
    db: DbOption = None,
    identified: IdentifiedOption = False,
    bundle_type: Annotated[
        str, typer.Option("--bundle-type", metavar="collection|transaction", help="The Bundle type.")
    ] = "collection",
) -> None:
    """Export every patient as one FHIR R4 Bundle (JSON): patients, surgeries, visit measures, treatments.

    De-identified by default (clinicians and admins); --identified keeps identities (admins only).
    """
    with user_errors():
        if bundle_type not in ("collection", "transaction"):
            raise UserError(f"--bundle-type: {bundle_type!r} must be collection or transaction")
        if not out.parent.is_dir():
            raise UserError(f"--out: the folder {str(out.parent)!r} does not exist")
        engine, user = open_as(db, as_user, export_action(identified), "export fhir")
        try:
            key = None if identified else export_key(engine, user)
            with read_session(engine) as session:
                bundle = export_fhir(session, deidentify=not identified, key=key, bundle_type=bundle_type)
            write_atomically(out, json.dumps(bundle, ensure_ascii=False, indent=1))
            kinds: dict[str, int] = {}
            for entry in bundle["entry"]:
                kinds[entry["resource"]["resourceType"]] = kinds.get(entry["resource"]["resourceType"], 0) + 1
            audit_command(engine, user, "export_fhir", {"file": out.name, "identified": identified, "resources": kinds})
        finally:
            engine.dispose()
    shown = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "no resources"
    kind = "identified" if identified else "de-identified"
    typer.echo(f"Wrote {out} ({kind} FHIR R4 {bundle_type} Bundle): {shown}.")
