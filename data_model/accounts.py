"""Local accounts: argon2 password hashes, roles, lockout after repeated failed logins."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .audit import record_event
from .catalog import ROLES
from .models import User, utcnow
from .validation import FieldError, ValidationFailed

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD_LENGTH = 8
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()


@dataclass(frozen=True)
class SignedIn:
    """Who is using the app: what pages and commands check, never the ORM row."""

    username: str
    role: str
    display_name: str


def _check_new_account(username: str, role: str, password: str | None) -> None:
    errors = []
    if not USERNAME.match(username or ""):
        errors.append(FieldError("username", username, "use 1-64 letters, digits, '.', '_', '-' or '@' (an e-mail address for single sign-on)"))
    if role not in ROLES:
        errors.append(FieldError("role", role, f"must be one of {', '.join(ROLES)}"))
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("password", "***", f"must be at least {MIN_PASSWORD_LENGTH} characters"))
    if errors:
        raise ValidationFailed(errors)


def add_user(session: Session, username: str, role: str, password: str | None, display_name: str | None = None) -> User:
    """Create an account (password None: single sign-on only)."""
    username = (username or "").strip()
    _check_new_account(username, role, password)
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


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id)))


def _as_aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were stored in UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


@dataclass(frozen=True)
class LoginResult:
    user: SignedIn | None
    message: str = ""


WRONG_CREDENTIALS = "Unknown user name or wrong password."


def authenticate(session: Session, username: str, password: str) -> LoginResult:
    """Check a password in a write session: failed attempts are counted and audited, then lock."""
    user = session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    if user is None or not user.active or user.password_hash is None:
        record_event(session, "login_failed", {"username": username, "why": "unknown or inactive account"})
        return LoginResult(None, WRONG_CREDENTIALS)
    now = utcnow()
    locked_until = _as_aware(user.locked_until)
    if locked_until is not None and locked_until > now:
        record_event(session, "login_refused_locked", {"username": user.username})
        return LoginResult(None, f"This account is locked until {locked_until:%H:%M} UTC after repeated failed logins.")
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        message = WRONG_CREDENTIALS
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            message = f"Too many failed logins: the account is locked for {LOCKOUT.seconds // 60} minutes."
        record_event(session, "login_failed", {"username": user.username, "why": "wrong password"})
        return LoginResult(None, message)
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    record_event(session, "login", {"username": user.username})
    return LoginResult(SignedIn(user.username, user.role, user.display_name or user.username))


def sso_sign_in(session: Session, email: str | None) -> LoginResult:
    """Single sign-on: the identity provider vouched for the e-mail; the local account decides the role."""
    user = session.scalar(select(User).where(func.lower(User.username) == (email or "").strip().lower()))
    if user is None or not user.active:
        record_event(session, "login_failed", {"username": email, "why": "single sign-on without an active account"})
        return LoginResult(None, f"{email or 'This identity'} has no active PainTrail account; ask an administrator.")
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
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed([FieldError("password", "***", f"must be at least {MIN_PASSWORD_LENGTH} characters")])
    demoting_self = acting_admin is not None and acting_admin.lower() == user.username.lower()
    if demoting_self and ((role is not None and role != "admin") or active is False):
        raise ValidationFailed([FieldError("username", username, "you cannot remove your own admin access")])
    if user.role == "admin" and ((role is not None and role != "admin") or active is False):
        admins = session.scalar(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True)))
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
