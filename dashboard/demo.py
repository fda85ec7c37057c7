"""The demo's accounts and database, shared by `paintrail demo` and the login page."""

from __future__ import annotations

import os

DEMO_DATABASE_URL = "sqlite:///paintrail-demo.db"
DEMO_ENV = "PAINTRAIL_DEMO"
DEMO_PATIENTS = 500

# username, role, password: demo only; outside demo mode no account has a default password.
DEMO_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("clinician", "clinician", "demo-clinician"),
    ("staff", "staff", "demo-staff"),
    ("admin", "admin", "demo-admin"),
)


def demo_mode() -> bool:
    return os.environ.get(DEMO_ENV, "") == "1"
