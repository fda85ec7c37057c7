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


def _nobase_three_months(at) -> str:
    return next(o for o in at.multiselect(key="fu_pick").options if o.startswith("NOBASE1") and "3-month" in o)


def test_logging_a_contact_attempt_shows_in_the_list_and_its_log(as_user):
    at = _follow_ups(as_user("nurse"))
    at.multiselect(key="fu_pick").select(_nobase_three_months(at))
    at.selectbox(key="fu_outcome_0").select("no_answer")
    at.text_input(key="fu_next_0").input("2099-01-01")  # a year ahead at most: refused, nothing saved
    at.button(key="FormSubmitter:fu_contact_form-Log the attempt").click().run()
    assert not at.exception
    refused = " ".join(e.value for e in at.error).replace("\\", "")  # shown escaped: plain text, not markdown
    assert "Nothing was saved. Next attempt on: “2099-01-01” is more than a year ahead" in refused
    overdue = at.dataframe[0].value
    assert overdue.loc[overdue["mrn"] == "NOBASE1", "attempts"].iloc[0] == 0

    at.text_input(key="fu_next_0").input("")
    at.text_area(key="fu_note_0").input("rang the mobile, no voicemail")
    at.button(key="FormSubmitter:fu_contact_form-Log the attempt").click().run()
    assert not at.exception and not at.error
    assert [t.value.replace("\\", "") for t in at.toast] == ["Logged “Called, no answer” for 1 follow-up."]
    overdue = at.dataframe[0].value
    row = overdue[overdue["mrn"] == "NOBASE1"].iloc[0]
    assert (row["outreach_words"], row["attempts"]) == ("Trying to reach", 1)
    assert row["last_contact"].endswith(": Called, no answer")
    log = at.dataframe[-1].value  # the contact log of the follow-ups chosen, under the list
    assert list(log["how"]) == ["Called, no answer"] and list(log["note_text"]) == ["rang the mobile, no voicemail"]
    assert list(log["recorded_by"]) == ["nurse"]


def test_the_list_filters_by_outreach_state(as_user):
    at = _follow_ups(as_user("nurse"))
    at.multiselect(key="fu_pick").select(_nobase_three_months(at))
    at.selectbox(key="fu_outcome_0").select("declined")
    at.button(key="FormSubmitter:fu_contact_form-Log the attempt").click().run()
    at.multiselect(key="fu_states").select("declined").run()
    overdue = at.dataframe[0].value
    assert list(overdue["mrn"]) == ["NOBASE1"] and list(overdue["outreach_words"]) == ["Declined"]


def test_a_decline_logged_here_shows_as_lost_to_follow_up_on_the_cohort_page(as_user):
    at = _follow_ups(as_user("nurse"))
    at.multiselect(key="fu_pick").select(_nobase_three_months(at))
    at.selectbox(key="fu_outcome_0").select("declined")
    at.button(key="FormSubmitter:fu_contact_form-Log the attempt").click().run()
    at.switch_page("pages/cohort.py").run()
    assert not at.exception
    table = next(t.value for t in at.table if "Lost to follow-up" in t.value.columns)
    # by hand, from the cohort's visits: the 3-month window (10-16 weeks) has closed for PERSIST1 (seen at
    # week 13), RECOVER1 (seen at 13) and NOBASE1 (visits at 8 and 19 only, declined); EARLY1 is at week 4
    three = table.loc["3 months"]
    assert three["Window closed"] == 3
    assert (three["Seen"], three["Lost to follow-up"], three["Declined"]) == ("67 % (2)", "33 % (1)", "33 % (1)")
    assert three["Unreachable after 3 attempts"] == "0 % (0)"
    # the 6-week window (4-8 weeks) closed for the same three; PERSIST1 has no visit in it and no outcome
    six = table.loc["6 weeks"]
    assert (six["Seen"], six["Lost to follow-up"], six["Not seen, no outcome yet"]) == (
        "67 % (2)",
        "0 % (0)",
        "33 % (1)",
    )
