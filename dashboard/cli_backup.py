"""`paintrail backup` and `paintrail restore`: SQLite online backups; PostgreSQL gets the pg_dump command.

Exit status: 0 done; 1 refused (a file that exists, a target that is not empty, a file that is not a
PainTrail database, ...), with one line saying why; 2 the database is PostgreSQL, which pg_dump and
pg_restore back up and restore: the line gives the exact command for the URL (never the password).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dashboard.cli_common import DbOption, UserError, fail, open_database, operator, shown_url, user_errors
from data_model.audit import record_event, set_actor
from data_model.backup import (
    BackupError,
    UsePostgresTools,
    backup_sqlite,
    pg_dump_command,
    pg_restore_command,
    restore_sqlite,
)
from data_model.db import resolve_url, run_write
from data_model.migrate import current_revision

POSTGRES_EXIT = 2

ForceOption = Annotated[bool, typer.Option("--force", help="Replace what is there.")]


def _audit(url: str, action: str, detail: dict) -> str | None:
    """Record the event in the database at url (schema brought up to date first, as every command does);
    returns the schema revision."""
    engine = open_database(url)
    try:
        run_write(engine, lambda session: record_event(set_actor(session, operator()), action, detail))
        return current_revision(engine)
    finally:
        engine.dispose()


def backup(
    out: Annotated[
        Path, typer.Option("--out", metavar="FILE", help="The backup file to write (a SQLite database).",
                           show_default=False),
    ],
    db: DbOption = None,
    force: ForceOption = False,
) -> None:
    """Back up the SQLite database into FILE while the app keeps running (SQLite's online backup).

    The copy is a consistent snapshot of the database as it is (taken before any pending schema
    migration), checked (integrity_check) before it is put in place; an existing FILE is replaced only
    with --force. The backup is audited. For PostgreSQL, prints the pg_dump command for the database
    and exits with status 2.
    """
    url = resolve_url(db)
    with user_errors():
        try:
            summary = backup_sqlite(url, out, force=force)
        except UsePostgresTools as exc:
            fail(f"{exc}: {pg_dump_command(url, out)}", POSTGRES_EXIT)
        except BackupError as exc:
            raise UserError(str(exc)) from None
        _audit(url, "backup", {"file": out.name, "path": str(out.resolve()), "rows": summary.rows})
    typer.echo(f"Backed up {shown_url(url)} to {out} ({summary.describe()}).")


def restore(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A backup made by `paintrail backup`.", show_default=False)
    ],
    db: DbOption = None,
    force: ForceOption = False,
) -> None:
    """Restore a backup into the SQLite database (SQLite only), then bring its schema up to date.

    FILE must be an intact PainTrail database. A database that already holds data is replaced only
    with --force. The copy goes through SQLite's backup API, so an app that has the database open
    sees the old data or the restored data, never a mix. The restore is audited in the restored
    database. For PostgreSQL, prints the pg_restore command and exits with status 2.
    """
    url = resolve_url(db)
    with user_errors():
        try:
            summary = restore_sqlite(file, url, force=force)
        except UsePostgresTools as exc:
            fail(f"{exc}: {pg_restore_command(url, file)}", POSTGRES_EXIT)
        except BackupError as exc:
            raise UserError(str(exc)) from None
        revision = _audit(url, "restore", {"file": file.name, "path": str(file.resolve()), "rows": summary.rows,
                                           "backup_revision": summary.revision})
    typer.echo(f"Restored {file} into {shown_url(url)} ({summary.describe()}); schema now at {revision}.")
