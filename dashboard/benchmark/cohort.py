"""Throwaway benchmark databases (a temp SQLite file, a PostgreSQL schema) and seeding them with a cohort."""

from __future__ import annotations

import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from data_model.db import make_engine
from data_model.migrate import upgrade

SQLITE, POSTGRESQL = "sqlite", "postgresql"


@dataclass(frozen=True)
class BenchDatabase:
    """One throwaway database: kind (sqlite | postgresql) and a URL any process can open."""

    kind: str
    url: str


class PostgresUnreachable(Exception):
    """The PostgreSQL server cannot be reached (or refuses the schema); the message says why."""


@contextmanager
def sqlite_database() -> Iterator[BenchDatabase]:
    """A migrated SQLite file in a temp folder, removed (with its WAL) afterwards."""
    with tempfile.TemporaryDirectory(prefix="paintrail-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        _migrate(url)
        yield BenchDatabase(SQLITE, url)


def check_postgres(admin_url: str) -> None:
    """Raise PostgresUnreachable (saying why) unless admin_url opens a PostgreSQL connection."""
    _run_admin(admin_url, "SELECT 1")


@contextmanager
def postgres_database(admin_url: str) -> Iterator[BenchDatabase]:
    """A migrated schema of its own in the PostgreSQL database at admin_url, dropped afterwards.

    The URL carries libpq's options=-csearch_path=<schema>, so the seeding and measuring processes and
    the app under AppTest all land in the schema without a connect hook.
    """
    schema = f"paintrail_bench_{uuid.uuid4().hex[:12]}"
    _run_admin(admin_url, f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(admin_url).update_query_dict({"options": f"-csearch_path={schema}"})
        rendered = url.render_as_string(hide_password=False)
        _migrate(rendered)
        yield BenchDatabase(POSTGRESQL, rendered)
    finally:
        _run_admin(admin_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _run_admin(admin_url: str, statement: str) -> None:
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        if admin.dialect.name != POSTGRESQL:
            raise ValueError(f"{admin.dialect.name} is not PostgreSQL")
    except Exception as exc:
        raise PostgresUnreachable(_first_line(exc)) from None
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    except Exception as exc:
        raise PostgresUnreachable(_first_line(exc)) from None
    finally:
        admin.dispose()


def server_version(db: BenchDatabase) -> str:
    """The database engine's own version text (sqlite_version() or PostgreSQL's server_version)."""
    engine = make_engine(db.url)
    try:
        with engine.connect() as conn:
            query = "SELECT sqlite_version()" if db.kind == SQLITE else "SHOW server_version"
            return str(conn.execute(text(query)).scalar_one())
    finally:
        engine.dispose()


def seed(url: str, patients: int, seed_value: int, as_of: date, visits_per_patient: float | None) -> dict:
    """Generate and write the cohort (run in a process of its own, so its peak RSS is seeding's alone).

    Returns the seconds taken, the process's max RSS in bytes and the row counts.
    """
    from sample_data.generator import generate_cohort
    from sample_data.writer import write_cohort

    engine = make_engine(url)
    try:
        started = time.perf_counter()
        frames = generate_cohort(patients, seed_value, as_of, visits_per_patient)
        counts = write_cohort(engine, frames, actor="bench")
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return {"seconds": seconds, "max_rss_bytes": max_rss_bytes(), "counts": counts}


def max_rss_bytes() -> int:
    """This process's peak resident set size so far. Linux: VmHWM of /proc/self/status, its own memory
    alone; getrusage's ru_maxrss keeps, across the exec of a spawned process, the peak of the process it
    was forked from (a spawned import reported its parent's 650 MB before reading a row)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB (Linux)


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    message = str(orig if orig is not None else exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__
