"""Cohort charts: n on every point, grey points under the minimum, Wilson whiskers, weight by n, the
cohort definition and the as-of date in every title, and numbers behind the charts in clinic words."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pandas as pd
import pytest

from dashboard.charts.cohort import (
    GREY,
    curve_dropouts,
    curve_table,
    km_figure,
    pain_curve_figure,
    responder_figure,
    responder_table,
)
from dashboard.charts.reports import cohort_figures
from data_model.cohort.figures import responder_rates, select_cohort
from data_model.cohort.pain_curve import pain_curve
from data_model.cohort.survival import kaplan_meier, time_to_recovery
from data_model.services.cohort import CohortFilter
from data_model.settings import DEFAULT_SETTINGS
from data_model.treatment_response import per_treatment
from data_model.treatment_response import responder_rates as treatment_rates
from tests.unit.builders import Cohort, day
from tests.unit.test_cohort_pain_curve import _hand_cohort
from tests.unit.test_cohort_responder_rates import _ten_seen

AS_OF = day(500)
AT_LEAST_4 = replace(DEFAULT_SETTINGS, cohort_min_patients=4)


def _curve(settings=AT_LEAST_4) -> pd.DataFrame:
    surgeries, visits, _ = _hand_cohort().frames()
    return pain_curve(surgeries, visits, select_cohort(surgeries, as_of=AS_OF), settings, AS_OF)


def _rates(settings=DEFAULT_SETTINGS) -> pd.DataFrame:
    surgeries, visits, _ = _ten_seen().frames()
    return responder_rates(surgeries, visits, select_cohort(surgeries, as_of=day(200)), settings, day(200))


def test_every_point_of_the_pain_curve_has_its_n_under_the_axis():
    fig = pain_curve_figure(_curve(), min_patients=4)
    line = next(t for t in fig.data if t.name == "Discectomy (n = 5 patients)")
    assert list(line.x) == ["baseline", "6 weeks", "3 months", "12 months"]  # 24 months: nobody yet
    n_row = [(a.x, a.text, a.font.color) for a in fig.layout.annotations if a.name == "n"]
    blue, grey = "#1f77b4", GREY
    assert n_row == [
        ("baseline", "4", blue),
        ("6 weeks", "4", blue),
        ("3 months", "4", blue),
        ("12 months", "3", grey),  # under the minimum of 4
        ("24 months", "0", grey),
    ]
    assert "Patients per point" in " ".join(a.text for a in fig.layout.annotations)


def test_a_point_under_the_minimum_is_grey_off_the_line_and_says_so():
    fig = pain_curve_figure(_curve(), min_patients=4)
    line = next(t for t in fig.data if t.name == "Discectomy (n = 5 patients)")
    assert pd.isna(list(line.y)[3])  # 12 months (3 patients) is not on the line
    [grey] = [t for t in fig.data if t.marker.color == GREY]
    assert list(grey.x) == ["12 months"] and list(grey.y) == [3.0]
    assert "too few to read" in grey.customdata[0][5]
    captions = [a.text for a in fig.layout.annotations]
    assert any("fewer than 4 patients" in text for text in captions)


def test_the_hover_says_how_many_are_missing_from_a_point_and_why():
    fig = pain_curve_figure(_curve(), min_patients=4)
    line = next(t for t in fig.data if t.name == "Discectomy (n = 5 patients)")
    by_point = dict(zip(line.x, line.customdata, strict=True))
    assert by_point["6 weeks"][3] == "visits 28–56 days after surgery"
    assert by_point["12 months"][4] == "<br>not in this point: 2 without a visit in the 12-month window"
    assert by_point["baseline"][4] == "<br>not in this point: 1 without a baseline score"
    assert curve_dropouts(_curve()) == [
        "Discectomy (n = 5 patients) – not in the point at baseline: 1 without a baseline score; 6 weeks: 1 "
        "without a visit in the 6-week window; 3 months: 1 without a visit in the 3-month window; 12 months: "
        "2 without a visit in the 12-month window; 24 months: 5 not yet due."
    ]


def test_responder_bars_carry_the_wilson_interval_as_whiskers_and_are_weighted_by_n():
    fig = responder_figure(_rates())
    bars = fig.data[0]
    assert [t.name for t in fig.data if t.showlegend is not False] == ["Discectomy (n = 10 patients)"]
    at = list(bars.x).index("3 months")
    # 8 of 10: 80 %, interval 49.0 % to 94.3 % (hand computation in test_cohort_intervals)
    assert bars.y[at] == pytest.approx(80)
    assert bars.error_y.array[at] == pytest.approx(14.3, abs=0.05)
    assert bars.error_y.arrayminus[at] == pytest.approx(31.0, abs=0.05)
    assert bars.marker.opacity[at] == pytest.approx(1.0)  # the largest n of the chart
    six_weeks = list(bars.x).index("6 weeks")
    assert bars.marker.color[six_weeks] == GREY  # nobody seen
    seen = {a.x: (a.text, a.font.color) for a in fig.layout.annotations if a.name == "n"}
    assert seen["6 weeks"][1] == GREY and seen["3 months"][0].startswith("10 (")  # under the axis: seen (missing)


def test_every_cohort_chart_carries_the_cohort_definition_and_the_as_of_date_in_its_title():
    surgeries, visits, treatments = _hand_cohort().frames()
    patients = select_cohort(surgeries, as_of=AS_OF)
    view = SimpleNamespace(
        chosen=CohortFilter(("discectomy",), (), date(2023, 1, 1), None, "first"),
        as_of=date(2025, 5, 29),
        curve=pain_curve(surgeries, visits, patients, DEFAULT_SETTINGS, AS_OF),
        responders=responder_rates(surgeries, visits, patients, DEFAULT_SETTINGS, AS_OF),
        recovery=kaplan_meier(time_to_recovery(surgeries, visits, patients, DEFAULT_SETTINGS, AS_OF)),
        durations=time_to_recovery(surgeries, visits, patients, DEFAULT_SETTINGS, AS_OF),
        treatments=treatment_rates(per_treatment(visits, treatments, DEFAULT_SETTINGS, AS_OF)),
    )
    figures = cohort_figures(view, 30.0, 10)
    assert len(figures) == 4
    for fig in figures.values():
        title = fig.layout.title.text
        assert "Cohort: discectomy; index surgery 2023-01-01 to …; first surgery only" in title
        assert "as of 29 May 2025" in title
        assert "n = " in title


def test_the_numbers_behind_the_charts_are_in_clinic_words_and_rounded():
    table = curve_table(_curve())
    assert "q1" not in table.columns and "week_from" not in table.columns
    row = table[table["Time point"] == "Baseline"].iloc[0]
    assert (row["Median pain (0–10)"], row["Lower quartile"], row["Upper quartile"]) == ("7.5", "6.8", "8.2")
    assert row["Visits counted"] == "baseline: last score up to 90 days before surgery"
    assert table.loc[table["Time point"] == "24 months", "Median pain (0–10)"].iloc[0] == "–"
    rates = responder_table(_rates()).set_index("Time point")
    assert rates.loc["3 months", "Responder rate"] == "80 %"
    assert rates.loc["3 months", "95 % interval"] == "49–94 %"
    assert rates.loc["3 months", "Window, weeks after surgery"] == "10–16"


def test_counts_reconcile_legend_table_and_title():
    curve = _curve()
    fig = pain_curve_figure(curve, min_patients=4)
    table = curve_table(curve)
    per_point = table[["Patients", "No visit in window (baseline: no score)", "Not yet due"]].sum(axis=1)
    assert (per_point == table["Patients of the procedure"]).all()
    assert "n = 5 patients" in fig.layout.title.text


def test_the_kaplan_meier_chart_gives_the_numbers_at_risk_and_who_it_leaves_out():
    c = Cohort()
    for pid in (1, 2, 3, 5):
        c.surgery(pid).visit(pid, day(-5), leg=8)  # baseline 8: improved at 5.6 or below
    c.visit(1, day(42), leg=2)  # improved at week 6
    c.visit(2, day(91), leg=8)  # not improved by week 13: censored there
    c.visit(3, day(182), leg=1)  # improved at week 26
    c.surgery(4).visit(4, day(42), leg=5)  # no baseline: left out; patient 5: no visit after surgery
    surgeries, visits, _ = c.frames()
    durations = time_to_recovery(surgeries, visits, select_cohort(surgeries, as_of=AS_OF), DEFAULT_SETTINGS, AS_OF)
    fig = km_figure(kaplan_meier(durations), durations=durations)
    # at risk at week w: patients whose time (6, 13, 26) is at least w
    assert [(a.x, a.text) for a in fig.layout.annotations if a.name == "n"] == [
        (0, "3"),
        (6, "3"),
        (13, "2"),
        (26, "1"),
    ]
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "Not in the curves: 1 without a baseline score and 1 without a scored visit after surgery yet." in texts
