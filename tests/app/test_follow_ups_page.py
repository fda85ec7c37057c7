"""Follow-ups page: overdue and due registry visits by time point, and the way to the visit form."""

from __future__ import annotations


def _follow_ups(at):
    at.run()
    at.switch_page("pages/follow_ups.py").run()
    return at


def test_staff_see_the_overdue_three_month_visit(as_user):
    at = _follow_ups(as_user("nurse"))
    assert not at.exception
    overdue = at.dataframe[0].value
    row = overdue[overdue["mrn"] == "NOBASE1"]
    assert list(row["follow_up"]) == ["3-month follow-up"]
    assert row["days_overdue"].iloc[0] > 0


def test_a_patient_due_this_week_is_listed_under_due(as_user):
    # EARLY1's laminectomy was 4 weeks ago: the 6-week window (4 to 8 weeks) is open, no visit yet.
    at = _follow_ups(as_user("nurse"))
    due = at.dataframe[1].value
    assert "EARLY1" in set(due["mrn"]) and "6-week follow-up" in set(due["follow_up"])


def test_enter_their_visit_opens_the_visit_form_for_that_patient(as_user):
    at = _follow_ups(as_user("nurse"))
    label = next(o for o in at.selectbox(key="fu_choice").options if o.startswith("EARLY1"))
    assert label == "EARLY1 · Eli Early · born unknown · 6-week follow-up"  # MRN, name and birth year
    at.selectbox(key="fu_choice").select(label)
    at.button(key="fu_enter").click().run()
    assert at.title[0].value == "Enter visit"
    assert "EARLY1" in at.markdown[0].value
