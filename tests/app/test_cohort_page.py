"""Cohort page: filters, the key figures, four charts that say their n, and their downloads."""

from __future__ import annotations

import json


def _cohort(at):
    at.run()
    at.switch_page("pages/cohort.py").run()
    return at


def test_the_cohort_page_shows_four_charts_each_with_its_n(as_user):
    at = _cohort(as_user("doc"))
    assert not at.exception
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    assert len(titles) == 4
    assert all("n = " in title or "n=" in title for title in titles), titles


def test_the_key_figures_count_patients(as_user):
    at = _cohort(as_user("doc"))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Patients"] == "4"
    assert metrics["Persistent pain"] == "50%"


def test_a_procedure_filter_narrows_the_cohort(as_user):
    at = _cohort(as_user("doc"))
    at.multiselect(key="co_procedures").select("fusion").run()
    assert {m.label: m.value for m in at.metric}["Patients"] == "1"
    assert "fusion" in at.caption[0].value


def test_every_chart_offers_png_svg_pdf_and_html(as_user):
    at = _cohort(as_user("doc"))
    labels = [b.proto.label for b in at.get("download_button")]
    for fmt in ("PNG", "SVG", "PDF", "HTML"):
        assert labels.count(fmt) == 4


def test_every_chart_title_carries_the_cohort_definition_and_the_as_of_date(as_user):
    at = _cohort(as_user("doc"))
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    assert all("Cohort: all procedures; as of " in title for title in titles), titles


def test_the_numbers_behind_the_charts_use_clinic_words(as_user):
    at = _cohort(as_user("doc"))
    columns = [c for table in at.dataframe for c in table.value.columns]
    assert "Median pain (0–10)" in columns and "95 % interval" in columns and "Numbers at risk" not in columns
    raw = {"q1", "q3", "week_from", "n_patients", "procedure", "responder_rate", "at_risk", "n_flagged"}
    assert not raw & set(columns), raw & set(columns)
    captions = " ".join(c.value for c in at.caption)
    assert "one visit per patient inside its due window" in captions
    assert "fewer than 10 patients are grey" in captions
