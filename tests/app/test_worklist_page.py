"""Worklist page: flagged patients with the reason in words, filters, and the way into a patient."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from data_model import clock, commands
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, run_write
from data_model.models import Patient
from data_model.queries import load_settings


def _table(at):
    return at.dataframe[0].value


def test_the_clinician_sees_persisting_patients_with_reasons_and_not_the_recovered(as_user):
    at = as_user("doc").run()
    assert not at.exception
    table = _table(at)
    assert set(table["MRN"]) == {"PERSIST1", "NOBASE1"}
    persist = table.set_index("MRN").loc["PERSIST1"]
    assert "Persistent pain" in persist["Flags"]
    assert "26-week fusion window" in persist["Why"]
    assert "baseline missing" in table.set_index("MRN").loc["NOBASE1", "Why"]


def test_the_most_severe_patient_comes_first(as_user):
    at = as_user("doc").run()
    assert _table(at)["MRN"].iloc[0] == "PERSIST1"


def test_the_procedure_filter_narrows_the_list(as_user):
    at = as_user("doc").run()
    at.multiselect(key="wl_procedures").select("discectomy").run()
    assert list(_table(at)["MRN"]) == ["NOBASE1"]


def test_a_flag_filter_with_no_match_says_so(as_user):
    at = as_user("doc").run()
    at.multiselect(key="wl_flags").select("OFF_TRACK").run()
    assert "No patient matches" in at.success[0].value


def test_open_patient_goes_to_the_patient_page(as_user):
    at = as_user("doc").run()
    assert "PERSIST1 · Pat Persistent · born unknown" in _patient_choice(at).options
    _patient_choice(at).select_index(1)
    at.button(key="wl_open").click().run()
    assert not at.exception
    assert at.title[0].value.startswith("NOBASE1") or at.title[0].value.startswith("PERSIST1")


def test_staff_can_read_the_worklist_url_but_lands_on_visit_entry(as_user):
    at = as_user("nurse").run()
    assert at.title[0].value == "Enter visit"


def test_a_visit_saved_elsewhere_shows_on_the_worklist_at_the_next_rerun(as_user, app_db):
    """The worklist holds its evaluation between reruns and brings in another user's new visit."""
    at = as_user("doc")
    at.run()
    assert "RECOVER1" not in set(at.dataframe[0].value["MRN"])
    engine = make_engine(app_db)
    with read_session(engine) as session:
        patient_id = session.scalar(select(Patient.id).where(Patient.mrn == "RECOVER1"))
    run_write(
        engine,
        lambda s: commands.add_visit(
            set_actor(s, "nurse"), patient_id, {"visit_date": date.today(), "back_pain": 8, "leg_pain": 8.5}
        ),
    )
    engine.dispose()
    at.run()
    rows = at.dataframe[0].value
    assert "RECOVER1" in set(rows["MRN"])
    # today is week 30 after RECOVER1's surgery: only the new visit can put it in the reasons
    assert "at week 30" in rows.loc[rows["MRN"] == "RECOVER1", "Why"].iloc[0]


def test_the_worklist_says_whether_each_patient_is_in_the_acceptable_symptom_state(as_user):
    table = _table(as_user("doc").run()).set_index("MRN")
    assert table.loc["PERSIST1", "Acceptable"] == "Not acceptable"  # leg pain 7/10 now


def test_only_clinic_columns_are_offered_and_severity_reads_in_one_form(as_user):
    at = as_user("doc").run()
    table = _table(at)
    assert list(table.columns) == [
        "Severity",
        "MRN",
        "Name",
        "Procedure",
        "Weeks",
        "Pain",
        "Acceptable",
        "Flags",
        "Why",
    ]
    assert set(table["Severity"]) <= {"High", "Medium", "Low"}
    assert any("Severity is the highest of the patient's flags" in c.value for c in at.caption)
    assert not table.astype(str).isin(["None", "nan", "NaN", "<NA>"]).any().any()


def test_sort_by_weeks_orders_the_list_and_is_kept_in_the_address(as_user):
    at = as_user("doc").run()
    at.selectbox(key="wl_sort").set_value("weeks").run()
    # PERSIST1: fusion 40 weeks ago; NOBASE1: discectomy 20 weeks ago (tests/app/conftest.py)
    assert list(_table(at)["MRN"]) == ["PERSIST1", "NOBASE1"]
    assert at.query_params["sort"] in ("weeks", ["weeks"])
    at.selectbox(key="wl_order_weeks").set_value("asc").run()
    assert list(_table(at)["MRN"]) == ["NOBASE1", "PERSIST1"]
    assert at.query_params["order"] in ("asc", ["asc"])


def test_every_reason_of_the_chosen_patient_is_shown_in_full_under_the_list(as_user):
    at = as_user("doc").run()
    detail = [m.value for m in at.markdown]
    assert any("PERSIST1" in m for m in detail)  # the top patient, before anything is chosen
    reasons = next(m for m in detail if m.startswith("- "))
    lines = reasons.split("\n")
    assert len(lines) == len(set(lines)) >= 1
    assert any("26" in line and "fusion window" in line for line in lines)


def _patient_choice(at):
    """The choice of patient under the list (its key changes with the page shown, so that it starts at the top)."""
    return next(box for box in at.selectbox if box.label == "Patient")


@pytest.mark.parametrize(
    ("zone", "site_date"), [("Australia/Sydney", date(2026, 12, 4)), ("America/Los_Angeles", date(2026, 12, 3))]
)
def test_the_worklist_is_as_of_the_sites_date_not_the_servers(as_user, app_db, monkeypatch, zone, site_date):
    """23:30 UTC on 3 December: a clinic in Sydney is on the 4th, one in Los Angeles still on the 3rd."""
    engine = make_engine(app_db)
    run_write(
        engine,
        lambda s: commands.save_settings(set_actor(s, "boss"), replace(load_settings(s), time_zone=zone)),
    )
    engine.dispose()
    monkeypatch.setattr(clock, "utc_now", lambda: datetime(2026, 12, 3, 23, 30, tzinfo=UTC))
    at = as_user("doc").run()
    assert not at.exception
    assert at.date_input(key="wl_as_of").value == site_date
