"""The sign-in cookie: its name, the address that sets it, and the idle limit that ends the sign-in it holds."""

from __future__ import annotations

import os
from datetime import timedelta

COOKIE = "paintrail_sign_in"
HANDOFF_PATH = "/_paintrail/sign-in"
IDLE_MINUTES = float(os.environ.get("PAINTRAIL_IDLE_MINUTES", "30"))


def idle_limit() -> timedelta:
    return timedelta(minutes=IDLE_MINUTES)
