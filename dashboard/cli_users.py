"""`paintrail users ...`: create and list accounts (passwords from a hidden prompt or stdin, never argv)."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated

import pandas as pd
import typer

from dashboard.cli_common import DbOption, UserError, open_database, operator, user_errors
from data_model import queries
from data_model.accounts import add_user
from data_model.audit import set_actor
from data_model.db import read_session, run_write

users_app = typer.Typer(help="Manage PainTrail accounts.", no_args_is_help=True)


class Role(str, Enum):
    clinician = "clinician"
    staff = "staff"
    admin = "admin"


def read_password() -> str:
    """Hidden prompt with confirmation on a terminal; otherwise the first line of stdin (for scripts)."""
    if sys.stdin is not None and sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    password = line.rstrip("\r\n")
    if not password:
        raise UserError("no password given: type it at the prompt, or pipe it as the first line of stdin")
    return password


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="User name to sign in with.", show_default=False)],
    role: Annotated[Role, typer.Option("--role", help="What the account may do.", show_default=False)],
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Name shown in the app. Default: NAME.", show_default=False)
    ] = None,
    sso: Annotated[
        bool, typer.Option("--sso", help="Single sign-on only: NAME is the e-mail the identity provider reports; no password.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Create an account. The password is asked for (hidden, twice) or read from the first line of stdin."""
    with user_errors():
        engine = open_database(db)
        try:
            password = None if sso else read_password()
            run_write(
                engine,
                lambda session: add_user(set_actor(session, operator()), name, role.value, password, display_name),
            )
        finally:
            engine.dispose()
    typer.echo(f"Created {role.value} account {name.strip()!r}.")


@users_app.command("list")
def list_users(db: DbOption = None) -> None:
    """List the accounts: user name, display name, role, whether active or locked."""
    with user_errors():
        engine = open_database(db)
        try:
            with read_session(engine) as session:
                users = queries.users_frame(session)
        finally:
            engine.dispose()
    if users.empty:
        typer.echo("No accounts yet: add one with `paintrail users add NAME --role admin`.")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table()
    for header in ("User", "Display name", "Role", "Active", "Locked until"):
        table.add_column(header)
    for row in users.itertuples(index=False):
        table.add_row(escape(row.username), escape(row.display_name or ""), row.role, "yes" if row.active else "no", _locked(row.locked_until))
    Console().print(table)


def _locked(value: object) -> str:
    """The lockout end when it is still ahead, else blank (SQLite returns naive UTC times)."""
    if value is None or pd.isna(value):
        return ""
    moment = pd.Timestamp(value)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment > pd.Timestamp.now(tz="UTC") else ""
