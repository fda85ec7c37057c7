"""AppTest fixtures: a small known cohort built once per session, copied fresh for every test."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data_model import accounts, commands
from data_model.accounts import SignedIn
from data_model.audit import set_actor
from data_model.db import make_engine, run_write
from data_model.migrate import upgrade

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGES = Path(APP).parent / "pages"
TODAY = date.today()
PASSWORDS = {"doc": "doc-password", "nurse": "nurse-password", "boss": "boss-password"}
ROLES = {"doc": "clinician", "nurse": "staff", "boss": "admin"}


def _ago(weeks: float) -> str:
    return (TODAY - timedelta(days=round(weeks * 7))).isoformat()


# (mrn, name, procedure, weeks since surgery, [(weeks since surgery, back, leg)], story)
COHORT = [
    ("PERSIST1", "Pat Persistent", "fusion", 40, [(-2, 7, 6), (13, 7, 6), (26, 7, 6.5), (38, 7, 7)]),
    ("RECOVER1", "Rita Recovered", "discectomy", 30, [(-1, 3, 8), (6, 1, 1), (13, 1, 0), (26, 0, 1)]),
    ("EARLY1", "Eli Early", "laminectomy", 4, [(-1, 6, 6), (2, 5, 5)]),
    ("NOBASE1", "Nora Nobaseline", "discectomy", 20, [(8, 2, 6), (19, 2, 6)]),
]


def _build(engine) -> None:
    def action(session):
        set_actor(session, "fixture")
        for username, role in ROLES.items():
            accounts.add_user(session, username, role, PASSWORDS[username], username.title())
        for mrn, name, procedure, weeks, visits in COHORT:
            patient = commands.register_patient(session, {"mrn": mrn, "display_name": name, "sex": "female"})
            surgery_day = TODAY - timedelta(weeks=weeks)
            commands.add_surgery(session, patient.id, {"surgery_date": surgery_day, "procedure": procedure,
                                                        "surgeon": "Dr Hart"})
            for week, back, leg in visits:
                day = surgery_day + timedelta(days=round(week * 7))
                commands.add_visit(session, patient.id, {"visit_date": day, "back_pain": back, "leg_pain": leg})

    run_write(engine, action)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "app.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    _build(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def app_db(template_db, tmp_path, monkeypatch) -> str:
    """A private copy of the cohort database; the app under test reads its URL from the environment."""
    path = tmp_path / "app.db"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("PAINTRAIL_DATABASE_URL", url)
    monkeypatch.delenv("PAINTRAIL_DEMO", raising=False)
    return url


def signed_in_app(username: str | None) -> AppTest:
    """The app with a user already signed in (the sign-in form itself is tested separately)."""
    at = AppTest.from_file(APP, default_timeout=30)
    if username is not None:
        at.session_state["pt_user"] = SignedIn(username, ROLES[username], username.title())
    return at


@pytest.fixture
def as_user(app_db):
    return signed_in_app


def add_account_on_page(as_user, name: str, password: str, role: str | None = None) -> AppTest:
    """An admin fills in "Add an account" on the Accounts page and submits it; the app after the click."""
    at = as_user("boss").run()
    at.switch_page("pages/users.py").run()
    at.text_input(key="u_new_name").input(name)
    if role is not None:
        at.selectbox(key="u_new_role").select(role)
    at.text_input(key="u_new_pw").input(password)
    return at.button(key="FormSubmitter:add_user-Add account").click().run()
