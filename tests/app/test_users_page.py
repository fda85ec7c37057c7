"""Accounts page (admin only): add an account that can then sign in; the last admin cannot be removed."""

from __future__ import annotations

import pytest

from data_model.access import accounts
from data_model.db import make_engine
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
