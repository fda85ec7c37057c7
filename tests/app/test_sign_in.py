"""Sign-in: nothing about patients before it, wrong passwords refused, the first admin on an empty store."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, COHORT, PASSWORDS


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
    assert not at.exception
    assert at.title[0].value == "Worklist"


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
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "paintrail", "client_secret": "s",
                          "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
    at.run()
    assert at.button(key="sso_login").label == "Sign in with single sign-on"
    assert at.get("form")[0].proto.form.form_id == "login", "local accounts still sign in"


def test_without_single_sign_on_configured_no_sso_button_is_shown(app_db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not [b for b in at.button if b.key == "sso_login"]


def test_an_idle_session_is_signed_out_with_a_notice(as_user):
    import time

    from dashboard.state import IDLE_MINUTES, LAST_ACTIVE

    # AppTest re-runs only the page script after its first run, so the idle check in the
    # entrypoint is exercised on a first run with a session that has been idle too long.
    at = as_user("doc")
    at.session_state[LAST_ACTIVE] = time.monotonic() - IDLE_MINUTES * 60 - 5
    at.run()
    assert at.get("form")[0].proto.form.form_id == "login"
    assert "without activity" in at.info[0].value
    assert len(at.dataframe) == 0


def test_a_recently_active_session_stays_signed_in(as_user):
    import time

    from dashboard.state import LAST_ACTIVE

    at = as_user("doc")
    at.session_state[LAST_ACTIVE] = time.monotonic() - 60
    at.run()
    assert at.title[0].value == "Worklist"
