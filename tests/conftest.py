"""Shared fixtures: a fresh migrated database per test on SQLite and, where marked, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text

from data_model.db import make_engine
from data_model.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "PAINTRAIL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def postgres_available() -> bool:
    try:
        probe = create_engine(POSTGRES_URL)
        with probe.connect():
            pass
        probe.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def require_or_skip(available: bool, what: str) -> None:
    """Outside CI a missing service skips; in CI it fails, since CI must run every test."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def _postgres_ok() -> bool:
    return postgres_available()


def _sqlite_engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'paintrail.db'}")


def _postgres_engine(schema: str) -> Engine:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = make_engine(POSTGRES_URL)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection, _record):  # noqa: ANN001
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f'SET search_path TO "{schema}"')
        dbapi_connection.commit()

    return engine


def _drop_schema(schema: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path, _postgres_ok) -> Iterator[Engine]:
    """A fresh, migrated, empty database: SQLite in a temp folder, or a throwaway PostgreSQL schema."""
    if request.param == "sqlite":
        eng = _sqlite_engine(tmp_path)
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    require_or_skip(_postgres_ok, "PostgreSQL at " + POSTGRES_URL)
    schema = f"pt_{uuid.uuid4().hex[:12]}"
    eng = _postgres_engine(schema)
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()
        _drop_schema(schema)


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    """A fresh migrated SQLite database, for tests about SQLite itself (files, WAL, backups)."""
    eng = _sqlite_engine(tmp_path)
    upgrade(eng)
    yield eng
    eng.dispose()


def subprocess_url(engine: Engine, **query: str) -> tuple[str, str | None]:
    """(url, schema) another process can open to reach the same database as `engine`.

    For SQLite, the file URL (schema None). For the PostgreSQL fixture's throwaway schema, the URL
    carries libpq's `options=-csearch_path=<schema>`, so any process that opens it (a worker,
    `paintrail ... --db URL`) lands in that schema without a connect hook. Extra libpq parameters
    (e.g. application_name) go into the query string on PostgreSQL and are ignored on SQLite.
    """
    url = engine.url
    schema = None
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}", **query})
    return url.render_as_string(hide_password=False), schema
