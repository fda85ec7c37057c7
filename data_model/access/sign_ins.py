"""Sign-ins held by browsers: a random token in the browser's cookie, its hash here, checked on every use.

A sign-in starts with a one-time hand-off code (given to the page that signed in), which the browser
trades for its token at a web address that sets the cookie; the token itself is never stored. A
sign-in holds while its account is active, unlocked, and has the role and password it signed in with,
and while the browser is used within the idle limit; otherwise it ends, and ended stays ended.

Rows are written with SQL statements, not ORM objects: recording activity on every click must neither
fill the audit trail nor change the data version that the app's caches hang on. Sign-in, sign-out and
the end of a sign-in after idling are audited as events.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ..audit import record_event, set_actor
from ..db import DatabaseBusyError, read_session, run_write
from ..models import SignIn, User, utcnow
from .accounts import SignedIn
from .tablet import Tablet, tablet_of

HANDOFF_WINDOW = timedelta(minutes=2)  # a browser follows its hand-off at once; a stale code is worthless
KEEP_ENDED = timedelta(days=1)  # ended and abandoned sign-ins are deleted after this (or twice the idle limit)

# Why a sign-in ended (kept in sign_ins.ended_why, and read by the app to tell the person).
IDLE = "idle"
SIGNED_OUT = "signed out"
ACCOUNT_CHANGED = "account changed"
REPLACED = "signed in again"
UNKNOWN = "unknown"


def digest(secret: str) -> str:
    """What is stored of a token or code: its SHA-256 (they are random, so no salt or slow hash is needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def credential_of(password_hash: str | None) -> str:
    """A fingerprint of the account's password: a reset password changes it, and ends every sign-in."""
    return digest(password_hash or "single sign-on")


def touch_interval(idle: timedelta) -> timedelta:
    """How stale the recorded activity may be before it is written again: at most one write per
    half-minute per browser, fine enough for any idle limit (a twentieth of it)."""
    return min(idle / 20, timedelta(seconds=30))


@dataclass(frozen=True)
class Check:
    """What a presented token is worth now: the account it signs in, or why it no longer does."""

    user: SignedIn | None
    ended: str | None = None  # None with no user: nothing was presented
    sign_in_id: int | None = None
    via_sso: bool = False
    tablet: Tablet | None = None  # the sign-in is a tablet locked to one patient's self-report (tablet.py)


def start(session: Session, username: str, via_sso: bool = False) -> str:
    """Begin a sign-in for an account that has just proven who it is; returns the one-time hand-off code."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.active:
        raise ValueError(f"no active account {username!r}")
    code = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(
        insert(SignIn).values(
            user_id=user.id,
            role=user.role,
            credential=credential_of(user.password_hash),
            via_sso=via_sso,
            handoff_hash=digest(code),
            created_at=now,
            last_seen_at=now,
        )
    )
    return code


def claim(session: Session, code: str, idle: timedelta, previous_token: str | None = None) -> str | None:
    """Trade a fresh hand-off code for the browser's token (once); None for an unknown, used or stale code.

    The token the browser held before is ended: a browser holds one sign-in at a time."""
    now = utcnow()
    row = session.execute(
        select(SignIn.id, SignIn.created_at).where(SignIn.handoff_hash == digest(code or ""), SignIn.ended_at.is_(None))
    ).one_or_none()
    if row is None or now - row.created_at > HANDOFF_WINDOW:
        return None
    token = secrets.token_urlsafe(32)
    taken = session.execute(
        update(SignIn)
        .where(SignIn.id == row.id, SignIn.handoff_hash.is_not(None))
        .values(handoff_hash=None, token_hash=digest(token), last_seen_at=now)
    )
    if cast("CursorResult[Any]", taken).rowcount != 1:  # another request took it first
        return None
    if previous_token:
        session.execute(
            update(SignIn)
            .where(SignIn.token_hash == digest(previous_token), SignIn.ended_at.is_(None))
            .values(ended_at=now, ended_why=REPLACED)
        )
    _forget_old(session, now, idle)
    return token


def _forget_old(session: Session, now: datetime, idle: timedelta) -> None:
    keep = max(KEEP_ENDED, 2 * idle)
    session.execute(
        delete(SignIn).where(
            or_(
                SignIn.ended_at < now - keep,
                SignIn.last_seen_at < now - keep,
                SignIn.handoff_hash.is_not(None) & (SignIn.created_at < now - HANDOFF_WINDOW),
            )
        )
    )


def _why_ended(row, now: datetime, idle: timedelta) -> str | None:
    if row.ended_at is not None:
        return row.ended_why or SIGNED_OUT
    locked = row.locked_until is not None and row.locked_until > now
    if not row.active or locked or row.role != row.account_role or row.credential != credential_of(row.password_hash):
        return ACCOUNT_CHANGED
    if now - row.last_seen_at > idle:
        return IDLE
    return None


def check(engine: Engine, token: str | None, idle: timedelta, *, touch: bool = True) -> Check:
    """The sign-in a browser's token holds, checked against its account as it is now.

    One indexed read; a write only when the sign-in ends here or its recorded activity is stale
    (touch=False never records activity: a timer asking is not the person doing something)."""
    if not token:
        return Check(None)
    now = utcnow()
    with read_session(engine) as session:
        row = session.execute(
            select(
                SignIn.id,
                SignIn.role,
                SignIn.credential,
                SignIn.via_sso,
                SignIn.last_seen_at,
                SignIn.ended_at,
                SignIn.ended_why,
                SignIn.tablet_stage,
                SignIn.tablet_patient_id,
                User.username,
                User.display_name,
                User.active,
                User.locked_until,
                User.password_hash,
                User.role.label("account_role"),
            )
            .join(User, User.id == SignIn.user_id)
            .where(SignIn.token_hash == digest(token))
        ).one_or_none()
    if row is None:
        return Check(None, UNKNOWN)
    why = _why_ended(row, now, idle)
    if why is not None:
        if row.ended_at is None:
            _unless_busy(engine, lambda s: end(set_actor(s, row.username), row.id, why))
        return Check(None, why, row.id, row.via_sso)
    if touch and now - row.last_seen_at >= touch_interval(idle):
        _unless_busy(engine, lambda s: seen(s, row.id))
    user = SignedIn(row.username, row.role, row.display_name or row.username)
    return Check(user, None, row.id, row.via_sso, tablet_of(row.tablet_stage, row.tablet_patient_id))


def _unless_busy(engine: Engine, action: Callable[[Session], object]) -> None:
    """Record what a check found; when the store stays busy, the next check records it instead (the
    verdict stands either way: an ended sign-in is refused whether or not its end is written yet)."""
    try:
        run_write(engine, action)
    except DatabaseBusyError:
        logging.getLogger(__name__).warning("the store was busy; a sign-in's activity or end is recorded later")


def seen(session: Session, sign_in_id: int) -> None:
    """Record that the browser was used now (never on an ended sign-in)."""
    session.execute(
        update(SignIn).where(SignIn.id == sign_in_id, SignIn.ended_at.is_(None)).values(last_seen_at=utcnow())
    )


def end(session: Session, sign_in_id: int, why: str) -> bool:
    """End one sign-in (sign-out, idle, a changed account); audited once, as the session's actor."""
    ended = session.execute(
        update(SignIn)
        .where(SignIn.id == sign_in_id, SignIn.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_why=why)
    )
    if cast("CursorResult[Any]", ended).rowcount != 1:
        return False
    if why in (IDLE, SIGNED_OUT):
        record_event(session, "logout", {"why": why})
    return True
