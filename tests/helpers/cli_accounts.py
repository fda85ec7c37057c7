"""Command-line credentials for tests: an account in a database, and the environment that signs in as it."""

from __future__ import annotations

from data_model.access.accounts import add_user
from data_model.audit import set_actor
from data_model.db import make_engine, run_write
from data_model.migrate import upgrade

ADMIN, ADMIN_PASSWORD = "site-admin", "site-admin-password"


def credentials(name: str = ADMIN, password: str = ADMIN_PASSWORD) -> dict[str, str]:
    """The environment a script sets to run `paintrail` as an account (README: command-line credentials)."""
    return {"PAINTRAIL_USER": name, "PAINTRAIL_PASSWORD": password}


def add_account(url: str, name: str = ADMIN, role: str = "admin", password: str = ADMIN_PASSWORD) -> dict[str, str]:
    """Create the account in the database at url (brought up to date first); returns its credentials."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        run_write(engine, lambda s: add_user(set_actor(s, "test-setup"), name, role, password))
    finally:
        engine.dispose()
    return credentials(name, password)
