"""Audit page (admin only): a visit saved by staff shows with who and the values after."""

from __future__ import annotations

import pytest


def test_a_saved_visit_appears_in_the_audit_trail_with_its_author(as_user):
    at = as_user("nurse").run()
    at.text_input(key="ef_query").input("EARLY1").run()
    at.text_input(key="v_leg_0").input("3.5")
    at.button(key="FormSubmitter:visit_form_0-Save visit").click().run()

    at = as_user("boss").run()
    at.switch_page("pages/audit.py").run()
    at.text_input(key="audit_mrn").input("EARLY1")
    at.selectbox(key="audit_table").select("visits").run()
    entries = at.dataframe[0].value
    latest = entries.iloc[0]
    assert latest["actor"] == "nurse" and latest["action"] == "insert" and '"leg_pain": 3.5' in latest["after"]


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
