"""The cohort pain curve: per procedure and registry time point, over the visits in the due window only.

Hand cohort (discectomy, surgery on day 0; default schedule windows in days after surgery:
6 weeks 28-56 (due 42), 3 months 70-112 (due 91), 12 months 322-406 (due 364), 24 months 672-784):

  patient  baseline  6 weeks            3 months           12 months   unscheduled (in no window)
  1        8         day 42: 3          day 91: 2          day 364: 1  day 60: 9
  2        7         35: 4 / 49: 6 tie  day 100: 3         –           day 150: 8
  3        9 (back)  30: 7 / 45: 5      day 75: 6          day 330: 4  day 200: 9
  4        –         day 40: 6          day 88: ODI only   day 400: 3
  5        6         –                  day 112: 4         –           day 20: 9, day 57: 8

By hand (quartiles interpolate linearly):
  baseline   6, 7, 8, 9 -> n 4, median 7.5, q1 6.75, q3 8.25; 1 without a baseline (4)
  6 weeks    3, 4, 5, 6 -> n 4, median 4.5, q1 3.75, q3 5.25; patient 2's tie (7 days early,
             7 days late) goes to the earlier visit (4); patient 3's closest is day 45 (5); 1 without (5)
  3 months   2, 3, 6, 4 -> n 4, median 3.5, q1 2.75, q3 4.5; 1 without (4: the visit has no pain score)
  12 months  1, 4, 3    -> n 3, median 3, q1 2, q3 3.5; 2 without (2, 5)
  24 months  none: the window has not opened on day 500; 5 not yet due
The unscheduled visits (9, 8, 9, 9, 8) would pull every median up if they counted.
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pandas as pd
import pytest

from data_model.cohort.figures import select_cohort
from data_model.cohort.pain_curve import PAIN_CURVE_COLUMNS, pain_curve
from data_model.settings import DEFAULT_SETTINGS, FollowUpPoint, Settings, SettingsError, from_values
from tests.unit.builders import Cohort, day

AS_OF = day(500)
TIME_POINTS = ["baseline", "6 weeks", "3 months", "12 months", "24 months"]


def _hand_cohort() -> Cohort:
    c = Cohort()
    for pid in range(1, 6):
        c.surgery(pid)
    c.visit(1, day(-5), leg=8).visit(1, day(42), leg=3).visit(1, day(60), leg=9)
    c.visit(1, day(91), leg=2).visit(1, day(364), leg=1)
    c.visit(2, day(-5), leg=7).visit(2, day(35), leg=4).visit(2, day(49), leg=6)
    c.visit(2, day(100), leg=3).visit(2, day(150), leg=8)
    c.visit(3, day(-5), back=9, leg=6).visit(3, day(30), back=7).visit(3, day(45), back=5)
    c.visit(3, day(75), back=6).visit(3, day(200), back=9).visit(3, day(330), back=4)
    c.visit(4, day(40), leg=6).visit(4, day(88), odi=40).visit(4, day(400), leg=3)
    c.visit(5, day(-5), leg=6).visit(5, day(20), leg=9).visit(5, day(57), leg=8).visit(5, day(112), leg=4)
    return c


def _curve(cohort: Cohort, as_of=AS_OF, settings=DEFAULT_SETTINGS) -> pd.DataFrame:
    surgeries, visits, _ = cohort.frames()
    selected = select_cohort(surgeries, as_of=as_of)
    return pain_curve(surgeries, visits, selected, settings, as_of)


def _row(curve: pd.DataFrame, procedure: str, time_point: str) -> pd.Series:
    rows = curve[(curve["procedure"] == procedure) & (curve["time_point"] == time_point)]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.parametrize(
    "time_point, n, median, q1, q3",
    [
        ("baseline", 4, 7.5, 6.75, 8.25),
        ("6 weeks", 4, 4.5, 3.75, 5.25),
        ("3 months", 4, 3.5, 2.75, 4.5),
        ("12 months", 3, 3.0, 2.0, 3.5),
    ],
)
def test_each_time_points_median_is_over_the_visits_in_its_due_window_only(time_point, n, median, q1, q3):
    row = _row(_curve(_hand_cohort()), "discectomy", time_point)
    assert (row["n_patients"], row["median"], row["q1"], row["q3"]) == (n, median, q1, q3)


def test_the_time_points_are_the_follow_up_schedules_and_an_unscheduled_visit_makes_none():
    curve = _curve(_hand_cohort())
    assert curve["time_point"].tolist() == TIME_POINTS  # no '6 months' from the day-150 and day-200 visits
    assert curve["week"].tolist() == [0, 6, 13, 52, 104]
    assert curve["window_from_day"].tolist() == [-90, 28, 70, 322, 672]
    assert curve["window_to_day"].tolist() == [0, 56, 112, 406, 784]


def test_of_two_visits_equally_far_from_the_due_day_the_earlier_counts():
    c = Cohort().surgery(1).visit(1, day(35), leg=4).visit(1, day(49), leg=6)
    assert _row(_curve(c), "discectomy", "6 weeks")["median"] == 4


def test_the_window_edges_are_included_and_a_day_outside_is_not():
    c = Cohort().surgery(1).surgery(2).surgery(3)
    c.visit(1, day(28), leg=2).visit(2, day(56), leg=4).visit(3, day(27), leg=9).visit(3, day(57), leg=9)
    row = _row(_curve(c), "discectomy", "6 weeks")
    assert (row["n_patients"], row["median"], row["n_no_visit"]) == (2, 3.0, 1)


def test_n_per_point_and_why_patients_are_missing_add_up_to_the_procedures_patients():
    curve = _curve(_hand_cohort()).set_index("time_point")
    assert curve["n_patients"].tolist() == [4, 4, 4, 3, 0]
    assert curve["n_no_visit"].tolist() == [1, 1, 1, 2, 0]
    assert curve["n_not_yet_due"].tolist() == [0, 0, 0, 0, 5]
    assert (curve["procedure_patients"] == 5).all()
    assert np.isnan(curve.loc["24 months", "median"])


def test_a_window_still_open_counts_who_has_come_and_the_rest_as_not_yet_due():
    row = _row(_curve(_hand_cohort(), as_of=day(100)), "discectomy", "3 months")
    # patients 1 (day 91), 2 (day 100), 3 (day 75) have come; 4 (ODI only) and 5 (day 112) not yet
    assert (row["n_patients"], row["median"], row["n_no_visit"], row["n_not_yet_due"]) == (3, 3.0, 0, 2)


def test_points_with_fewer_patients_than_the_setting_are_marked_below_the_minimum():
    at_least_4 = replace(DEFAULT_SETTINGS, cohort_min_patients=4)
    curve = _curve(_hand_cohort(), settings=at_least_4).set_index("time_point")
    assert curve["below_minimum"].tolist() == [False, False, False, True, True]  # 4, 4, 4, 3, 0 patients
    default = _curve(_hand_cohort()).set_index("time_point")  # default minimum: 10 patients
    assert DEFAULT_SETTINGS.cohort_min_patients == 10
    assert default["below_minimum"].all()


def test_a_custom_schedule_gives_its_own_time_points_and_windows():
    schedule = (FollowUpPoint("3 months", 13, 3), FollowUpPoint("12 months", 52, 6))
    curve = _curve(_hand_cohort(), settings=replace(DEFAULT_SETTINGS, follow_up_schedule=schedule))
    assert curve["time_point"].tolist() == ["baseline", "3 months", "12 months"]
    assert _row(curve, "discectomy", "3 months")["median"] == 3.5


def test_the_baseline_is_recoverys_baseline_the_worse_site_of_the_last_scores_before_surgery():
    c = Cohort().surgery(1).surgery(2)
    c.visit(1, day(-60), leg=9).visit(1, day(-5), leg=6, back=7)  # baseline: leg 6, back 7 -> 7
    c.visit(2, day(-100), leg=9)  # outside the 90-day look-back: no baseline
    c.visit(2, day(0), back=5)  # the surgery day still counts as pre-op
    row = _row(_curve(c), "discectomy", "baseline")
    assert (row["n_patients"], row["median"], row["week"]) == (2, 6.0, 0.0)


def test_visits_after_as_of_and_patients_outside_the_cohort_are_ignored():
    c = _hand_cohort().visit(2, day(45), leg=10)  # after as_of day 40: would be patient 2's closest
    surgeries, visits, _ = c.frames()
    selected = select_cohort(surgeries, as_of=day(40))
    selected = selected[selected["patient_id"] != 4]
    row = _row(pain_curve(surgeries, visits, selected, DEFAULT_SETTINGS, day(40)), "discectomy", "6 weeks")
    # by day 40: patient 1 none yet, 2 day 35: 4, 3 day 30: 7, 5 none in the window
    assert (row["n_patients"], row["median"], row["procedure_patients"]) == (2, 5.5, 4)


def test_each_procedure_has_its_own_rows_in_catalogue_order():
    c = _hand_cohort().surgery(9, procedure="fusion").visit(9, day(45), back=8)
    curve = _curve(c)
    assert list(curve.columns) == list(PAIN_CURVE_COLUMNS)
    assert curve["procedure"].unique().tolist() == ["discectomy", "fusion"]
    fusion = curve[curve["procedure"] == "fusion"].set_index("time_point")
    assert fusion.loc["6 weeks", "median"] == 8
    assert fusion.loc["12 months", "n_patients"] == 0 and fusion.loc["12 months", "n_no_visit"] == 1
    assert (fusion["procedure_patients"] == 1).all()


def test_an_empty_cohort_gives_an_empty_curve_with_the_columns():
    surgeries, visits, _ = _hand_cohort().frames()
    empty = select_cohort(surgeries, procedures=["fusion"], as_of=AS_OF)
    curve = pain_curve(surgeries, visits, empty, DEFAULT_SETTINGS, AS_OF)
    assert curve.empty and list(curve.columns) == list(PAIN_CURVE_COLUMNS)


def test_a_cohort_selected_at_another_as_of_is_refused():
    c = Cohort().surgery(1, day(0)).surgery(1, day(100), "fusion")
    surgeries, visits, _ = c.frames()
    early = select_cohort(surgeries, as_of=day(50))
    with pytest.raises(ValueError, match="same as_of"):
        pain_curve(surgeries, visits, early, DEFAULT_SETTINGS, day(150))


def test_a_cohort_without_any_visit_gives_zero_counts_not_an_error():
    surgeries, visits, _ = Cohort().surgery(1).frames()
    curve = pain_curve(surgeries, visits, select_cohort(surgeries, as_of=AS_OF), DEFAULT_SETTINGS, AS_OF)
    assert (curve["n_patients"] == 0).all() and curve["median"].isna().all()


def test_the_minimum_is_a_setting_a_clinic_can_change_within_its_range():
    assert from_values({"cohort_min_patients": 25}).cohort_min_patients == 25
    with pytest.raises(SettingsError, match="cohort_min_patients: 0 is outside"):
        from_values({"cohort_min_patients": 0})
    field = next(f for f in fields(Settings) if f.name == "cohort_min_patients")
    assert field.metadata["label"] == "Fewest patients for a cohort chart point"
    assert field.metadata["unit"] == "patients"
