"""Enter visit: find a patient, save a validated visit, confirm a same-day second one, register patients."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from dashboard.formatting import plain
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


def _fill_visit(at, **values):
    for name, value in values.items():
        at.number_input(key=f"v_{name}_0").set_value(value)
    at.button(key="FormSubmitter:visit_form_0-Save visit").click().run()
    return at


def test_staff_save_a_visit_and_the_worklist_then_shows_the_patient(as_user, app_db):
    at = _find(as_user("nurse"), "RECOVER1")
    assert "RECOVER1" in at.markdown[0].value
    _fill_visit(at, back=8.0, leg=8.5)
    assert not at.exception
    assert "Saved the visit" in at.success[0].value and "leg pain 8.5" in at.success[0].value
    assert _count(app_db, Visit, created_by="nurse") == 1
    at.switch_page("pages/worklist.py").run()
    assert "RECOVER1" in set(at.dataframe[0].value["mrn"])


def test_a_visit_without_any_measurement_is_refused_and_nothing_is_saved(as_user, app_db):
    before = _count(app_db, Visit)
    at = _find(as_user("nurse"), "EARLY1")
    at.button(key="FormSubmitter:visit_form_0-Save visit").click().run()
    assert "Nothing was saved" in at.error[0].value and "Measurements" in at.error[0].value
    assert _count(app_db, Visit) == before


def test_a_second_visit_on_the_same_day_asks_before_saving(as_user, app_db):
    at = _find(as_user("nurse"), "EARLY1")
    _fill_visit(at, back=4.0)
    at.number_input(key="v_back_1").set_value(5.0)
    at.button(key="FormSubmitter:visit_form_1-Save visit").click().run()
    assert "already has a visit" in at.warning[0].value
    assert _count(app_db, Visit, visit_date=date.today()) == 1
    at.button(key="v_confirm_same_day").click().run()
    assert _count(app_db, Visit, visit_date=date.today()) == 2


def test_a_search_with_no_match_says_so(as_user):
    at = _find(as_user("nurse"), "NOSUCH")
    assert "No patient matches" in at.warning[0].value


def test_register_a_new_patient_with_a_surgery(as_user, app_db):
    at = as_user("nurse").run()
    at.text_input(key="p_mrn_0").input("NEW-77")
    at.text_input(key="p_name_0").input("Neil New")
    at.date_input(key="s_date_1000").set_value(date(2026, 1, 5) if date.today() >= date(2026, 1, 5) else date.today())
    at.selectbox(key="s_proc_1000").select("fusion")
    at.button(key="FormSubmitter:patient_form_0-Register patient").click().run()
    assert not at.exception
    assert f"Registered {plain('NEW-77')}" in at.success[0].value  # the MRN as typed, never as markup
    assert _count(app_db, Patient, mrn="NEW-77") == 1 and _count(app_db, Surgery, procedure="fusion") == 2


def test_a_duplicate_mrn_is_refused_with_the_field_named(as_user, app_db):
    at = as_user("nurse").run()
    at.text_input(key="p_mrn_0").input("PERSIST1")
    at.button(key="FormSubmitter:patient_form_0-Register patient").click().run()
    assert "MRN" in at.error[0].value and "already belongs" in at.error[0].value
    assert _count(app_db, Patient, mrn="PERSIST1") == 1


def test_record_a_treatment(as_user, app_db):
    at = _find(as_user("nurse"), "PERSIST1")
    at.selectbox(key="t_code_0").select("scs_trial")
    at.button(key="FormSubmitter:treatment_form_0-Save treatment").click().run()
    assert "Spinal cord stimulation trial" in at.success[0].value
    assert _count(app_db, Treatment, code="scs_trial") == 1


def test_a_wrong_visit_is_corrected_and_the_audit_keeps_the_value_before(as_user, app_db):
    import json

    from data_model.models import AuditEntry

    at = _find(as_user("nurse"), "EARLY1")
    first = at.selectbox(key="c_visit").options[0]
    vid = first.rsplit("#", 1)[1]
    at.number_input(key=f"c_leg_{vid}").set_value(2.5)
    at.button(key=f"FormSubmitter:correct_form_{vid}-Save correction").click().run()
    assert "Corrected the visit" in at.success[0].value
    engine = make_engine(app_db)
    with read_session(engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "visits", AuditEntry.action == "update")).one()
        assert json.loads(entry.after)["leg_pain"] == 2.5 and json.loads(entry.before)["leg_pain"] != 2.5
    engine.dispose()


def test_voiding_needs_a_reason_and_keeps_the_visit(as_user, app_db):
    before = _count(app_db, Visit)
    at = _find(as_user("nurse"), "EARLY1")
    vid = at.selectbox(key="c_visit").options[0].rsplit("#", 1)[1]
    assert at.button(key=f"c_void_{vid}").disabled
    at.text_input(key=f"c_reason_{vid}").input("entered for the wrong patient").run()
    at.button(key=f"c_void_{vid}").click().run()
    assert "Voided the visit" in at.success[0].value
    assert _count(app_db, Visit) == before, "nothing is deleted"
    at.run()
    assert all(f"#{vid}" not in o for o in at.selectbox(key="c_visit").options)
