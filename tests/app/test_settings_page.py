"""Settings page: admins change thresholds (validated, audited) and the flags follow at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_model.access.accounts import SignedIn
from data_model.db import make_engine, read_session
from data_model.models import AuditEntry
from tests.app.conftest import PAGES, ROLES


def test_raising_the_pain_threshold_changes_the_worklist_at_once(as_user, app_db):
    at = as_user("boss").run()
    assert "PERSIST1" in set(at.dataframe[0].value["MRN"])
    at.switch_page("pages/settings.py").run()
    at.number_input(key="set_persistent_pain_threshold").set_value(7.5)
    at.number_input(key="set_severe_pain_threshold").set_value(8.0)
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    assert not at.exception
    assert "persistent_pain_threshold" in at.success[0].value
    at.switch_page("pages/worklist.py").run()
    table = at.dataframe[0].value.set_index("MRN")
    # leg pain 6 is now below the threshold: whatever else is flagged, not persistent pain
    assert "NOBASE1" not in table.index or "Persistent pain" not in table.loc["NOBASE1", "Flags"]
    assert "Persistent pain" not in table.loc["PERSIST1", "Flags"]
    engine = make_engine(app_db)
    with read_session(engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "settings")).first()
    assert entry is not None and entry.actor == "boss"


def test_the_acceptable_state_and_rebound_settings_are_offered_with_their_defaults(as_user):
    at = as_user("boss").run()
    at.switch_page("pages/settings.py").run()
    shown = {
        key: (at.number_input(key=f"set_{key}").label, at.number_input(key=f"set_{key}").value)
        for key in ("acceptable_pain_max", "acceptable_odi_max", "rebound_relief_visits")
    }
    assert shown == {
        "acceptable_pain_max": ("Acceptable pain max", 3.0),
        "acceptable_odi_max": ("Acceptable odi max", 20.0),
        "rebound_relief_visits": ("Rebound relief visits", 2),
    }


def test_an_invalid_setting_is_refused_naming_it_and_nothing_changes(as_user):
    at = as_user("boss").run()
    at.switch_page("pages/settings.py").run()
    at.number_input(key="set_persistent_pain_threshold").set_value(8.0)  # above the severe threshold (7)
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    assert "Nothing was saved" in at.error[0].value and "severe_pain_threshold" in at.error[0].value
    at.switch_page("pages/worklist.py").run()
    assert "Persistent pain" in at.dataframe[0].value.set_index("MRN").loc["NOBASE1", "Flags"]


def test_settings_is_not_a_page_staff_or_clinicians_can_navigate_to(as_user):
    for who in ("nurse", "doc"):
        at = as_user(who).run()
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("pages/settings.py")


def test_the_settings_page_itself_refuses_other_roles_even_when_run_directly(app_db):
    for who in ("nurse", "doc"):
        at = AppTest.from_file(str(PAGES / "settings.py"), default_timeout=30)
        at.session_state["pt_user"] = SignedIn(who, ROLES[who], who)
        at.run()
        assert not at.number_input, f"{who} must not see the settings form"
        assert "does not give access" in at.error[0].value
