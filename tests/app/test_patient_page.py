"""Patient page: the trajectory chart with window, baseline and treatments; flags with reasons; tables."""

from __future__ import annotations

import json
from datetime import date, timedelta


def _open(at, mrn):
    at.run()
    at.switch_page("pages/patient.py").run()
    at.text_input(key="pt_query").input(mrn).run()
    return at


def _table_with(at, column: str):
    """The page's table that has this column (AppTest does not look dataframes up by key)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def _figure(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_the_patient_page_without_a_patient_asks_for_one(as_user):
    at = as_user("doc").run()
    at.switch_page("pages/patient.py").run()
    assert "Find a patient" in at.info[0].value


def test_a_persisting_patient_shows_flags_with_reasons_and_the_chart(as_user):
    at = _open(as_user("doc"), "PERSIST1")
    assert not at.exception
    assert at.title[0].value.startswith("PERSIST1")
    flags_text = " ".join(m.value for m in at.markdown)
    assert "Persistent pain" in flags_text and "fusion window" in flags_text
    figure = _figure(at)
    names = {trace.get("name") for trace in figure["data"]}
    assert {"Back pain", "Leg pain"} <= names
    shapes = figure["layout"]["shapes"]
    assert any(s.get("type") == "rect" and s.get("x1") == 26 for s in shapes), "the 26-week window is shaded"
    annotations = " ".join(a.get("text", "") for a in figure["layout"]["annotations"])
    assert "baseline 7" in annotations and "meaningful improvement" in annotations


def test_a_recovered_patient_has_no_flag(as_user):
    at = _open(as_user("doc"), "RECOVER1")
    assert "No flag" in at.success[0].value


def test_the_header_says_whether_the_patient_is_in_the_acceptable_symptom_state(as_user):
    def state(mrn: str) -> str:
        at = _open(as_user("doc"), mrn)
        return next(m.value for m in at.metric if m.label == "Acceptable state")

    assert state("RECOVER1") == "Yes"  # pain 0-1/10 now
    assert state("PERSIST1") == "No"  # leg pain 7/10 now


def test_the_visits_table_lists_every_visit(as_user):
    at = _open(as_user("doc"), "PERSIST1")
    visits = _table_with(at, "Leg pain (0–10)")
    assert len(visits) == 4 and set(visits["Leg pain (0–10)"]) == {"7", "6.5", "6"}


def test_every_table_speaks_clinic_language_with_dates_as_dates_and_dashes_for_missing(as_user):
    at = _open(as_user("doc"), "PERSIST1")
    visits = _table_with(at, "Visit date")
    surgeon_day = (date.today() - timedelta(weeks=40)).isoformat()
    newest = (date.today() - timedelta(weeks=2)).isoformat()  # the visit at week 38 of 40
    assert visits["Visit date"].iloc[0] == newest  # newest first, a date and no time
    assert visits["Opioid dose (MME/day)"].iloc[0] == "–"  # not recorded: a dash, never "None"
    assert visits["ODI (0–100)"].iloc[0] == "–"
    surgeries = _table_with(at, "Surgery date")
    assert surgeries.iloc[0]["Surgery date"] == surgeon_day
    assert surgeries.iloc[0]["Procedure"] == "Fusion" and surgeries.iloc[0]["Surgeon"] == "Dr Hart"
    assert surgeries.iloc[0]["Recorded as"] == "–"
    internal = {"visit_id", "visit_date", "mme_per_day", "source_code", "patient_id", "surgery_id", "code"}
    for frame in (df.value for df in at.dataframe):
        assert not internal & set(frame.columns), frame.columns
        cells = frame.astype(str).to_numpy().ravel()
        assert not any(c in ("None", "nan", "NaT") or "00:00:00" in c for c in cells), cells


def test_a_patient_with_a_surgery_but_no_visit_is_told_what_is_missing_and_gets_no_green_flag(as_user, app_db):
    from data_model import commands
    from data_model.audit import set_actor
    from data_model.db import make_engine, run_write

    operated = date.today() - timedelta(weeks=3)
    engine = make_engine(app_db)

    def add(session):
        set_actor(session, "nurse")
        patient = commands.register_patient(session, {"mrn": "NEWOP1", "display_name": "Ned Newop", "sex": "male"})
        commands.add_surgery(session, patient.id, {"surgery_date": operated, "procedure": "discectomy"})

    run_write(engine, add)
    engine.dispose()
    at = _open(as_user("doc"), "NEWOP1")
    assert not at.exception
    expected = f"No visit recorded since the surgery on {operated.isoformat()} — enter one on Enter visit"
    assert expected in at.info[0].value
    assert not [s for s in at.success if "No flag" in s.value]
    annotations = " ".join(a.get("text", "") for a in _figure(at)["layout"]["annotations"])
    assert expected in annotations
    assert "No visit recorded" in " ".join(c.value for c in at.caption)  # the empty visits tab says so


def test_treatment_response_shows_pain_before_and_after_with_the_windows(as_user, app_db):
    from data_model import commands
    from data_model.audit import set_actor
    from data_model.db import make_engine, run_write
    from data_model.queries import patient_by_mrn

    engine = make_engine(app_db)
    start = date.today() - timedelta(weeks=20)  # PERSIST1's surgery was 40 weeks ago: week 20

    def add(session):
        set_actor(session, "nurse")
        patient = patient_by_mrn(session, "PERSIST1")
        commands.add_treatment(session, patient.id, {"treatment": "scs_implant", "start_date": start})

    run_write(engine, add)
    engine.dispose()
    at = _open(as_user("doc"), "PERSIST1")
    response = next(t.value for t in at.table if "Pain before" in t.value.columns).iloc[0]
    assert response["Treatment"] == "Spinal cord stimulator implant"
    assert response["Pain before"] == "7 (n=1)" and response["Pain after"] == "7 (n=2)"
    assert response["Responder (≥ 30 %)"] == "no"
    assert response["Pain after vs before"] == "no change"  # 7 before, 7 after
    assert str(start) in response["Before window"]
    steps = _table_with(at, "label").rename(columns={"label": "Treatment", "tried": ""})
    assert steps.set_index("Treatment").loc["Spinal cord stimulator implant", ""] == "tried"
    assert (steps[""] == "not yet").sum() == len(steps) - 1


def test_the_chart_draws_the_clinics_usual_course_for_the_procedure_behind_the_patient(as_user):
    at = _open(as_user("doc"), "PERSIST1")
    names = [trace.get("name") or "" for trace in _figure(at)["data"]]
    band = [i for i, name in enumerate(names) if name.startswith(("Clinic course after fusion", "Reference course"))]
    assert band and max(band) < names.index("Back pain")  # behind the patient's lines
    # the test clinic is small: fewer than 30 fusion patients in every week range, and the legend says so
    assert names[band[0]] == (
        "Reference course after fusion: median and 20th–80th percentile<br>"
        "(the clinic has fewer than 30 patients in each week range)"
    )
