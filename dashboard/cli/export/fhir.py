"""`paintrail export fhir --out FILE`: every patient as one FHIR R4 Bundle (JSON)."""

from __future__ import annotations

import json
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
from dashboard.cli.export.out_file import OutOption, write_atomically


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
    from data_model.db import read_session
    from data_model.exchange.fhir.export import export_fhir

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
