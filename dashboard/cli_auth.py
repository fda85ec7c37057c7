"""Who runs an export on the command line: --as-user NAME, that account's password, and the role check.

The password comes from $PAINTRAIL_PASSWORD (for scripts), else a hidden prompt on a terminal, else the
first line of stdin. Failed attempts count and lock the account exactly as sign-ins in the app do
(data_model.accounts.authenticate); a role that may not export gets one line naming the role and the
action, and the refusal is audited as 'export_refused'.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from sqlalchemy import Engine

from dashboard.cli_common import UserError, open_database
from data_model.accounts import SignedIn, authenticate
from data_model.audit import record_event, set_actor
from data_model.db import run_write
from data_model.permissions import ROLE_ACTIONS, Action, can
from data_model.pseudonyms import KEY_ENV, PseudonymKeyMissing, ensure_site_key

PASSWORD_ENV = "PAINTRAIL_PASSWORD"

AsUserOption = Annotated[
    str,
    typer.Option(
        "--as-user",
        metavar="NAME",
        help=f"The PainTrail account running the export (required). Its password is read from ${PASSWORD_ENV}, "
        "else a hidden prompt, else the first line of stdin. De-identified exports need a clinician or admin, "
        "--identified an admin.",
        show_default=False,
    ),
]
IdentifiedOption = Annotated[
    bool,
    typer.Option(
        "--identified",
        help="Keep MRNs, names, notes and true dates (admins only). Default: de-identified (pseudonyms from the "
        f"site secret, ${KEY_ENV} or one stored in the database, no names or notes, dates shifted per patient).",
    ),
]

ACTION_WORDS = {
    Action.EXPORT_DEIDENTIFIED: "export de-identified data",
    Action.EXPORT_IDENTIFIED: "export identified data",
}


def export_action(identified: bool) -> Action:
    return Action.EXPORT_IDENTIFIED if identified else Action.EXPORT_DEIDENTIFIED


def read_password(name: str) -> str:
    """$PAINTRAIL_PASSWORD, else a hidden prompt on a terminal, else the first line of stdin."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if sys.stdin is not None and sys.stdin.isatty():
        return typer.prompt(f"Password for {name}", hide_input=True, err=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    password = line.rstrip("\r\n")
    if not password:
        raise UserError(
            f"--as-user {name}: no password given; type it at the prompt, pipe it as the first line of stdin, "
            f"or set ${PASSWORD_ENV}"
        )
    return password


def _who_may(action: Action) -> str:
    roles = [role for role, actions in ROLE_ACTIONS.items() if action in actions]
    return " and ".join(f"{r}s" for r in roles) + " may"


def authorise(engine: Engine, as_user: str, action: Action, command: str) -> SignedIn:
    """Sign the account in (counted and locked like the app) and check its role; refusals are audited."""
    name = (as_user or "").strip()
    password = read_password(name)
    result = run_write(engine, lambda s: authenticate(set_actor(s, name or "anonymous"), name, password))
    if result.user is None:
        raise UserError(f"--as-user {name}: {result.message}")
    user = result.user
    if not can(user.role, action):
        run_write(engine, lambda s: record_event(
            set_actor(s, user.username), "export_refused",
            {"command": command, "role": user.role, "action": action.value},
        ))
        raise UserError(
            f"the {user.role} role may not {ACTION_WORDS.get(action, action.value)} ({command}); "
            f"{_who_may(action)}"
        )
    return user


def open_for_export(db: str | None, as_user: str, action: Action, command: str) -> tuple[Engine, SignedIn]:
    """The database, brought up to date, and the signed-in account allowed to run this export."""
    engine = open_database(db)
    try:
        return engine, authorise(engine, as_user, action, command)
    except BaseException:
        engine.dispose()
        raise


def export_key(engine: Engine, user: SignedIn) -> str:
    """The pseudonym key, created on first use (audited as 'site_secret_created', never its value)."""
    try:
        return run_write(engine, lambda s: ensure_site_key(set_actor(s, user.username)))
    except PseudonymKeyMissing as exc:
        raise UserError(str(exc)) from None


def audit_export(engine: Engine, user: SignedIn, event: str, detail: dict, patient_id: int | None = None) -> None:
    """The export in the audit trail: who, what, and for one patient's export, which patient."""
    run_write(engine, lambda s: record_event(set_actor(s, user.username), event, detail, patient_id))
