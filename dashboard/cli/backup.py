"""`paintrail backup` and `paintrail restore`: SQLite online backups; PostgreSQL gets the pg_dump command.

Both run as an admin (--as-user): a backup is a copy of every patient and account, a restore replaces
them. A restore into a database that has accounts needs an admin of that database; into one without
accounts (a new file), an admin of the backup, checked read-only (nothing is counted in the backup).

Exit status: 0 done; 1 refused (a file that exists, a target that is not empty, a file that is not a
PainTrail database, ...), with one line saying why; 2 the database is PostgreSQL, which pg_dump and
pg_restore back up and restore: the line gives the exact command for the URL (never the password).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dashboard.cli.acting_account import ACTION_WORDS, AsUserOption, authorise, read_password
from dashboard.cli.common import DbOption, UserError, fail, open_database, shown_url, user_errors
from data_model.access.permissions import Action, can

# The store's backup code (and the ORM under it) is imported inside the commands.
if TYPE_CHECKING:
    from data_model.access.accounts import SignedIn

POSTGRES_EXIT = 2

ForceOption = Annotated[bool, typer.Option("--force", help="Replace what is there.")]


def _audit(url: str, user: SignedIn, action: str, detail: dict) -> str | None:
    """Record the event in the database at url (schema brought up to date first, as every command does);
    returns the schema revision."""
    from data_model.audit import record_event, set_actor
    from data_model.db import run_write
    from data_model.migrate import current_revision

    engine = open_database(url)
    try:
        run_write(engine, lambda session: record_event(set_actor(session, user.username), action, detail))
        return current_revision(engine)
    finally:
        engine.dispose()


def backup(
    out: Annotated[
        Path,
        typer.Option("--out", metavar="FILE", help="The backup file to write (a SQLite database).", show_default=False),
    ],
    as_user: AsUserOption,
    db: DbOption = None,
    force: ForceOption = False,
) -> None:
    """Back up the SQLite database into FILE while the app keeps running (SQLite's online backup).

    The copy is a consistent snapshot of the database as it is (taken before any pending schema
    migration), checked (integrity_check) before it is put in place; an existing FILE is replaced only
    with --force. Admins only; audited under --as-user. For PostgreSQL, prints the pg_dump command for
    the database and exits with status 2.
    """
    from data_model.backup import BackupError, UsePostgresTools, backup_sqlite, pg_dump_command, sqlite_file
    from data_model.db import resolve_url

    url = resolve_url(db)
    with user_errors():
        try:
            source = sqlite_file(url, "backup")
            if not source.is_file():
                raise BackupError(f"there is no database at {str(source)!r}")
            user = _admin_of(url, as_user, "backup")
            summary = backup_sqlite(url, out, force=force)
        except UsePostgresTools as exc:
            fail(f"{exc}: {pg_dump_command(url, out)}", POSTGRES_EXIT)
        except BackupError as exc:
            raise UserError(str(exc)) from None
        _audit(url, user, "backup", {"file": out.name, "path": str(out.resolve()), "rows": summary.rows})
    typer.echo(f"Backed up {shown_url(url)} to {out} ({summary.describe()}).")


def restore(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A backup made by `paintrail backup`.", show_default=False)
    ],
    as_user: AsUserOption,
    db: DbOption = None,
    force: ForceOption = False,
) -> None:
    """Restore a backup into the SQLite database (SQLite only), then bring its schema up to date.

    FILE must be an intact PainTrail database. A database that already holds data is replaced only
    with --force. The copy goes through SQLite's backup API, so an app that has the database open
    sees the old data or the restored data, never a mix. --as-user is an admin of the database replaced,
    or, when it has no account yet, an admin of the backup. The restore is audited in the restored
    database. For PostgreSQL, prints the pg_restore command and exits with status 2.
    """
    from data_model.backup import (
        BackupError,
        UsePostgresTools,
        account_count,
        check_paintrail_file,
        pg_restore_command,
        restore_sqlite,
        sqlite_file,
    )
    from data_model.db import resolve_url

    url = resolve_url(db)
    with user_errors():
        try:
            target = sqlite_file(url, "restore")
            check_paintrail_file(file)  # a file that is no backup is refused before anyone signs in
            if account_count(target):
                user = _admin_of(url, as_user, "restore")
            else:
                user = _admin_of_backup(file, as_user)
            summary = restore_sqlite(file, url, force=force)
        except UsePostgresTools as exc:
            fail(f"{exc}: {pg_restore_command(url, file)}", POSTGRES_EXIT)
        except BackupError as exc:
            raise UserError(str(exc)) from None
        revision = _audit(
            url,
            user,
            "restore",
            {"file": file.name, "path": str(file.resolve()), "rows": summary.rows, "backup_revision": summary.revision},
        )
    typer.echo(f"Restored {file} into {shown_url(url)} ({summary.describe()}); schema now at {revision}.")


def _admin_of(url: str, as_user: str, command: str) -> SignedIn:
    """An admin of the database at url, signed in as in the app; its schema is left as it is (a backup
    must copy the database as it was, before any migration)."""
    from data_model.db import make_engine

    engine = make_engine(url)
    try:
        return authorise(engine, as_user, Action.MANAGE_BACKUPS, command)
    finally:
        engine.dispose()


def _admin_of_backup(file: Path, as_user: str) -> SignedIn:
    """An admin account of the backup file, its password checked read-only (for a target with no account)."""
    from data_model.access.accounts import check_stored_password
    from data_model.backup import BackupError, stored_account

    if not file.is_file():
        raise BackupError(f"{str(file)!r} is not a file")
    name = (as_user or "").strip()
    user = check_stored_password(stored_account(file, name), read_password(name))
    if user is None:
        raise UserError(
            f"--as-user {name}: not an active account of the backup with that password "
            "(the database restored into has no account, so the backup's accounts decide)"
        )
    if not can(user.role, Action.MANAGE_BACKUPS):
        raise UserError(f"the {user.role} role may not {ACTION_WORDS[Action.MANAGE_BACKUPS]} (restore); admins may")
    return user
