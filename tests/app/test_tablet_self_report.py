"""The clinic tablet: staff hand it to one patient, who answers their questionnaire and nothing else; the
answers become a visit marked as the patient's own; the tablet stays locked until a staff password.

AppTest stands in for taps (it sets a widget's value); what a finger and a keyboard do on the page is in
tests/e2e/test_tablet_self_report.py. A new AppTest with the same cookie is a reload (a new session)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from data_model import odi
from data_model.db import make_engine, read_session
from data_model.models import AuditEntry, Patient, SignIn, Visit
from tests.app.conftest import PASSWORDS, follow_hand_off

pytestmark = pytest.mark.usefixtures("app_db")


def _engine(app_db):
    return make_engine(app_db)


def _patient_id(app_db, mrn: str) -> int:
    engine = _engine(app_db)
    try:
        with read_session(engine) as s:
            return s.execute(select(Patient.id).where(Patient.mrn == mrn)).scalar_one()
    finally:
        engine.dispose()


def _self_reports(app_db, patient_id: int) -> list[Visit]:
    engine = _engine(app_db)
    try:
        with read_session(engine) as s:
            rows = s.scalars(select(Visit).where(Visit.patient_id == patient_id, Visit.source == "patient")).all()
            s.expunge_all()
            return list(rows)
    finally:
        engine.dispose()


def _tablet_started(as_user, mrn: str = "PERSIST1"):
    """Staff (nurse) find the patient on Enter visit and hand the tablet over: the tablet as it then shows.

    Read in a new session with the same cookie: AppTest reruns a page of the pages folder without the
    entrypoint (its stand-in for Streamlit's first multipage version), where the browser's rerun goes
    through dashboard/app.py; the new session is the first run, as the browser's is after the click."""
    at = as_user("nurse").run()
    at.text_input(key="ef_query").input(mrn).run()
    at.button(key="ev_self_report").click().run()
    return as_user(None).run()


def _text(at) -> str:
    parts = [e.value for kind in ("title", "header", "markdown", "caption", "subheader") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def _on_questionnaire(at) -> bool:
    return [t.value for t in at.title] == ["How are you today?"]


def _answer(at, **answers):
    """Tap answers: pain and ODI sections by score, yes/no items by True/False, medicines by code."""
    for key, value in answers.items():
        at.button_group(key=key).set_value(value)
    return at


def test_staff_hand_the_tablet_to_a_patient_from_enter_visit_and_it_shows_only_their_questionnaire(as_user, app_db):
    at = _tablet_started(as_user)

    assert not at.exception
    assert _on_questionnaire(at)
    shown = _text(at)
    assert "Pat Persistent" not in shown and "PERSIST1" not in shown, "the tablet names no patient"
    assert not [b for b in at.button if b.key == "sign_out"], "no sign-out, no menu on the tablet"
    assert not at.sidebar.children or not any(at.sidebar.get(kind) for kind in ("button", "markdown"))
    assert "Enter visit" not in [t.value for t in at.title]
    # every ODI section is asked, by name
    for _key, label in odi.SECTIONS:
        assert any(label in g.label for g in at.button_group), label


def test_a_reload_of_the_tablet_shows_the_questionnaire_again_not_the_app(as_user, app_db):
    _tablet_started(as_user)

    reloaded = as_user(None).run()  # same cookie, new session: a reload or a typed address

    assert _on_questionnaire(reloaded)
    assert not [b for b in reloaded.button if b.key == "sign_out"]


def test_answers_sent_are_saved_as_the_patients_visit_with_the_odi_over_the_sections_answered(as_user, app_db):
    at = _tablet_started(as_user)
    sections = dict.fromkeys(odi.KEYS, 2) | {"lifting": 4, "sex_life": None}  # one section left out
    _answer(
        at,
        tq_back_pain_score=7,
        tq_leg_pain_score=3,
        tq_numbness_answer=True,
        tq_tingling_answer=False,
        tq_medicines=["nsaid", "opioid"],
        **{f"tq_odi_{key}_score": score for key, score in sections.items() if score is not None},
    )
    at.text_input(key="tq_other_medicines").input("paracetamol")
    at.button(key="tq_send").click().run()

    assert not at.exception
    assert [t.value for t in at.title] == ["Thank you"]
    (visit,) = _self_reports(app_db, _patient_id(app_db, "PERSIST1"))
    assert (visit.visit_date, visit.back_pain, visit.leg_pain) == (date.today(), 7, 3)
    assert (visit.numbness, visit.tingling, visit.weakness) == (True, False, None)
    assert visit.odi_sex_life is None and visit.odi_lifting == 4 and visit.odi_walking == 2
    # nine sections answered: (8 × 2 + 4) / (5 × 9) × 100 = 20 / 45 × 100 = 44.44…
    assert visit.odi == pytest.approx(44.444, abs=0.01)
    assert visit.odi_source == odi.FROM_SECTIONS
    assert visit.notes == "Pain medicines now (patient's report): NSAIDs; Opioid; other: paracetamol"
    assert visit.created_by == "nurse"


def test_after_sending_the_tablet_stays_on_the_thank_you_page_through_a_reload(as_user, app_db):
    at = _tablet_started(as_user)
    _answer(at, tq_back_pain_score=5).button(key="tq_send").click().run()

    reloaded = as_user(None).run()

    assert [t.value for t in reloaded.title] == ["Thank you"]
    assert not [f for f in reloaded.get("form") if f.proto.form.form_id == "tq_form"], "nothing to send again"


def test_a_questionnaire_with_no_answer_is_not_saved_and_says_why(as_user, app_db):
    at = _tablet_started(as_user)
    at.button(key="tq_send").click().run()

    assert "answer at least one question" in " ".join(e.value for e in at.error)
    assert _on_questionnaire(at)
    assert _self_reports(app_db, _patient_id(app_db, "PERSIST1")) == []


def test_no_pain_medicine_together_with_a_medicine_is_refused_naming_both(as_user, app_db):
    at = _tablet_started(as_user)
    _answer(at, tq_back_pain_score=4, tq_medicines=["none", "opioid"]).button(key="tq_send").click().run()

    message = " ".join(e.value for e in at.error)
    assert "I take no pain medicine" in message and "choose one or the other" in message
    assert _self_reports(app_db, _patient_id(app_db, "PERSIST1")) == []


def test_with_the_sites_wording_each_section_offers_its_statements_and_a_way_not_to_answer(
    as_user, app_db, tmp_path, monkeypatch
):
    wording = tmp_path / "odi.toml"
    wording.write_text(
        "\n".join(
            f"[{key}]\nstatements = [{', '.join(json.dumps(f'{label} statement {n}') for n in range(6))}]"
            for key, label in odi.SECTIONS
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv(odi.WORDING_ENV, str(wording))
    at = _tablet_started(as_user)

    walking = at.radio(key="tq_odi_walking_score")
    assert walking.options[:2] == ["Walking statement 0", "Walking statement 1"]
    assert walking.options[-1] == "I'd rather not answer"
    for key in odi.KEYS:
        at.radio(key=f"tq_odi_{key}_score").set_value(3)
    at.radio(key="tq_odi_sex_life_score").set_value(-1)  # "I'd rather not answer"
    at.button(key="tq_send").click().run()

    (visit,) = _self_reports(app_db, _patient_id(app_db, "PERSIST1"))
    assert visit.odi_sex_life is None and visit.odi_walking == 3
    assert visit.odi == pytest.approx(60.0)  # 9 × 3 / (5 × 9) × 100


def _take_back(at, username: str, password: str):
    at.text_input(key="tq_staff_username").input(username)
    at.text_input(key="tq_staff_password").input(password)
    return at.button(key="FormSubmitter:tq_staff-Sign in and leave the questionnaire").click().run()


def _sign_in_rows(app_db) -> list[SignIn]:
    engine = _engine(app_db)
    try:
        with read_session(engine) as s:
            rows = s.scalars(select(SignIn).order_by(SignIn.id)).all()
            s.expunge_all()
            return list(rows)
    finally:
        engine.dispose()


def test_a_wrong_staff_password_leaves_the_tablet_locked(as_user, app_db):
    at = _tablet_started(as_user)
    _answer(at, tq_back_pain_score=5).button(key="tq_send").click().run()

    at = _take_back(at, "nurse", "not-the-password")

    assert "Sign-in refused" in " ".join(e.value for e in at.error)
    assert [t.value for t in as_user(None).run().title] == ["Thank you"], "still locked after a reload"
    (tablet_sign_in,) = _sign_in_rows(app_db)
    assert tablet_sign_in.ended_at is None and tablet_sign_in.tablet_stage == "thanks"


def test_a_staff_password_ends_the_tablet_and_signs_that_person_in_on_the_patients_page(as_user, app_db):
    pid = _patient_id(app_db, "PERSIST1")
    at = _tablet_started(as_user)
    _answer(at, tq_back_pain_score=5).button(key="tq_send").click().run()

    at = _take_back(at, "doc", PASSWORDS["doc"])  # another member of staff may take it back
    scripts = [h.proto.body for h in at.get("html") if "code=" in h.proto.body]
    assert json.dumps(f"/patient?patient={pid}") in scripts[-1], "lands on the patient's page to check the report"
    follow_hand_off(at)

    tablet_sign_in, doc_sign_in = _sign_in_rows(app_db)
    assert tablet_sign_in.ended_at is not None, "the tablet's own sign-in is over"
    assert doc_sign_in.tablet_stage is None
    after = as_user(None).run()
    assert not _on_questionnaire(after) and [t.value for t in after.title] != ["Thank you"]
    assert after.session_state["pt_user"].username == "doc"
    engine = _engine(app_db)
    with read_session(engine) as s:
        events = s.execute(select(AuditEntry.actor, AuditEntry.action).where(AuditEntry.patient_id == pid)).all()
    engine.dispose()
    assert ("nurse", "self_report_started") in events and ("doc", "self_report_handed_back") in events


def test_a_self_report_is_started_from_follow_ups_for_the_patient_chosen_there(as_user, app_db):
    at = as_user("nurse").run()
    at.switch_page("pages/follow_ups.py").run()
    chosen = at.selectbox(key="fu_choice").value
    at.button(key="fu_self_report").click().run()

    assert _on_questionnaire(as_user(None).run())
    engine = _engine(app_db)
    with read_session(engine) as s:
        locked_to = s.execute(select(SignIn.tablet_patient_id)).scalar_one()
        mrn = s.execute(select(Patient.mrn).where(Patient.id == locked_to)).scalar_one()
    engine.dispose()
    assert chosen.startswith(mrn)


def test_staff_see_the_self_report_on_the_patients_page_and_a_correction_keeps_the_patients_answers(as_user, app_db):
    at = _tablet_started(as_user)
    _answer(at, tq_back_pain_score=8, tq_medicines=["none"]).button(key="tq_send").click().run()
    pid = _patient_id(app_db, "PERSIST1")
    (sent,) = _self_reports(app_db, pid)
    at = _take_back(at, "nurse", PASSWORDS["nurse"])
    follow_hand_off(at)

    staff = as_user(None).run()
    staff.switch_page("pages/patient.py").run()
    staff.text_input(key="pt_query").input("PERSIST1").run()
    visits = next(df.value for df in staff.dataframe if "Recorded by" in df.value.columns)
    today = visits[visits["Recorded by"] == "Patient self-report, tablet handed over by nurse"]
    assert list(today["Back pain (0–10)"]) == ["8"]
    assert list(today["Notes"]) == ["Pain medicines now (patient's report): none"]

    # staff correct the back pain on Enter visit; the audit keeps what the patient gave
    staff.switch_page("pages/enter_visit.py").run()
    staff.text_input(key="ef_query").input("PERSIST1").run()
    staff.session_state["ev_tab"] = "Correct a visit"
    staff.run()
    staff.text_input(key=f"c_back_{sent.id}").input("7")
    staff.button(key=f"FormSubmitter:correct_form_{sent.id}-Save correction").click().run()
    engine = _engine(app_db)
    with read_session(engine) as s:
        corrected = s.execute(
            select(AuditEntry.before, AuditEntry.after).where(
                AuditEntry.action == "update", AuditEntry.patient_id == pid
            )
        ).all()
        source = s.execute(select(Visit.source, Visit.back_pain).where(Visit.id == sent.id)).one()
    engine.dispose()
    (before, after), *_ = corrected
    assert json.loads(before)["back_pain"] == 8 and json.loads(after)["back_pain"] == 7
    assert tuple(source) == ("patient", 7), "still the patient's report, corrected by staff"
