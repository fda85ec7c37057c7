"""Who runs a command: --as-user NAME (or $PAINTRAIL_USER), that account's password, and the role check.

Every command that reads or writes patient data or accounts runs as a PainTrail account and is audited
under its name. The password comes from $PAINTRAIL_PASSWORD (for scripts), else a hidden prompt on a
terminal, else the first line of stdin. Failed attempts count and lock the account exactly as sign-ins
in the app do (data_model.access.accounts.sign_in); a role that may not run the command gets one line naming
the role and the action, and the refusal is audited ('export_refused' for exports, else 'command_refused').
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from dashboard.cli.common import UserError, open_database
from data_model.access.permissions import ROLE_ACTIONS, Action, can

# Accounts, the audit trail and pseudonyms need the ORM: imported inside the functions that use them.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from data_model.access.accounts import SignedIn

PASSWORD_ENV = "PAINTRAIL_PASSWORD"
USER_ENV = "PAINTRAIL_USER"

_AS_USER_HELP = (
    f"The PainTrail account running the command (default: ${USER_ENV}). Its password is read from "
    f"${PASSWORD_ENV}, else a hidden prompt, else the first line of stdin."
)
# Required: every command but `users add` (see AsAdminUnlessFirstOption in dashboard.cli.users).
AsUserOption = Annotated[
    str,
    typer.Option(
        "--as-user", metavar="NAME", envvar=USER_ENV, show_envvar=False, help=_AS_USER_HELP, show_default=False
    ),
]
PSEUDONYM_KEY_ENV = "PAINTRAIL_PSEUDONYM_KEY"  # data_model.exchange.pseudonyms.KEY_ENV, here so --help needs no ORM
IdentifiedOption = Annotated[
    bool,
    typer.Option(
        "--identified",
        help="Keep MRNs, names, notes and true dates (admins only). Default: de-identified (pseudonyms from the "
        f"site secret, ${PSEUDONYM_KEY_ENV} or one stored in the database, no names or notes, dates shifted per patient).",
    ),
]

ACTION_WORDS = {
    Action.VIEW_PATIENTS: "see patients",
    Action.ENTER_DATA: "enter or import patient data",
    Action.EXPORT_DEIDENTIFIED: "export de-identified data",
    Action.EXPORT_IDENTIFIED: "export identified data",
    Action.MANAGE_USERS: "manage accounts",
    Action.MANAGE_BACKUPS: "back up or restore the database",
    Action.VIEW_AUDIT: "read the audit trail",
}


def export_action(identified: bool) -> Action:
    return Action.EXPORT_IDENTIFIED if identified else Action.EXPORT_DEIDENTIFIED


def read_line(prompt: str, missing: str, confirm: bool = False) -> str:
    """A secret from a hidden prompt on a terminal, else the next line of stdin; `missing` says what to do
    when there is none."""
    if sys.stdin is not None and sys.stdin.isatty():
        return typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    secret = line.rstrip("\r\n")
    if not secret:
        raise UserError(missing)
    return secret


def read_password(name: str) -> str:
    """The acting account's password: $PAINTRAIL_PASSWORD, else a hidden prompt, else the first line of stdin."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    return read_line(
        f"Password for {name}",
        f"--as-user {name}: no password given; type it at the prompt, pipe it as the first line of stdin, "
        f"or set ${PASSWORD_ENV}",
    )


def _who_may(action: Action) -> str:
    roles = [role for role, actions in ROLE_ACTIONS.items() if action in actions]
    return " and ".join(f"{r}s" for r in roles) + " may"


def authorise(engine: Engine, as_user: str, action: Action, command: str) -> SignedIn:
    """Sign the account in (counted and locked like the app) and check its role; refusals are audited."""
    from data_model.access.accounts import sign_in
    from data_model.audit import record_event, set_actor
    from data_model.db import run_write

    name = (as_user or "").strip()
    password = read_password(name)
    result = sign_in(engine, name, password)
    if result.user is None:
        raise UserError(f"--as-user {name}: {result.message}")
    user = result.user
    if not can(user.role, action):
        event = "export_refused" if command.startswith("export") else "command_refused"
        run_write(
            engine,
            lambda s: record_event(
                set_actor(s, user.username),
                event,
                {"command": command, "role": user.role, "action": action.value},
            ),
        )
        raise UserError(
            f"the {user.role} role may not {ACTION_WORDS.get(action, action.value)} ({command}); {_who_may(action)}"
        )
    return user


def open_as(db: str | None, as_user: str, action: Action, command: str) -> tuple[Engine, SignedIn]:
    """The database, brought up to date, and the signed-in account allowed to run this command."""
    engine = open_database(db)
    try:
        return engine, authorise(engine, as_user, action, command)
    except BaseException:
        engine.dispose()
        raise


def export_key(engine: Engine, user: SignedIn) -> str:
    """The pseudonym key, created on first use (audited as 'site_secret_created', never its value)."""
    from data_model.audit import set_actor
    from data_model.db import run_write
    from data_model.exchange.pseudonyms import PseudonymKeyMissing, ensure_site_key

    try:
        return run_write(engine, lambda s: ensure_site_key(set_actor(s, user.username)))
    except PseudonymKeyMissing as exc:
        raise UserError(str(exc)) from None


def audit_command(engine: Engine, user: SignedIn, event: str, detail: dict, patient_id: int | None = None) -> None:
    """The command in the audit trail: who, what, and for one patient's export, which patient."""
    from data_model.audit import record_event, set_actor
    from data_model.db import run_write

    run_write(engine, lambda s: record_event(set_actor(s, user.username), event, detail, patient_id))
