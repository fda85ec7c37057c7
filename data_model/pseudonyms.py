"""Stable pseudonyms and per-patient date shifts for de-identified exports (HMAC-SHA256 with a site secret)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import date, timedelta

from sqlalchemy.orm import Session

from .models import Setting

KEY_ENV = "PAINTRAIL_PSEUDONYM_KEY"
KEY_SETTING = "pseudonym_key"
MAX_SHIFT_DAYS = 30
MIN_KEY_LENGTH = 16


class PseudonymKeyMissing(RuntimeError):
    """No site secret is configured, so a de-identified export cannot be made."""


def _digest(mrn: str, key: str | bytes) -> bytes:
    secret = key.encode("utf-8") if isinstance(key, str) else key
    return hmac.new(secret, mrn.encode("utf-8"), hashlib.sha256).digest()


def pseudonym(mrn: str, key: str | bytes) -> str:
    """"P-" + 10 hex characters: the same MRN and key always give the same pseudonym."""
    return "P-" + _digest(mrn, key).hex()[:10]


def date_shift_days(mrn: str, key: str | bytes) -> int:
    """A per-patient offset in -30..+30 days, stable for the MRN and key (bytes past the pseudonym's)."""
    value = int.from_bytes(_digest(mrn, key)[5:9], "big")
    return value % (2 * MAX_SHIFT_DAYS + 1) - MAX_SHIFT_DAYS


def shift(day: date | None, days: int) -> date | None:
    return None if day is None else day + timedelta(days=days)


def site_key(session: Session) -> str:
    """The site secret: $PAINTRAIL_PSEUDONYM_KEY, else the settings row 'pseudonym_key'.

    Nothing is generated or stored here: a key written through the ORM would be copied into the audit
    trail, and data_model.settings.from_values refuses unknown setting keys (see the FHIR export notes).
    """
    key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        row = session.get(Setting, KEY_SETTING)
        if row is not None:
            try:
                stored = json.loads(row.value)
            except ValueError:
                stored = row.value
            key = str(stored).strip()
    if not key:
        raise PseudonymKeyMissing(
            f"a de-identified export needs the site secret: set {KEY_ENV} (at least {MIN_KEY_LENGTH} characters)"
        )
    if len(key) < MIN_KEY_LENGTH:
        raise PseudonymKeyMissing(f"{KEY_ENV} is too short: use at least {MIN_KEY_LENGTH} characters")
    return key
