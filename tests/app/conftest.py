"""AppTest fixtures: a small known cohort built once per session, copied fresh for every test."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.signin import browser_session
from dashboard.signin.cookie import idle_limit
from data_model import commands
from data_model.access import accounts, sign_ins
from data_model.audit import set_actor
from data_model.db import make_engine, run_write
from data_model.migrate import upgrade

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGES = Path(APP).parent / "pages"
PASSWORDS = {"doc": "doc-password", "nurse": "nurse-password", "boss": "boss-password"}
ROLES = {"doc": "clinician", "nurse": "staff", "boss": "admin"}


def _ago(weeks: float) -> str:
    return (date.today() - timedelta(days=round(weeks * 7))).isoformat()


# (mrn, name, procedure, weeks since surgery, [(weeks since surgery, back, leg)], story)
COHORT = [
    ("PERSIST1", "Pat Persistent", "fusion", 40, [(-2, 7, 6), (13, 7, 6), (26, 7, 6.5), (38, 7, 7)]),
    ("RECOVER1", "Rita Recovered", "discectomy", 30, [(-1, 3, 8), (6, 1, 1), (13, 1, 0), (26, 0, 1)]),
    ("EARLY1", "Eli Early", "laminectomy", 4, [(-1, 6, 6), (2, 5, 5)]),
    ("NOBASE1", "Nora Nobaseline", "discectomy", 20, [(8, 2, 6), (19, 2, 6)]),
]


def _build(engine) -> None:
    # The app reads the real clock, so the cohort is dated from today, read when the template is built
    # (not at import, which may be long before, or on the other side of midnight).
    today = date.today()

    def action(session):
        set_actor(session, "fixture")
        for username, role in ROLES.items():
            accounts.add_user(session, username, role, PASSWORDS[username], username.title())
        for mrn, name, procedure, weeks, visits in COHORT:
            patient = commands.register_patient(session, {"mrn": mrn, "display_name": name, "sex": "female"})
            surgery_day = today - timedelta(weeks=weeks)
            commands.add_surgery(
                session, patient.id, {"surgery_date": surgery_day, "procedure": procedure, "surgeon": "Dr Hart"}
            )
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


# The one browser AppTest stands in for: AppTest cannot send cookies, so the app's reading of its
# sign-in cookie is pointed here, and the tests put in it what the hand-off address would.
BROWSER_COOKIE: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _browser_cookie(monkeypatch):
    BROWSER_COOKIE.clear()
    monkeypatch.setattr(browser_session, "presented_token", lambda: BROWSER_COOKIE.get("token"))
    yield
    BROWSER_COOKIE.clear()


def _claim(code: str) -> None:
    engine = make_engine(os.environ["PAINTRAIL_DATABASE_URL"])
    try:
        token = run_write(engine, lambda s: sign_ins.claim(s, code, idle_limit(), BROWSER_COOKIE.get("token")))
    finally:
        engine.dispose()
    assert token, "the hand-off code was refused"
    BROWSER_COOKIE["token"] = token


def sign_in_browser(username: str) -> None:
    """This browser signs in as username (its password was checked elsewhere): the cookie holds a real token."""
    engine = make_engine(os.environ["PAINTRAIL_DATABASE_URL"])
    try:
        code = run_write(engine, lambda s: sign_ins.start(set_actor(s, username), username))
    finally:
        engine.dispose()
    _claim(code)


def follow_hand_off(at: AppTest) -> None:
    """What the browser does once the password is accepted: follow the page to the hand-off address,
    which trades the page's one-time code for the sign-in cookie."""
    scripts = [html.proto.body for html in at.get("html") if "code=" in html.proto.body]
    assert scripts, "the page did not send the browser to the hand-off address"
    code = re.search(r"code=([A-Za-z0-9_-]+)", scripts[-1])
    assert code is not None, "the hand-off address carries no one-time code"
    _claim(code.group(1))


def signed_in_app(username: str | None) -> AppTest:
    """The app in a browser already signed in as username (the sign-in form itself is tested separately)."""
    at = AppTest.from_file(APP, default_timeout=30)
    if username is not None:
        sign_in_browser(username)
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
