"""The cohort pain curve: per procedure and bucket, patients' median and quartiles of pain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_model.cohort.figures import select_cohort
from data_model.cohort.pain_curve import CURVE_BUCKETS, PAIN_CURVE_COLUMNS, CurveBucket, pain_curve
from data_model.settings import DEFAULT_SETTINGS
from tests.unit.builders import Cohort, day, week

AS_OF = week(60)


def _curve(cohort: Cohort, as_of=AS_OF, **kwargs) -> pd.DataFrame:
    surgeries, visits, _ = cohort.frames()
    selected = select_cohort(surgeries, as_of=as_of)
    return pain_curve(surgeries, visits, selected, DEFAULT_SETTINGS, as_of, **kwargs)


def _row(curve: pd.DataFrame, procedure: str, bucket: str) -> pd.Series:
    rows = curve[(curve["procedure"] == procedure) & (curve["bucket"] == bucket)]
    assert len(rows) == 1
    return rows.iloc[0]


def _five_patients() -> Cohort:
    """Five discectomy patients seen around 6 weeks (days 28-62). Patient means there: 4, 1, 5, 7, 9."""
    c = Cohort()
    for pid in range(1, 6):
        c.surgery(pid)
    c.visit(1, day(30), leg=2).visit(1, day(40), leg=4, back=1).visit(1, day(60), back=6)  # mean 4
    c.visit(2, day(42), leg=1)
    c.visit(3, day(28), back=5, leg=3)  # the worse site: 5
    c.visit(4, day(62), leg=7)
    c.visit(5, day(35), leg=9)
    return c


def test_the_bucket_median_and_quartiles_are_over_patients_means():
    row = _row(_curve(_five_patients()), "discectomy", "6 weeks")
    # patient means sorted: 1, 4, 5, 7, 9 -> q1 4, median 5, q3 7 (linear interpolation)
    assert (row["n_patients"], row["median"], row["q1"], row["q3"]) == (5, 5.0, 4.0, 7.0)


def test_a_patient_with_three_visits_in_a_bucket_counts_once():
    row = _row(_curve(_five_patients()), "discectomy", "6 weeks")
    assert row["n_patients"] == 5
    assert row["n_visits"] == 7
    # counted per visit instead, the values 2,4,6,1,5,7,9 would give a median of 5 but q1 3 and q3 6.5
    assert (row["q1"], row["q3"]) != (3.0, 6.5)


def test_bucket_edges_day_27_is_the_2_week_bucket_and_day_28_the_6_week_bucket():
    c = Cohort().surgery(1).visit(1, day(27), leg=8).visit(1, day(28), leg=3).visit(1, day(62), leg=2)
    c.visit(1, day(63), leg=1)  # 9 weeks: the 3-month bucket
    curve = _curve(c)
    assert _row(curve, "discectomy", "2 weeks")["median"] == 8
    assert _row(curve, "discectomy", "6 weeks")["median"] == 2.5
    assert _row(curve, "discectomy", "3 months")["median"] == 1


def test_the_baseline_bucket_is_recoverys_baseline_the_worse_site_of_the_last_scores_before_surgery():
    c = Cohort().surgery(1).surgery(2)
    c.visit(1, day(-60), leg=9).visit(1, day(-5), leg=6, back=7)  # baseline: leg 6, back 7 -> 7
    c.visit(2, day(-100), leg=9)  # outside the 90-day look-back: no baseline
    c.visit(2, day(0), back=5)  # the surgery day still counts as pre-op
    row = _row(_curve(c), "discectomy", "baseline")
    assert (row["n_patients"], row["median"], row["week"]) == (2, 6.0, 0.0)
    assert (row["week_from"], row["week_to"]) == (-90 / 7, 0)


def test_visits_after_as_of_and_patients_outside_the_cohort_are_ignored():
    c = _five_patients().visit(2, day(50), leg=10)
    surgeries, visits, _ = c.frames()
    selected = select_cohort(surgeries, as_of=day(45))
    selected = selected[selected["patient_id"] != 5]
    row = _row(pain_curve(surgeries, visits, selected, DEFAULT_SETTINGS, day(45)), "discectomy", "6 weeks")
    # patient 1: days 30 and 40 (the day-60 visit is after as_of) -> 3; 2: 1; 3: 5; 4: none by day 45
    assert (row["n_patients"], row["median"]) == (3, 3.0)


def test_each_procedure_has_its_own_rows_in_catalogue_order_and_a_patient_total():
    c = _five_patients().surgery(9, procedure="fusion").visit(9, day(45), back=8)
    curve = _curve(c)
    assert list(curve.columns) == list(PAIN_CURVE_COLUMNS)
    assert curve["procedure"].unique().tolist() == ["discectomy", "fusion"]
    assert curve["bucket"].tolist()[: len(CURVE_BUCKETS) + 1] == ["baseline", *(b.label for b in CURVE_BUCKETS)]
    fusion = curve[curve["procedure"] == "fusion"].set_index("bucket")
    assert fusion.loc["6 weeks", "median"] == 8
    assert fusion.loc["12 months", "n_patients"] == 0 and np.isnan(fusion.loc["12 months", "median"])
    assert fusion["procedure_patients"].iloc[0] == 1
    assert curve.loc[curve["procedure"] == "discectomy", "procedure_patients"].iloc[0] == 5


def test_custom_buckets_are_used_and_overlapping_ones_refused():
    bins = (CurveBucket("first month", 2, 0, 4.5), CurveBucket("later", 8, 4.5, 12))
    curve = _curve(_five_patients(), weeks_bins=bins)
    assert curve["bucket"].tolist() == ["baseline", "first month", "later"]
    # 4.5 weeks = day 31.5, rounded up to day 32: days 28 and 30 are in the first month
    assert _row(curve, "discectomy", "first month")["n_patients"] == 2
    with pytest.raises(ValueError, match="weeks_bins"):
        _curve(_five_patients(), weeks_bins=(CurveBucket("a", 2, 0, 6), CurveBucket("b", 5, 4, 8)))


def test_an_empty_cohort_gives_an_empty_curve_with_the_columns():
    surgeries, visits, _ = _five_patients().frames()
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
