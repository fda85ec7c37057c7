"""`paintrail users ...`: create and list accounts (passwords from a hidden prompt or stdin, never argv).

Both need an admin's credentials (--as-user), except the first admin of a database with no account.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from dashboard.cli.acting_account import USER_ENV, AsUserOption, audit_command, authorise, open_as, read_line
from dashboard.cli.common import DbOption, UserError, open_database, operator, user_errors
from data_model.access.permissions import Action

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

users_app = typer.Typer(help="Manage PainTrail accounts.", no_args_is_help=True)


class Role(str, Enum):
    clinician = "clinician"
    staff = "staff"
    admin = "admin"


# Optional, unlike AsUserOption: the first admin of a database with no account is added without one.
AsAdminUnlessFirstOption = Annotated[
    str | None,
    typer.Option(
        "--as-user",
        metavar="NAME",
        envvar=USER_ENV,
        show_envvar=False,
        show_default=False,
        help=f"The admin adding the account (default: ${USER_ENV}); its password comes first (from "
        "$PAINTRAIL_PASSWORD, a prompt or the first line of stdin). Not needed for the first admin of a "
        "database with no account.",
    ),
]


def read_new_password(name: str) -> str:
    """The new account's password: a hidden prompt typed twice, else the next line of stdin."""
    from data_model.access.accounts import MIN_PASSWORD_LENGTH

    return read_line(
        f"Password for the new account {name} (at least {MIN_PASSWORD_LENGTH} characters)",
        "no password given for the new account: type it at the prompt, or pipe it on stdin (after the acting "
        "admin's password, unless that one is in $PAINTRAIL_PASSWORD)",
        confirm=True,
    )


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="User name to sign in with.", show_default=False)],
    role: Annotated[Role, typer.Option("--role", help="What the account may do.", show_default=False)],
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Name shown in the app. Default: NAME.", show_default=False)
    ] = None,
    sso: Annotated[
        bool,
        typer.Option(
            "--sso", help="Single sign-on only: NAME is the e-mail the identity provider reports; no password."
        ),
    ] = False,
    as_user: AsAdminUnlessFirstOption = None,
    db: DbOption = None,
) -> None:
    """Create an account, as an admin (--as-user). The new password is asked for (hidden, twice) or read from stdin.

    A database with no account at all takes its first admin without credentials: that is how a site starts.
    """
    from data_model.access.accounts import add_first_admin, add_user, count_users
    from data_model.audit import set_actor
    from data_model.db import read_session, run_write

    with user_errors():
        engine = open_database(db)
        try:
            with read_session(engine) as session:
                first = count_users(session) == 0
            if first:
                if role is not Role.admin:
                    raise UserError(
                        f"the database has no account yet: create the first admin first "
                        f"(paintrail users add NAME --role admin), then add {name.strip()!r} as that admin"
                    )
                password = None if sso else read_new_password(name.strip())
                if password is None:
                    raise UserError("--sso: the first admin needs a password (single sign-on accounts come after it)")
                first_password: str = password  # checked above (a closure does not keep the narrowing)
                run_write(
                    engine, lambda s: add_first_admin(set_actor(s, operator()), name, first_password, display_name)
                )
            else:
                if not as_user:
                    raise UserError(
                        f"--as-user: adding an account needs an admin's credentials (or ${USER_ENV}); "
                        "the database has accounts already"
                    )
                admin = authorise(engine, as_user, Action.MANAGE_USERS, "users add")
                password = None if sso else read_new_password(name.strip())
                run_write(
                    engine, lambda s: add_user(set_actor(s, admin.username), name, role.value, password, display_name)
                )
        finally:
            engine.dispose()
    typer.echo(f"Created {role.value} account {name.strip()!r}.")


@users_app.command("list")
def list_users(as_user: AsUserOption, db: DbOption = None) -> None:
    """List the accounts (admins): user name, display name, role, whether active or locked."""
    from dashboard.formatting import site_zone
    from data_model import queries
    from data_model.db import read_session

    with user_errors():
        engine, admin = open_as(db, as_user, Action.MANAGE_USERS, "users list")
        try:
            with read_session(engine) as session:
                users = queries.users_frame(session)
                zone = site_zone(queries.load_settings(session).time_zone)
            audit_command(engine, admin, "users_listed", {"accounts": int(len(users))})
        finally:
            engine.dispose()
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table()
    for header in ("User", "Display name", "Role", "Active", "Locked until"):
        table.add_column(header)
    for row in users.itertuples(index=False):
        table.add_row(
            escape(row.username),
            escape(row.display_name or ""),
            row.role,
            "yes" if row.active else "no",
            _locked(row.locked_until, zone),
        )
    Console().print(table)


def _locked(value: object, zone: ZoneInfo) -> str:
    """The lockout end when it is still ahead, in the site's time zone and named; else blank."""
    import pandas as pd

    from dashboard.formatting import when

    if value is None or pd.isna(value):
        return ""
    moment = pd.Timestamp(value)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment  # SQLite returns naive UTC times
    return when(moment, zone) if moment > pd.Timestamp.now(tz="UTC") else ""
