"""Staff record post-laminectomy syndrome for a patient whose surgery is not recorded, and the patient
appears on the worklist (issue 14, part 4)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from sqlalchemy import select

from data_model import commands
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, run_write
from data_model.models import AuditEntry, Condition, Patient


def _patient_without_surgery(url: str) -> None:
    """Back pain 7-8 at three visits over the last year; the surgery was years ago, elsewhere."""
    today = date.today()

    def action(session):
        set_actor(session, "fixture")
        patient = commands.register_patient(session, {"mrn": "FBSS1", "display_name": "Fay Elsewhere"})
        for days_ago, back in ((360, 7), (180, 8), (20, 8)):
            commands.add_visit(session, patient.id, {"visit_date": today - timedelta(days=days_ago), "back_pain": back})

    engine = make_engine(url)
    run_write(engine, action)
    engine.dispose()


def _text(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def _surgery_tab(at):
    at.run()
    at.text_input(key="ef_query").input("FBSS1").run()
    at.session_state["ev_tab"] = "Surgery"
    return at.run()


def _save_diagnosis(at, typed: str):
    at.text_input(key="fbss_date_0").input(typed)
    at.button(key="FormSubmitter:fbss_form_0-Save diagnosis").click().run()
    return at


def test_staff_record_the_diagnosis_and_the_patient_appears_on_the_worklist(as_user, app_db):
    _patient_without_surgery(app_db)
    at = _surgery_tab(as_user("nurse"))
    at.switch_page("pages/worklist.py").run()
    assert "FBSS1" not in set(at.dataframe[0].value["MRN"])  # no surgery, no diagnosis: on no list

    at = _save_diagnosis(_surgery_tab(as_user("nurse")), "2021-03-15")
    assert not at.exception
    assert any("post-laminectomy syndrome diagnosed on 2021-03-15" in _text(t.value) for t in at.toast)

    at.switch_page("pages/worklist.py").run()
    table = at.dataframe[0].value.set_index("MRN")
    row = table.loc["FBSS1"]
    assert row["Weeks"] == "–"
    assert row["Procedure"] == "Unknown (PLS)"  # the header's help says post-laminectomy syndrome
    assert "Persistent pain" in row["Flags"]
    assert "surgery date unknown; post-laminectomy syndrome diagnosed on 2021-03-15" in row["Why"]

    engine = make_engine(app_db)
    with read_session(engine) as s:
        condition = s.scalar(select(Condition))
        assert (condition.code, condition.onset_date, condition.source) == ("202725007", date(2021, 3, 15), "form")
        audit = s.scalar(select(AuditEntry).where(AuditEntry.table_name == "conditions"))
        assert audit is not None and audit.actor == "nurse"
    engine.dispose()


def test_a_diagnosis_date_that_is_not_a_date_is_refused_and_nothing_is_saved(as_user, app_db):
    _patient_without_surgery(app_db)
    at = _save_diagnosis(_surgery_tab(as_user("nurse")), "15/03/2021")
    assert "Date diagnosed" in _text(at.error[0].value) and "15/03/2021" in _text(at.error[0].value)
    engine = make_engine(app_db)
    with read_session(engine) as s:
        assert s.scalar(select(Condition)) is None
    engine.dispose()


def _diagnosed(url: str) -> None:
    engine = make_engine(url)

    def diagnose(session):
        set_actor(session, "fixture")
        patient_id = session.scalar(select(Patient.id).where(Patient.mrn == "FBSS1"))
        commands.record_fbss(session, patient_id, {"diagnosed_on": "2021-03-15"})

    run_write(engine, diagnose)
    engine.dispose()


def _diagnosed_patient_on(as_user, url: str, page: str):
    """The clinician on `page` once FBSS1 has visits and the diagnosis, recorded through the command."""
    _patient_without_surgery(url)
    _diagnosed(url)
    at = as_user("doc")
    at.run()
    return at.switch_page(page).run()


def test_the_patient_page_says_the_surgery_date_is_unknown_and_the_chart_runs_on_dates(as_user, app_db):
    at = _diagnosed_patient_on(as_user, app_db, "pages/patient.py")
    at.text_input(key="pt_query").input("FBSS1").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Weeks since surgery"] == "–"
    assert metrics["Procedure"] == "Unknown (post-laminectomy syndrome)"
    # operated on elsewhere by definition: not "0" prior surgeries
    assert metrics["Prior spine surgeries"] == "Unknown"
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["xaxis2"]["title"]["text"].startswith("Visit date")
    back = next(trace for trace in figure["data"] if trace.get("name") == "Back pain")
    first_visit = (date.today() - timedelta(days=360)).isoformat()
    assert str(back["x"][0]).startswith(first_visit)  # a calendar date, not a week number
    assert "n = 3 visits" in figure["layout"]["title"]["text"]
    # the de-identified downloads count weeks from the first visit, and say so
    captions = " ".join(_text(c.value) for c in at.caption)
    assert "weeks since the first recorded visit (the surgery date is unknown) instead of dates" in captions


def test_the_cohort_page_counts_them_apart_from_its_charts(as_user, app_db):
    at = _diagnosed_patient_on(as_user, app_db, "pages/cohort.py")
    assert {m.label: m.value for m in at.metric}["Patients"] == "4"  # the four patients with a surgery
    captions = " ".join(_text(c.value) for c in at.caption)
    assert "1 patient with post-laminectomy syndrome and no recorded surgery is not in these charts" in captions
