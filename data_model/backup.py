"""Backup and restore of a SQLite PainTrail database with SQLite's online backup API.

- backup_sqlite copies the live database into a new single-file database (rollback journal, no -wal
  beside it) while the app keeps working: the copy is made in one step inside one read transaction,
  so it is a consistent snapshot of the last commit, and in WAL mode writers are not held up by it.
  It goes to a temporary file first and is renamed into place only after PRAGMA integrity_check
  passed: FILE is never a half-written backup.
- restore_sqlite checks that a file is a PainTrail database (integrity_check ok, an alembic_version
  this PainTrail knows), then copies it into the target through the backup API, page by page under
  the target's own locks, so an app with the target open sees either the old database or the
  restored one, never a mix (a plain file copy under a live -wal file can corrupt it).
- PostgreSQL has its own tools: pg_dump_command / pg_restore_command give the exact command for a URL
  (without the password).

Both backup and restore are audited by the command line (dashboard/cli/backup.py) with audit.record_event.
"""

from __future__ import annotations

import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .atomic_files import replaced_atomically
from .db import SQLITE_BUSY_TIMEOUT_MS
from .migrate import alembic_config

# Tables whose rows make a database "in use": restore refuses to overwrite one without force.
SUMMARY_TABLES = ("patients", "visits", "surgeries", "treatments", "users", "audit_log")


class BackupError(ValueError):
    """A backup or restore that cannot be done; the message says why in one line, nothing was changed."""


class NotSqlite(BackupError):
    """The database is not SQLite, so this backup or restore does not apply to it."""


class UsePostgresTools(NotSqlite):
    """The database is PostgreSQL: pg_dump and pg_restore back it up (pg_dump_command, pg_restore_command)."""


@dataclass(frozen=True)
class DatabaseSummary:
    path: Path
    revision: str | None
    rows: dict[str, int]
    size_bytes: int

    def describe(self) -> str:
        rows = ", ".join(f"{self.rows.get(t, 0)} {t}" for t in ("patients", "visits", "treatments", "surgeries"))
        return f"{rows}; {self.size_bytes / 1_048_576:.1f} MB; schema {self.revision or 'none'}"


# --- URLs -------------------------------------------------------------------------------------------


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise BackupError(f"{url!r} is not a database URL") from None


def sqlite_file(url: str, command: str) -> Path:
    """The database file of a SQLite URL; UsePostgresTools for PostgreSQL, NotSqlite for any other database."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        raise UsePostgresTools(
            f"paintrail {command} works on SQLite databases only; for PostgreSQL use "
            + ("pg_dump" if command == "backup" else "pg_restore")
        )
    if backend != "sqlite":
        raise NotSqlite(f"paintrail {command} works on SQLite databases only, not {backend}")
    if parsed.database in (None, "", ":memory:") or str(parsed.database).startswith("file:"):
        raise BackupError(f"paintrail {command} needs a SQLite database file, not {url!r}")
    return Path(parsed.database)


def _pg_connection_options(url: str) -> list[str]:
    parsed = _parse(url)
    options = []
    if parsed.host:
        options.append(f"--host={parsed.host}")
    if parsed.port:
        options.append(f"--port={parsed.port}")
    if parsed.username:
        options.append(f"--username={parsed.username}")
    return options


def pg_dump_command(url: str, out: Path | str) -> str:
    """The pg_dump command that backs up the PostgreSQL database at url into out (no password in it:
    pg_dump asks for it, or reads ~/.pgpass or $PGPASSWORD)."""
    parsed = _parse(url)
    parts = ["pg_dump", *_pg_connection_options(url), "--format=custom", f"--file={out}", parsed.database or ""]
    return shlex.join(p for p in parts if p)


def pg_restore_command(url: str, dump: Path | str) -> str:
    """The pg_restore command that restores a pg_dump --format=custom file into the database at url."""
    parsed = _parse(url)
    parts = [
        "pg_restore",
        *_pg_connection_options(url),
        "--clean",
        "--if-exists",
        "--single-transaction",
        f"--dbname={parsed.database or ''}",
        str(dump),
    ]
    return shlex.join(parts)


# --- Looking at a database file -----------------------------------------------------------------------


def _connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
        )
    else:
        conn = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return conn


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _summary(conn: sqlite3.Connection, path: Path) -> DatabaseSummary:
    tables = _tables(conn)
    rows = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in SUMMARY_TABLES if t in tables}
    revision = None
    if "alembic_version" in tables:
        found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = found[0] if found else None
    return DatabaseSummary(path, revision, rows, path.stat().st_size if path.exists() else 0)


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def check_paintrail_file(path: Path) -> DatabaseSummary:
    """Summary of a PainTrail SQLite database file; BackupError when it is anything else or damaged."""
    if not path.is_file():
        raise BackupError(f"{str(path)!r} is not a file")
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{str(path)!r} is not a SQLite database")
    try:
        conn = _connect(path, read_only=True)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
            if problems != ["ok"]:
                raise BackupError(f"{str(path)!r} is damaged (integrity check: {problems[0]})")
            if "alembic_version" not in _tables(conn):
                raise BackupError(f"{str(path)!r} is not a PainTrail database (no alembic_version table)")
            summary = _summary(conn, path)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{str(path)!r} cannot be read as a database: {exc}") from None
    if summary.revision is None:
        raise BackupError(f"{str(path)!r} is not a PainTrail database (alembic_version is empty)")
    if summary.revision not in _known_revisions():
        raise BackupError(
            f"{str(path)!r} has schema revision {summary.revision!r}, which this PainTrail does not know "
            "(made by a newer version?)"
        )
    return summary


def _in_use(path: Path) -> DatabaseSummary | None:
    """The target's summary when it holds anything worth keeping, else None (missing, empty, no rows)."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = _connect(path)
        try:
            tables = _tables(conn) - {"alembic_version"}
            if not tables:
                return None
            summary = _summary(conn, path)
            if any(summary.rows.values()):
                return summary
            # Other tables (not PainTrail's) with rows are worth keeping too.
            if any(conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() for t in tables):
                return summary
            return None
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the target {str(path)!r} is not a SQLite database ({exc}); nothing was changed") from None


# --- Accounts, for who may restore --------------------------------------------------------------------


def account_count(path: Path) -> int:
    """How many accounts the SQLite database file holds (0: missing, empty, or no accounts table)."""
    if not path.is_file() or path.stat().st_size == 0:
        return 0
    try:
        conn = _connect(path)
        try:
            if "users" not in _tables(conn):
                return 0
            return conn.execute("SELECT count(*) FROM users").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return 0


def stored_account(path: Path, username: str) -> tuple[str, str, str | None, str | None, bool] | None:
    """(username, role, display name, password hash, active) of an account in a backup file, read-only."""
    try:
        conn = _connect(path, read_only=True)
        try:
            row = conn.execute(
                "SELECT username, role, display_name, password_hash, active FROM users WHERE lower(username) = ?",
                ((username or "").strip().lower(),),
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{str(path)!r} cannot be read as a database: {exc}") from None
    return None if row is None else (row[0], row[1], row[2], row[3], bool(row[4]))


# --- Backup and restore -------------------------------------------------------------------------------


def backup_sqlite(url: str, out: Path, force: bool = False) -> DatabaseSummary:
    """Copy the SQLite database at url into the file out; returns what the copy holds.

    Refuses to replace an existing out unless force. Raises UsePostgresTools for PostgreSQL, BackupError
    for anything else that stops it; out is then left as it was.
    """
    source = sqlite_file(url, "backup")
    out = Path(out)
    if not source.is_file():
        raise BackupError(f"there is no database at {str(source)!r}")
    if out.is_dir():
        raise BackupError(f"--out: {str(out)!r} is a folder")
    if out.exists() and not force:
        raise BackupError(f"--out: {str(out)!r} already exists; pass --force to replace it")
    if not out.parent.is_dir():
        raise BackupError(f"--out: the folder {str(out.parent)!r} does not exist")
    try:
        if out.resolve() == source.resolve():
            raise BackupError("--out: the backup cannot replace the database itself")
    except OSError:
        pass
    try:
        with replaced_atomically(out, suffix=".partial") as partial:
            src = _connect(source)  # read and write, as the app opens it: it may have to recover a -wal file
            try:
                dst = sqlite3.connect(partial, isolation_level=None)
                try:
                    # pages=-1: the whole database in one step, inside one read transaction: a snapshot.
                    src.backup(dst, pages=-1)
                    # A standalone file: rollback journal instead of WAL, so the one file is the whole backup.
                    dst.execute("PRAGMA journal_mode=DELETE")
                    problems = [row[0] for row in dst.execute("PRAGMA integrity_check(5)")]
                    if problems != ["ok"]:
                        raise BackupError(f"the copy failed its integrity check ({problems[0]}); no backup was written")
                finally:
                    dst.close()
            finally:
                src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the backup failed, no backup was written: {exc}") from None
    conn = _connect(out, read_only=True)
    try:
        return _summary(conn, out)
    finally:
        conn.close()


def restore_sqlite(backup: Path, url: str, force: bool = False) -> DatabaseSummary:
    """Copy the PainTrail backup file into the SQLite database at url; returns the backup's summary.

    Refuses a file that is not an intact PainTrail database, and a target holding data unless force.
    The schema is not upgraded here: the caller does it (migrate.upgrade) once the copy is in place.
    """
    target = sqlite_file(url, "restore")
    backup = Path(backup)
    summary = check_paintrail_file(backup)
    if target.exists() and target.resolve() == backup.resolve():
        raise BackupError("the backup file is the database itself; nothing to restore")
    if not target.parent.is_dir():
        raise BackupError(f"--db: the folder {str(target.parent)!r} does not exist")
    in_use = _in_use(target)
    if in_use is not None and not force:
        raise BackupError(
            f"the database {str(target)!r} is not empty ({in_use.describe()}); pass --force to replace it with the backup"
        )
    try:
        src = _connect(backup, read_only=True)
        try:
            dst = _connect(target)
            try:
                src.backup(dst, pages=-1)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the restore failed: {exc}") from None
    return summary
