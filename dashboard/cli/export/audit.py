"""`paintrail export audit --out FILE.csv`: the audit trail as CSV, for admins only.

When each entry was made (`at`) is written as the clinic reads it: in the site's time zone (its setting,
else the server's) with the zone named, '2026-12-03 14:05:07 CET', as the app's audit page shows it."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dashboard.cli.acting_account import AsUserOption, audit_command, open_as
from dashboard.cli.common import DbOption, UserError, user_errors
from dashboard.cli.export.out_file import write_atomically
from data_model.access.permissions import Action

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo


def audit_csv(entries, zone: ZoneInfo) -> str:
    """CSV text of audit entries, their times in the site's zone; every text cell is neutralised against
    spreadsheet formulas."""
    from dashboard.formatting import when
    from data_model.exchange.csv_folder.export import neutralise

    entries = entries.assign(at=[when(at, zone, missing="", seconds=True) for at in entries["at"]])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(entries.columns))
    for row in entries.itertuples(index=False):
        writer.writerow(["" if v is None else neutralise(str(v)) if isinstance(v, str) else v for v in row])
    return buffer.getvalue()


def export_audit_command(
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="The CSV file to write.", show_default=False)],
    as_user: AsUserOption,
    actor: Annotated[str | None, typer.Option("--actor", help="Only this user's entries.")] = None,
    table: Annotated[str | None, typer.Option("--table", help="Only writes to this table (e.g. visits).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many entries, newest first.")] = 1_000_000,
    db: DbOption = None,
) -> None:
    """Export the audit trail (who, when, what, before and after) as CSV, newest first. Admins only."""
    from data_model import queries
    from data_model.clock import site_zone
    from data_model.db import read_session

    with user_errors():
        if not out.parent.is_dir():
            raise UserError(f"--out: the folder {str(out.parent)!r} does not exist")
        engine, user = open_as(db, as_user, Action.VIEW_AUDIT, "export audit")
        try:
            with read_session(engine) as session:
                entries = queries.audit_frame(session, actor, table, None, limit)
                zone = site_zone(queries.load_settings(session))
            write_atomically(out, audit_csv(entries, zone))
            audit_command(engine, user, "export_audit", {"file": out.name, "entries": len(entries)})
        finally:
            engine.dispose()
    typer.echo(f"Wrote {out}: {len(entries)} audit entries (times in {zone.key}).")
