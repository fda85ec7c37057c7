"""Local accounts: argon2 password hashes, roles, lockout after repeated failed logins."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TypedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, case, func, literal, or_, select, text, update
from sqlalchemy.orm import Session

from ..audit import record_event, set_actor
from ..catalog import ROLES
from ..db import run_write
from ..models import User, UTCDateTime, utcnow
from ..validation import CONTROL_CHARS, FieldError, ValidationFailed

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD_LENGTH = 8
MAX_USERNAME_LENGTH = 64  # users.username
MAX_PASSWORD_LENGTH = 1024  # bounds the hashing work an anonymous visitor can ask for
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
HASH_COST_ENV = "PAINTRAIL_PASSWORD_HASH_COST"


class HashCost(TypedDict, total=False):
    """argon2 parameters (PasswordHasher's keyword arguments); those left out keep argon2's defaults."""

    time_cost: int
    memory_cost: int
    parallelism: int


# argon2id's cost for new hashes. "standard" is argon2-cffi's default, RFC 9106's low-memory choice
# (64 MiB, 3 passes, 4 lanes); "minimum" is OWASP's floor (19 MiB, 2 passes, 1 lane), about a seventh of
# the work, for a server too slow for the standard, and for the test suite, which signs in thousands of
# times. Each hash keeps its own parameters, and a sign-in rehashes a password whose cost differs.
HASH_COSTS: dict[str, HashCost] = {
    "standard": {},
    "minimum": {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1},
}


def _password_hasher() -> PasswordHasher:
    cost = os.environ.get(HASH_COST_ENV, "standard").strip().lower() or "standard"
    if cost not in HASH_COSTS:
        raise RuntimeError(f'{HASH_COST_ENV} is "{cost}"; it must be "standard" or "minimum".')
    return PasswordHasher(**HASH_COSTS[cost])


_hasher = _password_hasher()


@dataclass(frozen=True)
class SignedIn:
    """Who is using the app: what pages and commands check, never the ORM row."""

    username: str
    role: str
    display_name: str


MAX_DISPLAY_NAME_LENGTH = 200  # users.display_name


def _check_new_account(username: str, role: str, password: str | None, display_name: str | None = None) -> None:
    """Every field checked before the database sees it (a too-long value is a message, not a database error)."""
    errors = []
    if not USERNAME.match(username or ""):
        errors.append(
            FieldError(
                "username",
                username,
                "use 1-64 letters, digits, '.', '_', '-' or '@' (an e-mail address for single sign-on)",
            )
        )
    if role not in ROLES:
        errors.append(FieldError("role", role, f"must be one of {', '.join(ROLES)}"))
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("password", "***", f"must be at least {MIN_PASSWORD_LENGTH} characters"))
    if password is not None and len(password) > MAX_PASSWORD_LENGTH:
        errors.append(FieldError("password", "***", f"must be at most {MAX_PASSWORD_LENGTH} characters"))
    if display_name is not None:
        if len(display_name) > MAX_DISPLAY_NAME_LENGTH:
            errors.append(
                FieldError(
                    "display_name",
                    display_name[:40] + "…",
                    f"must be at most {MAX_DISPLAY_NAME_LENGTH} characters ({len(display_name)} given)",
                )
            )
        elif CONTROL_CHARS.search(display_name):
            errors.append(FieldError("display_name", display_name, "contains control characters"))
    if errors:
        raise ValidationFailed(errors)


def add_user(session: Session, username: str, role: str, password: str | None, display_name: str | None = None) -> User:
    """Create an account (password None: single sign-on only)."""
    username = (username or "").strip()
    display_name = (display_name or "").strip() or None
    _check_new_account(username, role, password, display_name)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise ValidationFailed([FieldError("username", username, "already exists")])
    user = User(
        username=username,
        role=role,
        display_name=display_name or username,
        password_hash=_hasher.hash(password) if password is not None else None,
    )
    session.add(user)
    session.flush()
    return user


def add_first_admin(session: Session, username: str, password: str, display_name: str | None = None) -> User:
    """The first account of a database with none: an admin, created without anyone's credentials.

    The count and the insert happen under a lock on the accounts (PostgreSQL: the users table; SQLite:
    the write transaction), so two first admins created at once end with one and a refusal.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))
    if count_users(session):
        raise ValidationFailed(
            [FieldError("username", username, "accounts exist already: an admin adds accounts (--as-user an admin)")]
        )
    return add_user(session, username, "admin", password, display_name)


def count_users(session: Session) -> int:
    return session.execute(select(func.count(User.id))).scalar_one()


@dataclass(frozen=True)
class LoginResult:
    user: SignedIn | None
    message: str = ""


# One message for every refusal (unknown name, wrong password, inactive, single sign-on only, locked), so a
# refusal never tells whether an account exists or what state it is in.
REFUSED = (
    f"Sign-in refused: unknown user name or wrong password. After {MAX_FAILED_LOGINS} failed sign-ins an "
    f"account is locked for {LOCKOUT.seconds // 60} minutes."
)


@cache
def _dummy_hash() -> str:
    """A hash no password matches, verified for every refusal that has no real hash to check, so a refusal
    takes the same time whether or not the account exists."""
    return _hasher.hash(secrets.token_hex(16))


def audit_name(name: str | None, fallback: str = "anonymous") -> str:
    """A name the audit trail can hold as its actor (an account name fits; a longer text does not)."""
    name = (name or "").strip()
    return name if 0 < len(name) <= MAX_USERNAME_LENGTH and not CONTROL_CHARS.search(name) else fallback


@dataclass(frozen=True)
class _Claim:
    """An attempt counted against an account before its password is checked."""

    username: str
    role: str
    display_name: str | None
    password_hash: str
    failed_logins: int  # counting this attempt; the lock is already set when it reached the limit


def _claim_attempt(session: Session, name: str, now: datetime) -> _Claim | None:
    """Count one attempt against an active, unlocked password account, atomically, before any verification.

    A single conditional UPDATE ... RETURNING: concurrent attempts queue on the row (PostgreSQL) or on
    the write lock (SQLite), and each sees the count the one before left. The attempt that reaches the
    limit sets the lock in the same statement, so at most MAX_FAILED_LOGINS attempts ever get their
    password checked; the others are refused unseen. None: no such account, or not one that may try now.
    """
    users = User.__table__
    lock_passed = users.c.locked_until.is_not(None)  # in the WHERE below, a lock here has expired
    count = case((lock_passed, 1), else_=users.c.failed_logins + 1)
    stmt = (
        update(users)
        .where(
            func.lower(users.c.username) == name.lower(),
            users.c.active.is_(True),
            users.c.password_hash.is_not(None),
            or_(users.c.locked_until.is_(None), users.c.locked_until <= literal(now, UTCDateTime())),
        )
        .values(
            failed_logins=count,
            locked_until=case((count >= MAX_FAILED_LOGINS, literal(now + LOCKOUT, UTCDateTime())), else_=None),
        )
        .returning(users.c.username, users.c.role, users.c.display_name, users.c.password_hash, users.c.failed_logins)
    )
    row = session.execute(stmt).one_or_none()
    return None if row is None else _Claim(*row)


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _why_refused(session: Session, name: str) -> str:
    """For the audit trail only (admins read it); the person signing in never sees it."""
    if len(name) > MAX_USERNAME_LENGTH:
        return "user name longer than any account's"
    user = session.scalar(select(User).where(func.lower(User.username) == name.lower()))
    if user is None:
        return "unknown account"
    if not user.active:
        return "inactive account"
    if user.password_hash is None:
        return "single sign-on only"
    return "locked"


def _settle(session: Session, name: str, claim: _Claim | None, verified: bool, password: str) -> LoginResult:
    """Record the outcome of one attempt: the sign-in, or the refusal (and the lock it set), audited."""
    if claim is None:
        why = _why_refused(session, name)
        action = "login_refused_locked" if why == "locked" else "login_failed"
        record_event(session, action, {"username": audit_name(name, name[:MAX_USERNAME_LENGTH] + "…"), "why": why})
        return LoginResult(None, REFUSED)
    if not verified:
        record_event(session, "login_failed", {"username": claim.username, "why": "wrong password"})
        if claim.failed_logins >= MAX_FAILED_LOGINS:
            record_event(
                session,
                "account_locked",
                {"username": claim.username, "failed_logins": claim.failed_logins, "minutes": LOCKOUT.seconds // 60},
            )
        return LoginResult(None, REFUSED)
    # The attempt counted by the claim is given back (the 'login' event records the sign-in; a row update
    # in the audit trail for every sign-in would only bury the changes people make).
    cleared: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if _hasher.check_needs_rehash(claim.password_hash):
        cleared["password_hash"] = _hasher.hash(password)
    session.execute(update(User.__table__).where(User.__table__.c.username == claim.username).values(**cleared))
    set_actor(session, claim.username)  # the account's name, however its case was typed (the last sign-in)
    record_event(session, "login", {"username": claim.username})
    return LoginResult(SignedIn(claim.username, claim.role, claim.display_name or claim.username))


def sign_in(engine: Engine, username: str | None, password: str | None) -> LoginResult:
    """Check a user name and password: counted, locked after MAX_FAILED_LOGINS, audited.

    Every attempt does the same work whatever the account: a short transaction that counts the attempt
    (_claim_attempt), exactly one argon2 verification (against a dummy hash when there is no account that
    may try), and a short transaction that records the outcome. The verification runs outside any
    transaction, so attempts on one account do not queue behind each other's hashing either.
    """
    name = (username or "").strip()
    password = (password or "")[:MAX_PASSWORD_LENGTH]
    now = utcnow()
    claim = None
    if 0 < len(name) <= MAX_USERNAME_LENGTH:
        claim = run_write(engine, lambda s: _claim_attempt(s, name, now))
    verified = _verifies(claim.password_hash if claim else _dummy_hash(), password)
    return run_write(engine, lambda s: _settle(set_actor(s, audit_name(name)), name, claim, verified, password))


def check_stored_password(
    stored: tuple[str, str, str | None, str | None, bool] | None, password: str | None
) -> SignedIn | None:
    """A password checked against an account read from elsewhere (a backup file), counting nothing: the
    account when it is active and the password matches, else None. One argon2 verification either way."""
    password_hash = stored[3] if stored is not None and stored[4] else None
    verified = _verifies(
        password_hash if password_hash is not None else _dummy_hash(), (password or "")[:MAX_PASSWORD_LENGTH]
    )
    if stored is None or password_hash is None or not verified:
        return None
    username, role, display_name, _, _ = stored
    return SignedIn(username, role, display_name or username)


def sso_sign_in(session: Session, email: str | None) -> LoginResult:
    """Single sign-on: the identity provider vouched for the e-mail; the local account decides the role."""
    set_actor(session, audit_name(email, "sso"))  # an identity provider's e-mail may be longer than any account
    user = session.scalar(select(User).where(func.lower(User.username) == (email or "").strip().lower()))
    if user is None or not user.active:
        record_event(session, "login_failed", {"username": email, "why": "single sign-on without an active account"})
        return LoginResult(None, f"{email or 'This identity'} has no active PainTrail account; ask an administrator.")
    # The account's own name as the actor, not the provider's spelling of the e-mail (Dr.Lee@Clinic.org for
    # dr.lee@clinic.org): the Accounts page reads an account's last sign-in from the events it is the actor of.
    set_actor(session, user.username)
    record_event(session, "login", {"username": user.username, "via": "single sign-on"})
    return LoginResult(SignedIn(user.username, user.role, user.display_name or user.username))


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    if user is None:
        raise ValidationFailed([FieldError("username", username, "no such account")])
    return user


def update_account(
    session: Session,
    username: str,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
    unlock: bool = False,
    acting_admin: str | None = None,
) -> User:
    """Change an account's role, active state or password, or lift a lockout; audited like any write."""
    user = _user(session, username)
    if role is not None and role not in ROLES:
        raise ValidationFailed([FieldError("role", role, f"must be one of {', '.join(ROLES)}")])
    if password is not None and not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            [FieldError("password", "***", f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")]
        )
    demoting_self = acting_admin is not None and acting_admin.lower() == user.username.lower()
    if demoting_self and ((role is not None and role != "admin") or active is False):
        raise ValidationFailed([FieldError("username", username, "you cannot remove your own admin access")])
    if user.role == "admin" and ((role is not None and role != "admin") or active is False):
        admins = session.execute(
            select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))
        ).scalar_one()
        if admins <= 1:
            raise ValidationFailed([FieldError("role", role or "inactive", "the last active admin must stay an admin")])
    if role is not None:
        user.role = role
    if active is not None:
        user.active = active
    if password is not None:
        user.password_hash = _hasher.hash(password)
    if unlock or password is not None:
        user.failed_logins = 0
        user.locked_until = None
    session.flush()
    return user
