"""Worklist page: flagged patients with the reason in words, filters, and the way into a patient."""

from __future__ import annotations

from tests.app.conftest import signed_in_app


def _table(at):
    return at.dataframe[0].value


def test_the_clinician_sees_persisting_patients_with_reasons_and_not_the_recovered(as_user):
    at = as_user("doc").run()
    assert not at.exception
    table = _table(at)
    assert set(table["mrn"]) == {"PERSIST1", "NOBASE1"}
    persist = table.set_index("mrn").loc["PERSIST1"]
    assert "PERSISTENT_PAIN" in persist["flags"]
    assert "26-week fusion window" in persist["reasons"]
    assert "baseline missing" in table.set_index("mrn").loc["NOBASE1", "reasons"]


def test_the_most_severe_patient_comes_first(as_user):
    at = as_user("doc").run()
    assert _table(at)["mrn"].iloc[0] == "PERSIST1"


def test_the_procedure_filter_narrows_the_list(as_user):
    at = as_user("doc").run()
    at.multiselect(key="wl_procedures").select("discectomy").run()
    assert list(_table(at)["mrn"]) == ["NOBASE1"]


def test_a_flag_filter_with_no_match_says_so(as_user):
    at = as_user("doc").run()
    at.multiselect(key="wl_flags").select("OFF_TRACK").run()
    assert "No patient matches" in at.success[0].value


def test_open_patient_goes_to_the_patient_page(as_user):
    at = as_user("doc").run()
    at.selectbox(key="wl_open_choice").select_index(1)
    at.button(key="wl_open").click().run()
    assert not at.exception
    assert at.title[0].value.startswith("NOBASE1") or at.title[0].value.startswith("PERSIST1")


def test_staff_can_read_the_worklist_url_but_lands_on_visit_entry(as_user):
    at = as_user("nurse").run()
    assert at.title[0].value == "Enter visit"
