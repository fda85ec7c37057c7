"""The expected-recovery band behind a patient's trajectory: the clinic's median and 20th-80th percentile
for the procedure by week since surgery, OFF_TRACK's own curve, or the reference curve where the clinic
has too few patients; the legend says which, and on how many patients."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from dashboard.charts.trajectory import trajectory_figure
from data_model.flags.clinic_curve import FALLBACK_P80, reference_curve
from data_model.flags.engine import flags_with_curve
from data_model.settings import DEFAULT_SETTINGS
from data_model.trajectory import patient_trajectory
from tests.unit.builders import Cohort, day, week

AS_OF = week(30)
# five patients are enough for the clinic's curve in these tests
FIVE_ENOUGH = replace(DEFAULT_SETTINGS, off_track_min_cohort_patients=5)
# Pain at week 3 (weeks 2-3) and week 10 (weeks 9-13) after fusion, one row per patient; patient 5
# is seen twice in weeks 9-13 (5 and 9): they count once, with their mean, 7.
WEEK_3 = {1: 2.0, 2: 4.0, 3: 5.0, 4: 7.0, 5: 9.0}
WEEK_10 = {1: 1.0, 2: 2.0, 3: 3.0, 4: 6.0}


def _fusion_cohort() -> Cohort:
    cohort = Cohort()
    for patient, pain in WEEK_3.items():
        cohort.surgery(patient, procedure="fusion").visit(patient, week(3), back=pain, leg=0)
    for patient, pain in WEEK_10.items():
        cohort.visit(patient, week(10), back=pain)
    cohort.visit(5, day(66), leg=5).visit(5, day(75), leg=9)
    return cohort


def _figure(cohort: Cohort, settings=FIVE_ENOUGH, patient: int = 1):
    """Patient's chart with the band of the whole cohort's curve, as the patient page draws it."""
    surgeries, visits, treatments = cohort.frames()
    status, _, curve = flags_with_curve(surgeries, visits, treatments, settings, AS_OF)
    row = status.set_index("patient_id").loc[patient]
    band = curve.band(str(row["procedure"]), float(row["window_weeks"]))
    mine = (surgeries["patient_id"] == patient).to_numpy()
    trajectory = patient_trajectory(surgeries[mine], visits[visits["patient_id"] == patient], AS_OF, settings)
    return trajectory_figure(trajectory, surgeries[mine], treatments, pd.Timestamp(AS_OF), band=band)


def _at(medians, week_number: float) -> float:
    """The median's level over a week (drawn as one flat step per week range, a trace per run of ranges)."""
    inside = []
    for trace in medians:
        x, y = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
        inside += [y[i] for i in range(0, len(x) - 1, 2) if x[i] <= week_number < x[i + 1]]
    assert len(inside) == 1, (week_number, inside)
    return float(inside[0])


def _edges_at(fills, week_number: float) -> tuple[float, float]:
    """(lower, upper) of the filled band over a week: each polygon's upper edge drawn forward, lower backward."""
    lower, upper = [], []
    for fill in fills:
        x, y = np.asarray(fill.x, dtype=float), np.asarray(fill.y, dtype=float)
        half = len(x) // 2
        upper += [y[i] for i in range(0, half - 1, 2) if x[i] <= week_number < x[i + 1]]
        back_x, back_y = x[half:][::-1], y[half:][::-1]
        lower += [back_y[i] for i in range(0, half - 1, 2) if back_x[i] <= week_number < back_x[i + 1]]
    assert len(lower) == len(upper) == 1, (week_number, lower, upper)
    return float(lower[0]), float(upper[0])


def _band_traces(fig, source: str):
    """(fills, medians) of the clinic's or the reference's course: one of each per run of week ranges."""
    traces = [t for t in fig.data if (t.name or "").startswith(source)]
    return [t for t in traces if t.fill == "toself"], [t for t in traces if t.fill != "toself"]


def test_the_band_is_the_clinics_percentiles_by_week_with_its_n_in_the_legend():
    fig = _figure(_fusion_cohort())
    fill, median = _band_traces(fig, "Clinic course")
    assert {t.name for t in fill} == {"Clinic course after fusion, n = 5 patients: median and 20th–80th percentile"}
    assert [t.showlegend for t in fill + median] == [True, False, False, False]  # one legend entry
    # weeks 2-3: 2, 4, 5, 7, 9 -> linear percentiles at positions 0.8, 2 and 3.2 of the sorted five
    assert _at(median, 3) == pytest.approx(5.0)
    assert _edges_at(fill, 3) == pytest.approx((2 + 0.8 * 2, 7 + 0.2 * 2))  # 3.6 and 7.4
    # weeks 9-13: 1, 2, 3, 6 and patient 5's mean 7 -> the same positions
    assert _at(median, 10) == pytest.approx(3.0)
    assert _edges_at(fill, 10) == pytest.approx((1 + 0.8 * 1, 6 + 0.2 * 1))  # 1.8 and 6.2
    assert "Weeks 9–13: clinic median 3, 20th–80th percentile 1.8–6.2 (5 patients)" in median[1].customdata


def test_the_band_is_drawn_behind_the_patients_pain():
    fig = _figure(_fusion_cohort())
    names = [t.name for t in fig.data]
    assert names.index("Back pain") > max(i for i, n in enumerate(names) if n.startswith("Clinic course"))


def test_week_ranges_with_too_few_patients_use_the_reference_curve_and_say_so():
    fig = _figure(_fusion_cohort())  # weeks 0-1, 4-8, 14-26: no patient at all
    fill, median = _band_traces(fig, "Reference course")
    assert {t.name for t in fill} == {
        "Reference course after fusion: median and 20th–80th percentile<br>"
        "(the clinic has fewer than 5 patients at weeks 0–1, 4–8 and 14–26)"
    }
    fusion = 2  # row of the reference table
    assert _at(median, 20) == pytest.approx(reference_curve(50)[fusion, 5])
    assert _edges_at(fill, 20) == pytest.approx((reference_curve(20)[fusion, 5], FALLBACK_P80["fusion"][5]))
    assert "Weeks 14–26: reference curve" in median[-1].customdata[0]
    assert "(the clinic has 0 patients here, fewer than 5)" in median[-1].customdata[0]


def test_a_clinic_with_too_few_patients_everywhere_shows_the_reference_course_only():
    fig = _figure(_fusion_cohort(), settings=DEFAULT_SETTINGS)  # 30 patients needed, 5 there
    assert not any((t.name or "").startswith("Clinic course") for t in fig.data)
    fill, median = _band_traces(fig, "Reference course")
    assert len(fill) == 1 and fill[0].name.endswith("(the clinic has fewer than 30 patients in each week range)")
    assert _at(median, 3) == pytest.approx(reference_curve(50)[2, 1])
    assert _edges_at(fill, 3) == pytest.approx((reference_curve(20)[2, 1], FALLBACK_P80["fusion"][1]))


def test_the_band_stops_where_the_chart_does():
    # the fusion window (26 weeks) is the furthest thing drawn: the band reaches it, not beyond
    fig = _figure(_fusion_cohort())
    band = [t for t in fig.data if "course after fusion" in (t.name or "")]
    assert len(band) == 10  # a fill and a median per run: weeks 0-1, 2-3, 4-8, 9-13 and 14-26
    assert max(max(t.x) for t in band) == 26


def test_the_band_covers_the_procedures_recovery_window_and_counts_the_patients_there():
    # discectomy's window is 6 weeks: OFF_TRACK compares its patients with weeks 0-5 only; later weeks
    # hold mostly the patients whose pain brings them back, so they are not drawn nor counted
    cohort = Cohort()
    for patient, pain in WEEK_3.items():
        cohort.surgery(patient).visit(patient, week(3), leg=pain).visit(patient, week(12), leg=1)
    for patient in (6, 7, 8):
        cohort.surgery(patient).visit(patient, week(12), leg=8)
    fig = _figure(cohort)
    band = [t for t in fig.data if "course after discectomy" in (t.name or "")]
    assert max(max(t.x) for t in band) == 6
    fill, median = _band_traces(fig, "Clinic course")
    assert fill[0].name == "Clinic course after discectomy, n = 5 patients: median and 20th–80th percentile"
    assert _at(median, 3) == pytest.approx(5.0)
