"""Patient page: the trajectory chart with window, baseline and treatments; flags with reasons; tables."""

from __future__ import annotations

import json

from tests.app.conftest import signed_in_app


def _open(at, mrn):
    at.run()
    at.switch_page("pages/patient.py").run()
    at.text_input(key="pt_query").input(mrn).run()
    return at


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


def test_the_visits_table_lists_every_visit(as_user):
    at = _open(as_user("doc"), "PERSIST1")
    visits = at.dataframe[0].value
    assert len(visits) == 4 and visits["leg_pain"].max() == 7
