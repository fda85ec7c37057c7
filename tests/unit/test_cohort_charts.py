"""Cohort figures: the n behind each figure is printed on it, and an empty input says so."""

from __future__ import annotations

import json

import pytest

from dashboard.charts.cohort import (
    NO_PATIENTS,
    km_figure,
    pain_curve_figure,
    responder_figure,
    treatment_response_figure,
)
from data_model.cohort.figures import responder_rates, select_cohort
from data_model.cohort.pain_curve import pain_curve
from data_model.cohort.survival import kaplan_meier, time_to_recovery
from data_model.settings import DEFAULT_SETTINGS
from data_model.treatment_response import per_treatment
from data_model.treatment_response import responder_rates as treatment_rates
from tests.unit.builders import Cohort, day, week

AS_OF = day(400)


def _cohort() -> Cohort:
    c = Cohort()
    for pid in range(1, 6):
        c.surgery(pid).visit(pid, day(-5), leg=8)
    c.visit(1, week(6), leg=3).visit(2, week(6), leg=2).visit(3, week(13), leg=4).visit(4, week(8), leg=7)
    c.visit(5, week(20), leg=7).visit(1, week(7), leg=5).visit(2, day(91), leg=7)
    c.surgery(6, procedure="fusion").visit(6, day(-5), back=6).visit(6, week(6), back=5)
    c.treatment(1, "epidural_steroid_injection", week(2)).treatment(6, "physical_therapy", week(1))
    return c


@pytest.fixture(scope="module")
def frames():
    surgeries, visits, treatments = _cohort().frames()
    return surgeries, visits, treatments, select_cohort(surgeries, as_of=AS_OF)


def _annotations(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def _legend(fig) -> list[str]:
    return [t.name for t in fig.data if t.showlegend is not False and t.name]


def test_the_pain_curve_prints_the_patient_count_in_the_title_legend_and_hover(frames):
    surgeries, visits, _, selected = frames
    fig = pain_curve_figure(pain_curve(surgeries, visits, selected, DEFAULT_SETTINGS, AS_OF))
    assert "n = 6 patients" in fig.layout.title.text
    assert _legend(fig) == ["Discectomy (n = 5 patients)", "Fusion (n = 1 patient)"]
    discectomy = next(t for t in fig.data if (t.name or "").startswith("Discectomy"))
    assert list(discectomy.x)[:2] == ["baseline", "6 weeks"]
    assert [row[0] for row in discectomy.customdata][:2] == [5, 3]  # n per point, for the hover
    assert "n = %{customdata[0]} patients" in discectomy.hovertemplate
    assert fig.layout.xaxis.title.text and "NRS 0–10" in fig.layout.yaxis.title.text
    json.loads(fig.to_json())  # serialisable as the export writes it


def test_the_responder_bars_carry_their_n(frames):
    surgeries, visits, _, selected = frames
    fig = responder_figure(responder_rates(surgeries, visits, selected, DEFAULT_SETTINGS, AS_OF))
    discectomy = next(t for t in fig.data if t.name == "Discectomy")
    three_months = list(discectomy.x).index("3 months")
    assert discectomy.text[three_months].endswith(" %")  # the share on the bar
    cells = {(a.x, a.yshift): a.text for a in fig.layout.annotations if a.name == "n"}
    first_row = max(shift for _, shift in cells)  # discectomy: the first row under the axis
    assert cells[("3 months", first_row)] == "2 (3)"  # patients 2 and 3 seen at 3 months, 3 missing
    assert "Seen (missing)" in " ".join(a.text for a in fig.layout.annotations)
    assert "n = 6 patients" in fig.layout.title.text
    assert fig.layout.yaxis.ticksuffix == " %"


def test_the_responder_shares_are_never_shrunk_below_a_readable_size_and_the_legend_stands_above(frames):
    surgeries, visits, _, selected = frames
    fig = responder_figure(responder_rates(surgeries, visits, selected, DEFAULT_SETTINGS, AS_OF))
    # four bars a time point are narrow at 1280×720: plotly shrank their three-line labels to fit them
    assert fig.layout.uniformtext.mode == "show" and fig.layout.uniformtext.minsize >= 12
    bars = [t for t in fig.data if t.type == "bar"]
    assert bars and all("<br>" not in text for bar in bars for text in bar.text)
    assert fig.layout.legend.yanchor == "bottom" and fig.layout.legend.y >= 1.0


def test_the_kaplan_meier_legend_gives_n_and_median(frames):
    surgeries, visits, _, selected = frames
    km = kaplan_meier(time_to_recovery(surgeries, visits, selected, DEFAULT_SETTINGS, AS_OF))
    fig = km_figure(km)
    assert _legend(fig) == ["Discectomy (n = 5, median 13.0 weeks)", "Fusion (n = 1, median not reached)"]
    assert "n = 6 patients" in fig.layout.title.text
    assert fig.data[0].line.shape == "hv"


def test_the_kaplan_meier_legend_sits_above_the_plot_clear_of_the_numbers_at_risk(frames):
    surgeries, visits, _, selected = frames
    km = kaplan_meier(time_to_recovery(surgeries, visits, selected, DEFAULT_SETTINGS, AS_OF))
    fig = km_figure(km)
    # under the axis the legend met the numbers-at-risk rows whenever the plot was not drawn at print height
    assert fig.layout.legend.orientation == "h"
    assert fig.layout.legend.yanchor == "bottom" and fig.layout.legend.y >= 1.0
    at_risk_rows = [a for a in fig.layout.annotations if a.yref == "paper" and a.y == 0]
    assert at_risk_rows and all(a.yshift is not None and a.yshift < 0 for a in at_risk_rows)


def test_the_pain_curve_legend_sits_above_the_plot_clear_of_the_patients_per_point(frames):
    surgeries, visits, _, selected = frames
    fig = pain_curve_figure(pain_curve(surgeries, visits, selected, DEFAULT_SETTINGS, AS_OF))
    assert fig.layout.legend.yanchor == "bottom" and fig.layout.legend.y >= 1.0


def test_the_treatment_bars_carry_their_n(frames):
    _, visits, treatments, _ = frames
    fig = treatment_response_figure(treatment_rates(per_treatment(visits, treatments, DEFAULT_SETTINGS, AS_OF)))
    texts = [text for trace in fig.data for text in trace.text]
    # stepped order: physical therapy (6 -> 5, 17 %) before the injection (8 -> 4, 50 %)
    assert texts == ["0 % (n = 1)", "100 % (n = 1)"]
    assert _legend(fig) == ["Rehabilitation", "Interventional"]
    assert "n = 2 first courses" in fig.layout.title.text and "≥ 30 % lower" in fig.layout.title.text


@pytest.mark.parametrize(
    "figure, frame",
    [
        (pain_curve_figure, pain_curve),
        (responder_figure, responder_rates),
        (km_figure, None),
        (treatment_response_figure, None),
    ],
)
def test_an_empty_input_gives_the_no_patients_annotation(frames, figure, frame):
    surgeries, visits, treatments, selected = frames
    nobody = selected.iloc[0:0]
    if figure is km_figure:
        data = kaplan_meier(time_to_recovery(surgeries, visits, nobody, DEFAULT_SETTINGS, AS_OF))
    elif figure is treatment_response_figure:
        data = treatment_rates(per_treatment(visits, treatments.iloc[0:0], DEFAULT_SETTINGS, AS_OF))
    else:
        data = frame(surgeries, visits, nobody, DEFAULT_SETTINGS, AS_OF)
    fig = figure(data)
    assert NO_PATIENTS in _annotations(fig)
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


def test_a_cohort_nobody_is_due_in_yet_says_so_on_the_responder_chart(frames):
    surgeries, visits, _, _ = frames
    early = select_cohort(surgeries, as_of=day(30))
    fig = responder_figure(responder_rates(surgeries, visits, early, DEFAULT_SETTINGS, day(30)))
    assert any("past a time point" in text for text in _annotations(fig))
