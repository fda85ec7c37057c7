"""Accounts page (admin only): add an account that can then sign in; the last admin cannot be removed."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from data_model.access import accounts
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, run_write
from data_model.models import AuditEntry
from tests.app.conftest import add_account_on_page


def test_an_admin_adds_a_staff_account_that_can_sign_in(as_user, app_db):
    at = add_account_on_page(as_user, "mia", "mia-password", "staff")
    assert "Account mia (staff) added" in at.success[0].value
    engine = make_engine(app_db)
    result = accounts.sign_in(engine, "mia", "mia-password")
    assert result.user is not None and result.user.role == "staff"


def test_a_short_password_is_refused_naming_the_field(as_user):
    at = add_account_on_page(as_user, "tom", "short")
    assert "Password" in at.error[0].value or "password" in at.error[0].value


def test_an_admin_cannot_demote_themselves(as_user):
    at = as_user("boss").run()
    at.switch_page("pages/users.py").run()
    at.selectbox(key="u_change_name").select("boss")
    at.selectbox(key="u_change_role").select("staff")
    at.button(key="FormSubmitter:change_user-Apply").click().run()
    assert "cannot remove your own admin access" in at.error[0].value


@pytest.mark.parametrize("who", ["nurse", "doc"])
def test_only_admins_reach_the_accounts_page(as_user, who):
    at = as_user(who).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/users.py")


def test_accounts_read_in_words_with_role_status_and_last_sign_in_in_the_site_zone(as_user, app_db):
    engine = make_engine(app_db)
    at = add_account_on_page(as_user, "lena", "lena-password", "clinician")
    assert accounts.sign_in(engine, "lena", "lena-password").user is not None
    at = as_user("boss").run()
    at.switch_page("pages/settings.py").run()
    at.text_input(key="set_time_zone_0").input("Asia/Tokyo")
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    at.switch_page("pages/users.py").run()
    table = at.dataframe[0].value.set_index("User name")
    assert list(table.columns) == ["Name", "Role", "Status", "Last sign-in", "Account since"]
    lena = table.loc["lena"]
    assert (lena["Role"], lena["Status"]) == ("Clinician", "Active")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} JST", lena["Last sign-in"]), lena["Last sign-in"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", lena["Account since"])
    assert table.loc["boss", "Last sign-in"] == "never"  # boss is signed in by the test, never typed a password
    shown = " ".join(table.astype(str).to_numpy().ravel())
    assert "None" not in shown and "NaT" not in shown and "nan" not in shown
    assert "Times in Asia/Tokyo" in [c.value for c in at.caption]


def test_a_single_sign_on_account_shows_its_last_sign_in(as_user, app_db):
    engine = make_engine(app_db)
    run_write(engine, lambda s: accounts.add_user(set_actor(s, "boss"), "Dr.Lee@clinic.org", "clinician", None))
    add_account_on_page(as_user, "nina", "nina-password", "staff")
    # the identity provider spells the e-mail its own way; a person may type their name in capitals
    assert run_write(engine, lambda s: accounts.sso_sign_in(set_actor(s, "sso"), "DR.LEE@Clinic.org")).user
    assert accounts.sign_in(engine, "NINA", "nina-password").user is not None
    at = as_user("boss").run()
    at.switch_page("pages/users.py").run()
    table = at.dataframe[0].value.set_index("User name")
    for name in ("Dr.Lee@clinic.org", "nina"):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} \S+", table.loc[name, "Last sign-in"]), name
    with read_session(engine) as session:
        logins = session.scalars(select(AuditEntry).where(AuditEntry.action == "login")).all()
    assert sorted(e.actor for e in logins) == ["Dr.Lee@clinic.org", "nina"]  # audited as the password sign-ins
    assert {json.loads(e.detail).get("via") for e in logins} == {"single sign-on", None}
