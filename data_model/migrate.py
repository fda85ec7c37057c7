"""Bring a database's schema up to date with Alembic (called by the app and the CLI on start)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:  # Alembic is imported when a schema is behind, not by every command on start
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision (migrations/versions/): a database already there is checked with one
# query, without loading Alembic and its scripts (a third of a second on every command).
# tests/integration/test_migrations.py holds it to the head Alembic finds.
HEAD_REVISION = "0010"


class SchemaUpgradeRefused(RuntimeError):
    """A migration found data it cannot carry over without losing or merging something; nothing changed."""


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply every pending migration; a no-op when the schema is already at head."""
    if _stored_revision(engine) == HEAD_REVISION:
        return  # (Alembic's own upgrade to head would do nothing either; a test holds HEAD_REVISION to it)
    from alembic import command

    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def _stored_revision(engine: Engine) -> str | None:
    """The revision Alembic recorded in the database; None when it recorded none (a new database)."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError as exc:
        if exc.connection_invalidated or "alembic_version" not in str(exc.orig):
            raise  # the server or the file, not a missing table: said as before
        return None
    return rows[0] if len(rows) == 1 else None
