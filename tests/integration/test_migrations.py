"""The schema comes from Alembic migrations, and they match the models exactly (SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from data_model.migrate import HEAD_REVISION, current_revision, head_revision, upgrade
from data_model.models import Base


def test_a_fresh_database_is_migrated_to_head_and_matches_the_models(engine):
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_the_revision_commands_check_without_alembic_is_the_head_alembic_finds():
    """Commands compare a database's stored revision with HEAD_REVISION before loading Alembic: a new
    migration without it would leave every database unmigrated, and this test fails first."""
    assert head_revision() == HEAD_REVISION


def test_upgrading_twice_changes_nothing(engine):
    before = sorted(inspect(engine).get_table_names())
    upgrade(engine)
    assert sorted(inspect(engine).get_table_names()) == before


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
