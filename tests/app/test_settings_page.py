"""Settings page: admins change thresholds (validated, audited) and the flags follow at once."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_model.access.accounts import SignedIn
from data_model.db import make_engine, read_session
from data_model.models import AuditEntry
from tests.app.conftest import PAGES, ROLES


def shown(message: str) -> str:
    """A message as the person reads it: without the escapes that keep it from rendering as Markdown."""
    return re.sub(r"\\(.)", r"\1", message).replace("\u2060", "")


def test_raising_the_pain_threshold_changes_the_worklist_at_once(as_user, app_db):
    at = as_user("boss").run()
    assert "PERSIST1" in set(at.dataframe[0].value["MRN"])
    at.switch_page("pages/settings.py").run()
    at.text_input(key="set_persistent_pain_threshold_0").input("7.5")
    at.text_input(key="set_severe_pain_threshold_0").input("8")
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    assert not at.exception
    assert shown(at.success[0].value) == (
        "Saved. Persistent pain threshold: 4 → 7.5 points; Severe pain threshold: 7 → 8 points."
    )
    at.switch_page("pages/worklist.py").run()
    table = at.dataframe[0].value.set_index("MRN")
    # leg pain 6 is now below the threshold: whatever else is flagged, not persistent pain
    assert "NOBASE1" not in table.index or "Persistent pain" not in table.loc["NOBASE1", "Flags"]
    assert "Persistent pain" not in table.loc["PERSIST1", "Flags"]
    engine = make_engine(app_db)
    with read_session(engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "settings")).first()
    assert entry is not None and entry.actor == "boss"


def test_the_acceptable_state_and_rebound_settings_are_offered_in_clinic_words_with_their_defaults(as_user):
    at = as_user("boss").run()
    at.switch_page("pages/settings.py").run()
    boxes = {
        key: at.text_input(key=f"set_{key}_0")
        for key in ("mcid_nrs_points", "acceptable_odi_max", "rebound_relief_visits")
    }
    assert {key: (box.label, box.value) for key, box in boxes.items()} == {
        "mcid_nrs_points": ("Meaningful improvement in pain (MCID), points", "2"),
        "acceptable_odi_max": ("Acceptable disability (ODI, PASS), points", "20"),
        "rebound_relief_visits": ("Rebound: visits of sustained relief, visits", "2"),
    }
    assert boxes["mcid_nrs_points"].help == (
        "A patient whose pain (0–10) fell by at least this much since before surgery has improved "
        "meaningfully (or by the percentage below). Default: 2 points."
    )
    assert not at.number_input, "typed values are judged by the app, never by a number box's limits"


def test_restoring_a_default_is_said_in_words_and_audited_as_a_change_not_a_delete(as_user, app_db):
    at = as_user("boss").run()
    at.switch_page("pages/settings.py").run()
    at.text_input(key="set_mcid_nrs_points_0").input("2.5")
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    at.button(key="set_restore").click().run()
    assert shown(at.success[0].value) == (
        "Every setting is back to its default. Meaningful improvement in pain (MCID): 2.5 → 2 points."
    )
    assert at.text_input(key="set_mcid_nrs_points_2").value == "2"
    engine = make_engine(app_db)
    with read_session(engine) as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "settings").order_by(AuditEntry.id)).all()
    assert [(e.action, e.before and json.loads(e.before)["value"], json.loads(e.after)["value"]) for e in entries] == [
        ("insert", None, "2.5"),
        ("update", "2.5", "2.0"),
    ]


def test_a_time_zone_the_server_does_not_know_is_refused_by_name(as_user):
    at = as_user("boss").run()
    at.switch_page("pages/settings.py").run()
    at.text_input(key="set_time_zone_0").input("Europe/Olso")
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    assert shown(at.error[0].value) == (
        "Nothing was saved. Site time zone: “Europe/Olso” is not a time zone this server knows (e.g. Europe/Oslo)."
    )
    at.text_input(key="set_time_zone_0").input("Europe/Oslo")
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    assert shown(at.success[0].value) == "Saved. Site time zone: the server's own → Europe/Oslo."


def test_an_invalid_setting_is_refused_naming_it_and_nothing_changes(as_user):
    at = as_user("boss").run()
    at.switch_page("pages/settings.py").run()
    at.text_input(key="set_persistent_pain_threshold_0").input("8")  # above the severe threshold (7)
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    assert shown(at.error[0].value) == (
        "Nothing was saved. Severe pain threshold: “7” must not be below the persistent pain threshold (8)."
    )
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
        at.session_state["pt_use"] = SignedIn(who, ROLES[who], who)
        at.run()
        assert not at.text_input, f"{who} must not see the settings form"
        assert "does not give access" in at.error[0].value


def test_a_follow_up_time_point_out_of_range_is_refused_naming_its_row_and_nothing_changes(as_user, app_db):
    at = as_user("boss").run()
    at.switch_page("pages/settings.py").run()
    at.text_input(key="set_mcid_nrs_points_0").input("2.5")  # valid, but nothing is saved beside a refusal
    # the table's edits as the browser sends them: row 2 (3 months) weeks typed as 600
    at.session_state["set_schedule_0"] = {"edited_rows": {1: {"weeks": "600"}}, "added_rows": [], "deleted_rows": []}
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    assert shown(at.error[0].value) == (
        "Nothing was saved. Follow-up schedule, row 2, weeks after surgery: “600” must be between 1 and 520."
    )
    with read_session(make_engine(app_db)) as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.table_name == "settings")).first() is None
