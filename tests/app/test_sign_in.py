"""Sign-in: nothing about patients before it, wrong passwords refused, the first admin on an empty store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from dashboard.signin.cookie import idle_limit
from data_model.access import accounts
from data_model.audit import set_actor
from data_model.db import make_engine, run_write
from data_model.models import SignIn, utcnow
from tests.app.conftest import APP, COHORT, PASSWORDS, follow_hand_off


def _all_text(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.title] + [e.value for e in at.caption]
    return " ".join(str(p) for p in parts)


def test_an_anonymous_visitor_sees_only_the_sign_in_form(app_db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert at.get("form")[0].proto.form.form_id == "login"
    assert not any(mrn in _all_text(at) for mrn, *_ in COHORT)
    assert len(at.dataframe) == 0


def test_the_right_password_signs_in_and_lands_on_the_worklist(app_db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input(key="login_username").input("doc")
    at.text_input(key="login_password").input(PASSWORDS["doc"])
    at.button[0].click().run()
    assert "Signing you in" in at.info[0].value
    follow_hand_off(at)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Worklist"


def test_a_right_password_alone_signs_nobody_in_without_the_browser_cookie(app_db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input(key="login_username").input("doc")
    at.text_input(key="login_password").input(PASSWORDS["doc"])
    at.button[0].click().run()
    at.run()  # the browser never followed the hand-off: it holds no sign-in cookie
    assert at.get("form")[0].proto.form.form_id == "login"
    assert len(at.dataframe) == 0


def test_a_wrong_password_is_refused_with_a_message(app_db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input(key="login_username").input("doc")
    at.text_input(key="login_password").input("not-the-password")
    at.button[0].click().run()
    assert "wrong password" in at.error[0].value.lower()
    assert "pt_user" not in at.session_state


def test_an_empty_store_asks_for_the_first_administrator(tmp_path, monkeypatch):
    monkeypatch.setenv("PAINTRAIL_DATABASE_URL", f"sqlite:///{Path(tmp_path) / 'empty.db'}")
    monkeypatch.delenv("PAINTRAIL_DEMO", raising=False)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert "first administrator" in at.subheader[0].value
    at.text_input(key="setup_username").input("chief")
    at.text_input(key="setup_password").input("long-enough-pw")
    at.text_input(key="setup_repeat").input("long-enough-pw")
    at.button[0].click().run()
    assert not at.exception
    assert at.get("form")[0].proto.form.form_id == "login"


def test_single_sign_on_is_offered_when_the_site_configures_it(app_db):
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "paintrail",
        "client_secret": "s",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
    }
    at.run()
    assert at.button(key="sso_login").label == "Sign in with single sign-on"
    assert at.get("form")[0].proto.form.form_id == "login", "local accounts still sign in"


def test_without_single_sign_on_configured_no_sso_button_is_shown(app_db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not [b for b in at.button if b.key == "sso_login"]


def _set_last_seen_back(url: str, by: timedelta) -> None:
    engine = make_engine(url)
    run_write(engine, lambda s: s.execute(update(SignIn).values(last_seen_at=utcnow() - by)))
    engine.dispose()


# AppTest runs the entrypoint (where the sign-in is checked) on a session's first run only, and the
# page alone after it: each check below is a fresh run of the same browser, as a reload is. The real
# browser tests (tests/e2e/test_sign_in_sessions.py) check the next click of an open page.


def test_a_reload_after_the_idle_limit_shows_the_sign_in_page_with_a_notice(as_user, app_db):
    assert as_user("doc").run().title[0].value == "Worklist"
    _set_last_seen_back(app_db, idle_limit() + timedelta(seconds=5))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert at.get("form")[0].proto.form.form_id == "login"
    assert "without activity" in at.info[0].value
    assert len(at.dataframe) == 0


def test_a_reload_within_the_idle_limit_stays_signed_in(as_user, app_db):
    as_user("doc").run()
    _set_last_seen_back(app_db, idle_limit() - timedelta(minutes=1))
    assert AppTest.from_file(APP, default_timeout=30).run().title[0].value == "Worklist"


def test_an_admin_whose_password_was_reset_meanwhile_gets_the_sign_in_page_not_the_accounts(as_user, app_db):
    at = as_user("boss").run()
    at.switch_page("pages/users.py").run()
    assert at.title[0].value == "Accounts"
    engine = make_engine(app_db)
    run_write(engine, lambda s: accounts.update_account(set_actor(s, "doc"), "boss", password="reset-by-a-colleague"))
    engine.dispose()
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert at.get("form")[0].proto.form.form_id == "login"
    assert "your account was changed" in at.info[0].value
