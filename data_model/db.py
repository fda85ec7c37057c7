"""Engine and sessions from a database URL: SQLite pragmas, immediate write transactions, retries."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, PoolProxiedConnection, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from . import import_runs  # noqa: F401 - registers the hook that hides unfinished imports from every read

DEFAULT_URL = "sqlite:///paintrail.db"
URL_ENV = "PAINTRAIL_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 15_000

T = TypeVar("T")


class DatabaseBusyError(RuntimeError):
    """The database stayed locked by other writers through every retry."""


def resolve_url(url: str | None = None) -> str:
    """--db URL, else $PAINTRAIL_DATABASE_URL, else sqlite:///paintrail.db in the current folder."""
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create the one engine a process uses; SQLite gets WAL, foreign keys and a busy timeout."""
    url = resolve_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control from the sqlite3 module so we can emit BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A read-then-write transaction must hold the write lock from its start; a deferred one
        # fails at once with "database is locked" when another writer got there first.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


IN_LIST_SIZE = 500  # values per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


def driver_connection(connection: PoolProxiedConnection) -> Any:
    """The driver's own connection under SQLAlchemy's pool proxy (for its bulk paths: executemany, COPY)."""
    driver = connection.driver_connection
    if driver is None:  # only after the pool invalidated it
        raise RuntimeError("the database connection was invalidated: try again")
    return driver


def in_chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """values in slices of IN_LIST_SIZE, one IN (...) lookup each."""
    for start in range(0, len(values), IN_LIST_SIZE):
        yield values[start : start + IN_LIST_SIZE]


def _reader(engine: Engine) -> Engine:
    # PostgreSQL reads in READ COMMITTED see each statement's own snapshot: the tables of one evaluation
    # could straddle a commit (an import shown between reading the visits and the treatments).
    # REPEATABLE READ gives the whole session one snapshot, as SQLite's read transaction does; a
    # read-only transaction never fails for it.
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="REPEATABLE READ")


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A short read-only session on one snapshot of the data; nothing it does is committed."""
    with Session(_reader(engine)) as session:
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One transaction for one user action: commits on success, rolls back on any error."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


def _is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return "database is locked" in text or "deadlock detected" in text or "could not serialize" in text


def run_write(engine: Engine, action: Callable[[Session], T], attempts: int = 6, base_delay: float = 0.05) -> T:
    """Run action(session) in one write transaction, retrying with backoff while the store is busy."""
    for attempt in range(1, attempts + 1):
        try:
            with write_session(engine) as session:
                return action(session)
        except OperationalError as exc:
            if not _is_lock_error(exc) or attempt == attempts:
                if _is_lock_error(exc):
                    raise DatabaseBusyError(
                        "The database is busy with other users' changes; nothing was saved. "
                        "Please try again in a moment."
                    ) from exc
                raise
            time.sleep(base_delay * 2 ** (attempt - 1) * (1 + random.random()))
    raise AssertionError("unreachable")
