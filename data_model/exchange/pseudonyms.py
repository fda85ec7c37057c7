"""Stable pseudonyms and per-patient date shifts for de-identified exports (HMAC-SHA256 with a site secret)."""

from __future__ import annotations

import hmac
import os
import secrets
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit import record_event
from ..models import SiteSecret

KEY_ENV = "PAINTRAIL_PSEUDONYM_KEY"
KEY_NAME = "pseudonym_key"  # the site_secrets row
MAX_SHIFT_DAYS = 30
MIN_KEY_LENGTH = 16


class PseudonymKeyMissing(RuntimeError):
    """No site secret is configured, so a de-identified export cannot be made."""


def _digest(mrn: str, key: str | bytes) -> bytes:
    secret = key.encode("utf-8") if isinstance(key, str) else key
    return hmac.digest(secret, mrn.encode("utf-8"), "sha256")  # one-shot (OpenSSL): a worklist calls it per row


def pseudonym(mrn: str, key: str | bytes) -> str:
    """ "P-" + 10 hex characters: the same MRN and key always give the same pseudonym."""
    return "P-" + _digest(mrn, key).hex()[:10]


def date_shift_days(mrn: str, key: str | bytes) -> int:
    """A per-patient offset of 1 to 61 days into the past, stable for the MRN and key (bytes past the
    pseudonym's), the same in every de-identified file. Never 0: a date left as it was is no longer
    de-identified. Never forward: a shifted date never lands after the export day (no date is stored in
    the future), so a de-identified CSV export also passes the importer's "not in the future" check."""
    value = int.from_bytes(_digest(mrn, key)[5:9], "big")
    return value % (2 * MAX_SHIFT_DAYS + 1) - 2 * MAX_SHIFT_DAYS - 1


def shift(day: date | None, days: int) -> date | None:
    return None if day is None else day + timedelta(days=days)


def _checked(key: str, where: str) -> str:
    if len(key) < MIN_KEY_LENGTH:
        raise PseudonymKeyMissing(f"{where} is too short: use at least {MIN_KEY_LENGTH} characters")
    return key


def site_key(session: Session) -> str:
    """The site secret: $PAINTRAIL_PSEUDONYM_KEY, else the site_secrets row 'pseudonym_key'.

    Raises PseudonymKeyMissing when neither exists; ensure_site_key creates the row.
    """
    key = os.environ.get(KEY_ENV, "").strip()
    if key:
        return _checked(key, KEY_ENV)
    row = session.get(SiteSecret, KEY_NAME)
    if row is None or not row.value.strip():
        raise PseudonymKeyMissing(
            f"a de-identified export needs the site secret: set {KEY_ENV} (at least {MIN_KEY_LENGTH} characters) "
            "or let an export create one"
        )
    return _checked(row.value.strip(), f"the stored site secret {KEY_NAME!r}")


def ensure_site_key(session: Session) -> str:
    """The site secret, created (32 random bytes as hex) and stored when there is none yet.

    Call it in a write session with an actor set (audit.set_actor): the row's audit entry shows its value
    as "***" (audit.REDACTED_TABLE_COLUMNS), and an event 'site_secret_created' records who made it.
    Two exports racing to create it end with the same key: the loser reads the winner's row.
    """
    try:
        return site_key(session)
    except PseudonymKeyMissing:
        if os.environ.get(KEY_ENV, "").strip():
            raise  # a key is configured but unusable: never replace it silently with a stored one
    try:
        with session.begin_nested():
            session.add(SiteSecret(name=KEY_NAME, value=secrets.token_hex(32)))
            record_event(session, "site_secret_created", {"name": KEY_NAME})
    except IntegrityError:  # another process stored one in between (PostgreSQL; SQLite writes serialise)
        session.expire_all()
    return site_key(session)
