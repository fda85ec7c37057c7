"""What the patient page says about a treatment's response, and how the chart draws treatments."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.charts.trajectory import missing_trajectory, trajectory_figure
from dashboard.widgets.patient import tables as patient_tables
from data_model.trajectory import patient_trajectory
from tests.unit.builders import SURGERY_COLUMNS, VISIT_COLUMNS, day, frame, week


@pytest.mark.parametrize(
    ("points", "percent", "words"),
    [
        (1.2, 15.0, "1.2 points lower, 15 %"),  # before 8, after 6.8
        (-0.1, -1.7, "0.1 points higher, 2 %"),  # before 6, after 6.1
        (0.0, 0.0, "no change"),
        (1.0, 12.5, "1 point lower, 12 %"),  # before 8, after 7: 12.5 rounds to even
        (float("nan"), float("nan"), "–"),  # a side without a visit
        (-2.0, float("nan"), "2 points higher"),  # before 0: no percent of nothing
    ],
)
def test_the_change_says_which_way_pain_went(points, percent, words):
    from data_model.treatment_response import change_in_words

    assert change_in_words(points, percent) == words


def _patient():
    surgeries = frame(
        [{"patient_id": 1, "surgery_id": 1, "surgery_date": day(0), "procedure": "discectomy"}], SURGERY_COLUMNS
    )
    visits = frame(
        [
            {"patient_id": 1, "visit_id": 1, "visit_date": week(-1), "back_pain": 6, "leg_pain": 8},
            {"patient_id": 1, "visit_id": 2, "visit_date": week(10), "back_pain": 4, "leg_pain": 5},
        ],
        VISIT_COLUMNS,
    )
    treatments = pd.DataFrame(
        {
            "treatment_id": [1, 2],
            "code": ["radiofrequency_ablation", "opioid"],
            "start_date": pd.to_datetime([week(4), week(2)]),
            "end_date": pd.to_datetime([None, week(8)]),
            "drug": [None, "oxycodone"],
            "mme_per_day": [None, 45.0],
        }
    )
    return surgeries, visits, treatments


def test_a_single_day_procedure_is_a_marker_at_its_date_and_a_course_is_a_span_both_with_hover():
    surgeries, visits, treatments = _patient()
    trajectory = patient_trajectory(surgeries, visits, week(12))
    fig = trajectory_figure(trajectory, surgeries, treatments, pd.Timestamp(week(12)))
    ablation = next(t for t in fig.data if t.name == "Radiofrequency ablation")
    assert ablation.mode == "markers" and list(ablation.x) == [4.0]  # at week 4, not a bar to today
    assert "Radiofrequency ablation" in ablation.hovertemplate and "2024-02-12" in ablation.hovertemplate
    opioid = next(t for t in fig.data if t.name == "Opioid")
    assert opioid.mode == "lines" and min(opioid.x) == 2.0 and max(opioid.x) == 8.0
    assert "2024-01-29 to 2024-03-11" in opioid.hovertemplate
    assert "oxycodone, 45 MME/day" in opioid.hovertemplate


def test_long_names_are_wrapped_whole_and_the_margin_holds_them():
    from dashboard.charts.trajectory import lane_margin, wrapped

    name = "Neuropathic agent (gabapentin, pregabalin)"
    assert wrapped(name) == "Neuropathic agent<br>(gabapentin, pregabalin)"
    assert wrapped(name).replace("<br>", " ") == name
    # 24 characters on the longest line, 7.5 px each, 30 px for the ticks: 210 px
    assert lane_margin([name, "NSAIDs"]) == 210
    assert lane_margin(["NSAIDs"]) == 75  # 6 x 7.5 + 30


def test_a_surgery_without_a_visit_since_says_so_with_its_date():
    surgeries, visits, _ = _patient()
    only_before = visits[visits["visit_id"] == 1]
    trajectory = patient_trajectory(surgeries, only_before, week(3))
    assert (
        missing_trajectory(surgeries, trajectory)
        == "No visit recorded since the surgery on 2024-01-15 — enter one on Enter visit"
    )
    assert missing_trajectory(surgeries, trajectory, dates=False) == (
        "No visit recorded since the surgery — enter one on Enter visit"
    )
    assert missing_trajectory(surgeries, patient_trajectory(surgeries, visits, week(12))) is None


def test_table_cells_are_dates_numbers_or_a_dash():
    assert patient_tables.day(pd.Timestamp("2024-05-04 00:00:00")) == "2024-05-04"
    assert patient_tables.day(None) == "–" and patient_tables.day(pd.NaT) == "–"
    assert patient_tables.number(float("nan")) == "–" and patient_tables.number(6.5) == "6.5"
    assert patient_tables.yes_no(None) == "–" and patient_tables.yes_no(True) == "yes"


def test_a_single_day_procedure_never_reads_as_ongoing():
    assert patient_tables.ended("radiofrequency_ablation", None) == "single day"
    assert patient_tables.ended("medial_branch_block", pd.NaT) == "single day"
    assert patient_tables.ended("opioid", None) == "ongoing"
    assert patient_tables.ended("physical_therapy", pd.Timestamp("2024-03-01")) == "2024-03-01"
