"""Patient page: the trajectory chart with window, baseline and treatments; flags with reasons; tables."""

from __future__ import annotations

import json


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
    visits = _table_with(at, "leg_pain")
    assert len(visits) == 4 and visits["leg_pain"].max() == 7


def test_treatment_response_shows_pain_before_and_after_with_the_windows(as_user, app_db):
    from datetime import date, timedelta

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
    response = _table_with(at, "Pain before").iloc[0]
    assert response["Treatment"] == "Spinal cord stimulator implant"
    assert response["Pain before"] == "7 (n=1)" and response["Pain after"] == "7 (n=2)"
    assert response["Responder (≥ 30 %)"] == "no"
    assert str(start) in response["Before window"]
    steps = _table_with(at, "label").rename(columns={"label": "Treatment", "tried": ""})
    assert steps.set_index("Treatment").loc["Spinal cord stimulator implant", ""] == "tried"
    assert (steps[""] == "not yet").sum() == len(steps) - 1
