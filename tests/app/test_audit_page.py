"""Audit page (admin only): a visit saved by staff shows with who and the values after."""

from __future__ import annotations

import re
from datetime import date

import pytest


def test_a_saved_visit_appears_in_the_audit_trail_in_clinic_words_with_its_author_and_patient(as_user):
    at = as_user("nurse").run()
    at.text_input(key="ef_query").input("EARLY1").run()
    at.text_input(key="v_leg_0").input("3.5")
    at.button(key="FormSubmitter:visit_form_0-Save visit").click().run()

    at = as_user("boss").run()
    at.switch_page("pages/settings.py").run()
    at.text_input(key="set_time_zone_0").input("Europe/Oslo")
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    at.switch_page("pages/audit.py").run()
    at.text_input(key="audit_mrn").input("EARLY1")
    at.selectbox(key="audit_table").select("visits").run()
    entries = at.dataframe[0].value
    assert list(entries.columns) == ["When", "Who", "What", "Patient", "Details"]
    latest = entries.iloc[0]
    assert (latest["Who"], latest["What"], latest["Patient"]) == ("nurse", "Added a visit", "EARLY1 · Eli Early")
    assert "Leg pain: 3.5" in latest["Details"] and f"Visit date: {date.today():%Y-%m-%d}" in latest["Details"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} CES?T", latest["When"]), "in the site's zone, named"
    shown = " ".join(entries.astype(str).to_numpy().ravel())
    assert "None" not in shown and "{" not in shown and "leg_pain" not in shown and "nan" not in shown
    assert any(c.value.startswith("Times in Europe/Oslo.") for c in at.caption)


def test_the_raw_record_is_shown_on_demand(as_user):
    at = as_user("boss").run()
    at.switch_page("pages/audit.py").run()
    assert len(at.dataframe) == 1
    at.toggle(key="audit_raw").set_value(True).run()
    raw = at.dataframe[1].value
    assert {"before", "after", "table", "actor"} <= set(raw.columns)


def _settings_audit_after_a_change(as_user):
    """An admin sets meaningful improvement in pain to 2.5 points, then lists the audit of settings."""
    at = as_user("boss").run()
    at.switch_page("pages/settings.py").run()
    at.text_input(key="set_mcid_nrs_points_0").input("2.5")
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    at.switch_page("pages/audit.py").run()
    at.selectbox(key="audit_table").select("settings").run()
    return at


def test_a_changed_setting_reads_as_old_to_new_in_words(as_user):
    at = _settings_audit_after_a_change(as_user)
    latest = at.dataframe[0].value.iloc[0]
    assert latest["What"] == "Changed the setting “Meaningful improvement in pain (MCID)”"
    assert latest["Details"] == "Meaningful improvement in pain (MCID): 2 → 2.5 points"


def test_an_unknown_mrn_filter_says_so(as_user):
    at = as_user("boss").run()
    at.switch_page("pages/audit.py").run()
    at.text_input(key="audit_mrn").input("NOPE").run()
    assert "No patient with MRN" in at.warning[0].value


@pytest.mark.parametrize("who", ["nurse", "doc"])
def test_only_admins_reach_the_audit_trail(as_user, who):
    at = as_user(who).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/audit.py")


def test_a_selected_entry_is_read_in_full_with_its_raw_record(as_user):
    at = _settings_audit_after_a_change(as_user)
    at.session_state["audit_rows"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.text[0].value == "Meaningful improvement in pain (MCID): 2 → 2.5 points"
    raw = at.json[0].value
    assert '"key": "mcid_nrs_points"' in raw and '"value": "2.5"' in raw and '"action": "insert"' in raw
