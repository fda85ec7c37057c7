"""Shared fixtures: a fresh migrated database per test on SQLite and, where marked, PostgreSQL."""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

# Before any PainTrail import: hash passwords at OWASP's floor (data_model/accounts.py), in this process and
# in every server and command the tests start, which inherit the environment. The sign-in rules are the same.
os.environ["PAINTRAIL_PASSWORD_HASH_COST"] = "minimum"

import pytest
from sqlalchemy import Engine, create_engine, event, make_url, text

from data_model.db import make_engine
from data_model.migrate import upgrade

POSTGRES_URL = os.environ.get("PAINTRAIL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def postgres_available() -> bool:
    try:
        probe = create_engine(POSTGRES_URL)
        with probe.connect():
            pass
        probe.dispose()
        return True
    except Exception:
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
    def _search_path(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f'SET search_path TO "{schema}"')
        dbapi_connection.commit()

    return engine


def _drop_schema(schema: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    """One SQLite file migrated to head per test process; each test gets a byte copy of it, which is the same
    fresh database as migrating anew, at a fraction of the time (Alembic runs once, not per test)."""
    path = tmp_path_factory.mktemp("template") / "paintrail.db"
    template = make_engine(f"sqlite:///{path}")
    upgrade(template)
    template.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


def _fresh_sqlite(template: Path, tmp_path: Path) -> Engine:
    shutil.copyfile(template, tmp_path / "paintrail.db")
    return _sqlite_engine(tmp_path)


@pytest.fixture(scope="session")
def _postgres_template(_postgres_ok) -> Iterator[str | None]:
    """A PostgreSQL database migrated to head once per test process; each test gets its own database made
    from it (CREATE DATABASE ... TEMPLATE), dropped after the test: fresh, and no tables left behind."""
    if not _postgres_ok:
        yield None
        return
    name = f"pt_template_{uuid.uuid4().hex[:12]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    try:
        template = make_engine(_database_url(name))
        upgrade(template)
        template.dispose()  # a template database may have no connections while it is copied
        yield name
    finally:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@functools.cache
def _copy_strategy() -> str:
    """WAL_LOG (PostgreSQL 15+) copies a small template without the checkpoint that FILE_COPY waits for."""
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.connect() as conn:
            version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    finally:
        admin.dispose()
    return " STRATEGY WAL_LOG" if version >= 150000 else ""


def _database_url(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _admin_execute(statement: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path, _postgres_ok) -> Iterator[Engine]:
    """A fresh, migrated, empty database: SQLite in a temp folder, or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        eng = _fresh_sqlite(request.getfixturevalue("_sqlite_template"), tmp_path)
        yield eng
        eng.dispose()
        return
    require_or_skip(_postgres_ok, "PostgreSQL at " + POSTGRES_URL)
    template = request.getfixturevalue("_postgres_template")
    name = f"pt_{uuid.uuid4().hex[:12]}"
    _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{_copy_strategy()}')
    eng = make_engine(_database_url(name))
    try:
        yield eng
    finally:
        eng.dispose()
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_engine(tmp_path, _sqlite_template) -> Iterator[Engine]:
    """A fresh migrated SQLite database, for tests about SQLite itself (files, WAL, backups)."""
    eng = _fresh_sqlite(_sqlite_template, tmp_path)
    yield eng
    eng.dispose()


def subprocess_url(engine: Engine, **query: str) -> tuple[str, str | None]:
    """(url, schema) another process can open to reach the same database as `engine`.

    For SQLite, the file URL (schema None). On PostgreSQL (the fixture's own database, or a schema made
    with _postgres_engine) the URL carries libpq's `options=-csearch_path=<schema>`, so any process that
    opens it (a worker, `paintrail ... --db URL`) lands in that schema without a connect hook. Extra libpq parameters
    (e.g. application_name) go into the query string on PostgreSQL and are ignored on SQLite.
    """
    url = engine.url
    schema = None
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}", **query})
    return url.render_as_string(hide_password=False), schema


# The longest work first, so that neither of CI's two workers is left with it at the end: the browser tests
# (one group, one server) and the benchmark's end-to-end run. xdist hands out work in collection order.
_LONGEST_FIRST = ("tests/e2e/", "tests/integration/test_bench.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid
        return next((i for i, prefix in enumerate(_LONGEST_FIRST) if path.startswith(prefix)), len(_LONGEST_FIRST))

    items.sort(key=rank)
