"""Enter visit: find a patient, save a validated visit, confirm a same-day second one, register patients.

AppTest sets values as text the way the browser commits them; what the browser itself does (typing,
Tab, Enter, what is in view) is tested in tests/e2e/.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from data_model.db import make_engine, read_session
from data_model.models import Patient, Surgery, Treatment, Visit


def _count(url, model, **where):
    engine = make_engine(url)
    with read_session(engine) as s:
        stmt = select(func.count()).select_from(model)
        for column, value in where.items():
            stmt = stmt.where(getattr(model, column) == value)
        n = s.scalar(stmt)
    engine.dispose()
    return n


def _find(at, text):
    at.run()
    at.text_input(key="ef_query").input(text).run()
    return at


def _tab(at, mrn, tab):
    """The patient open on one tab of the page, as after a click on that tab."""
    _find(at, mrn)
    at.session_state["ev_tab"] = tab
    return at.run()


def _fill_visit(at, gen=0, **values):
    for name, value in values.items():
        at.text_input(key=f"v_{name}_{gen}").input(value)
    at.button(key=f"FormSubmitter:visit_form_{gen}-Save visit").click().run()
    return at


def _text(markdown: str) -> str:
    """A message as the person reads it: the app escapes what was typed so it shows as typed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def _toasts(at):
    return [_text(t.value) for t in at.toast]


def _visit_choice(at):
    return next(box for box in at.selectbox if box.label == "Visit")


def _error(at) -> str:
    return _text(at.error[0].value)


def test_staff_save_a_visit_and_the_worklist_then_shows_the_patient(as_user, app_db):
    at = _find(as_user("nurse"), "RECOVER1")
    assert "RECOVER1" in at.markdown[0].value
    _fill_visit(at, back="8", leg="8.5")
    assert not at.exception
    assert any("Saved the visit" in t and "leg pain 8.5" in t for t in _toasts(at))
    assert _count(app_db, Visit, created_by="nurse") == 1
    at.switch_page("pages/worklist.py").run()
    assert "RECOVER1" in set(at.dataframe[0].value["MRN"])


def test_a_visit_without_any_measurement_is_refused_and_nothing_is_saved(as_user, app_db):
    before = _count(app_db, Visit)
    at = _find(as_user("nurse"), "EARLY1")
    at.button(key="FormSubmitter:visit_form_0-Save visit").click().run()
    assert _error(at).startswith("Nothing was saved")
    assert "needs at least one measurement: back pain, leg pain, ODI" in _error(at)
    assert "back_pain" not in _error(at), "clinic words, not column names"
    assert _count(app_db, Visit) == before


def test_a_value_out_of_range_beside_a_valid_one_saves_nothing_and_names_the_field_and_the_value(as_user, app_db):
    before = _count(app_db, Visit)
    at = _find(as_user("nurse"), "EARLY1")
    _fill_visit(at, back="11", leg="4", odi="lots")
    summary = _error(at)
    assert "Back pain: “11” must be between 0 and 10" in summary
    assert "ODI: “lots” is not a number (allowed: 0 to 100)" in summary
    beside = [c.value for c in at.caption if "must be between 0 and 10" in _text(c.value)]
    assert beside, "the message also stands under the field"
    assert at.text_input(key="v_back_0").value == "11", "what was typed stays for correcting"
    assert _count(app_db, Visit) == before


def test_a_future_visit_date_saves_nothing_and_says_why(as_user, app_db):
    before = _count(app_db, Visit)
    at = _find(as_user("nurse"), "EARLY1")
    _fill_visit(at, date="2099-12-10", back="5")
    assert f"Visit date: “2099-12-10” is in the future (today is {date.today().isoformat()})" in _error(at)
    assert _count(app_db, Visit) == before


def test_a_negative_dose_is_refused_not_dropped(as_user, app_db):
    before = _count(app_db, Visit)
    at = _find(as_user("nurse"), "EARLY1")
    _fill_visit(at, back="5", mme="-5")
    assert "Opioid MME/day: “-5” must be between 0 and 5000" in _error(at)
    assert _count(app_db, Visit) == before


def test_a_visit_before_the_birth_year_is_refused(as_user, app_db):
    at = as_user("nurse").run()
    at.text_input(key="p_mrn_0").input("YOUNG1")
    at.text_input(key="p_birth_0").input("2020")
    at.button(key="FormSubmitter:patient_form_0-Register patient").click().run()
    _fill_visit(at.run(), date="1950-03-01", back="5")
    assert "Visit date: “1950-03-01” is before the patient's birth year 2020" in _error(at)
    assert _count(app_db, Visit, visit_date=date(1950, 3, 1)) == 0


def test_a_second_visit_on_the_same_day_asks_before_saving(as_user, app_db):
    at = _find(as_user("nurse"), "EARLY1")
    _fill_visit(at, back="4")
    _fill_visit(at, gen=1, back="5")
    assert _count(app_db, Visit, visit_date=date.today()) == 1
    at.button(key="v_confirm_same_day").click().run()
    assert _count(app_db, Visit, visit_date=date.today()) == 2


def test_a_search_with_no_match_says_so(as_user):
    at = _find(as_user("nurse"), "NOSUCH")
    assert "No patient matches “NOSUCH”" in at.warning[0].value


def test_register_a_new_patient_with_a_surgery_and_the_new_patient_is_the_one_open(as_user, app_db):
    at = _find(as_user("nurse"), "EARLY1")
    at.session_state["ev_tab"] = "New patient"
    at.run()
    at.text_input(key="p_mrn_0").input("NEW-77")
    at.text_input(key="p_name_0").input("Neil New")
    at.text_input(key="p_birth_0").input("1971")
    at.text_input(key="s_date_1000").input("2026-01-05")
    at.selectbox(key="s_proc_1000").select("fusion")
    at.button(key="FormSubmitter:patient_form_0-Register patient").click().run()
    assert not at.exception
    assert any("Registered NEW-77 (Neil New)" in t for t in _toasts(at))
    assert _count(app_db, Patient, mrn="NEW-77") == 1 and _count(app_db, Surgery, procedure="fusion") == 2
    assert at.text_input(key="ef_query").value == "NEW-77"
    assert "NEW-77 · Neil New · born 1971" in _text(at.markdown[0].value)
    assert at.session_state["ev_tab"] == "Visit"


def test_a_surgeon_typed_without_a_surgery_date_is_refused_not_dropped(as_user, app_db):
    at = as_user("nurse").run()
    at.text_input(key="p_mrn_0").input("NEW-78")
    at.text_input(key="s_surgeon_1000").input("Dr Hart")
    at.button(key="FormSubmitter:patient_form_0-Register patient").click().run()
    assert "Surgery date is required" in _error(at)
    assert _count(app_db, Patient, mrn="NEW-78") == 0


def test_a_duplicate_mrn_is_refused_with_the_field_named_whatever_its_case(as_user, app_db):
    at = as_user("nurse").run()
    at.text_input(key="p_mrn_0").input(" persist1 ")
    at.button(key="FormSubmitter:patient_form_0-Register patient").click().run()
    assert "MRN: “persist1” already belongs to another patient (as PERSIST1" in _error(at)
    assert _count(app_db, Patient) == 4


def test_record_a_treatment(as_user, app_db):
    at = _tab(as_user("nurse"), "PERSIST1", "Treatment")
    at.selectbox(key="t_code_0").select("scs_trial")
    at.button(key="FormSubmitter:treatment_form_0-Save treatment").click().run()
    assert any("Spinal cord stimulation trial" in t for t in _toasts(at))
    assert _count(app_db, Treatment, code="scs_trial") == 1


def test_a_refused_treatment_speaks_dates_as_a_clinic_writes_them(as_user, app_db):
    at = _tab(as_user("nurse"), "PERSIST1", "Treatment")
    at.text_input(key="t_start_0").input("2099-11-20")
    at.button(key="FormSubmitter:treatment_form_0-Save treatment").click().run()
    assert "Start date: “2099-11-20” is in the future" in _error(at)
    assert "datetime" not in _error(at)
    assert at.session_state["ev_tab"] == "Treatment", "the error stays in its own tab"


def test_a_wrong_visit_is_corrected_and_the_audit_keeps_the_value_before(as_user, app_db):
    import json

    from data_model.models import AuditEntry

    at = _tab(as_user("nurse"), "EARLY1", "Correct a visit")
    vid = _visit_choice(at).value
    at.text_input(key=f"c_leg_{vid}").input("2.5")
    at.button(key=f"FormSubmitter:correct_form_{vid}-Save correction").click().run()
    assert any("Corrected the visit" in t for t in _toasts(at))
    engine = make_engine(app_db)
    with read_session(engine) as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "visits", AuditEntry.action == "update")
        ).one()
        assert json.loads(entry.after)["leg_pain"] == 2.5 and json.loads(entry.before)["leg_pain"] != 2.5
    engine.dispose()


def test_correct_a_visit_starts_from_the_visit_just_saved(as_user, app_db):
    at = _find(as_user("nurse"), "EARLY1")
    _fill_visit(at, date=date.today().isoformat(), back="3")
    at.session_state["ev_tab"] = "Correct a visit"
    at.run()
    engine = make_engine(app_db)
    with read_session(engine) as s:
        newest = s.scalar(select(func.max(Visit.id)))
    engine.dispose()
    assert _visit_choice(at).value == newest


def test_voiding_needs_a_reason_and_keeps_the_visit(as_user, app_db):
    before = _count(app_db, Visit)
    at = _tab(as_user("nurse"), "EARLY1", "Correct a visit")
    vid = _visit_choice(at).value
    at.button(key=f"FormSubmitter:void_form_{vid}-Void this visit").click().run()
    assert "Reason for voiding is required" in _error(at)
    at.text_input(key=f"c_reason_{vid}").input("entered for the wrong patient")
    at.button(key=f"FormSubmitter:void_form_{vid}-Void this visit").click().run()
    assert any("Voided the visit" in t for t in _toasts(at))
    assert _count(app_db, Visit) == before, "nothing is deleted"
    at.run()
    assert all(f"#{vid}" not in option for option in _visit_choice(at).options)
