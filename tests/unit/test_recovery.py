"""Patient status after surgery: index surgery, baseline, current pain, MCID measure, trajectory."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from data_model.flags.engine import compute_flags
from data_model.recovery import STATUS_COLUMNS, mcid_target, patient_status
from data_model.settings import DEFAULT_SETTINGS
from data_model.trajectory import TRAJECTORY_COLUMNS, patient_trajectory
from tests.unit.builders import Cohort, day, week

LATER = week(52)

# --- Index surgery and the clock ------------------------------------------------------------------


def test_the_latest_surgery_on_or_before_as_of_is_the_index_surgery():
    cohort = Cohort().surgery(1, day(-400), "fusion").surgery(1, day(0), "discectomy").surgery(1, day(200))
    status = cohort.status(as_of=day(100)).loc[1]
    assert status["index_surgery_date"] == pd.Timestamp(day(0))
    assert status["procedure"] == "discectomy"
    assert status["prior_surgeries"] == 1  # the fusion before it; the one after as_of does not exist yet


def test_a_revision_restarts_the_clock():
    cohort = Cohort().surgery(1, day(-300), "discectomy").surgery(1, day(0), "fusion")
    status = cohort.status(as_of=day(21)).loc[1]
    assert status["days_since_surgery"] == 21
    assert status["weeks_since_surgery"] == 3.0
    assert status["window_weeks"] == 26
    assert not status["window_ended"]


def test_a_patient_without_surgery_has_no_status_row():
    cohort = Cohort().surgery(1).visit(2, week(10), leg=9)
    assert list(cohort.status(as_of=LATER).index) == [1]


def test_the_window_ends_on_the_day_window_weeks_are_complete():
    cohort = Cohort().surgery(1, procedure="laminectomy")
    assert not cohort.status(as_of=day(12 * 7 - 1)).loc[1, "window_ended"]
    assert cohort.status(as_of=day(12 * 7)).loc[1, "window_ended"]


def test_an_unknown_procedure_gets_the_other_window():
    cohort = Cohort().surgery(1, procedure="kyphoplasty")
    assert cohort.status(as_of=LATER).loc[1, "window_weeks"] == DEFAULT_SETTINGS.window_for("other")


# --- Baseline -----------------------------------------------------------------------------------------


def test_the_baseline_is_the_last_score_on_or_before_the_surgery_day():
    cohort = Cohort().surgery(1).visit(1, day(-20), leg=9).visit(1, day(0), leg=7).visit(1, day(1), leg=2)
    status = cohort.status(as_of=LATER).loc[1]
    assert status["baseline_leg"] == 7
    assert status["baseline_date"] == pd.Timestamp(day(0))


def test_a_score_older_than_the_lookback_is_not_a_baseline():
    lookback = DEFAULT_SETTINGS.baseline_lookback_days
    in_range = Cohort().surgery(1).visit(1, day(-lookback), leg=8).status(as_of=LATER).loc[1]
    too_old = Cohort().surgery(1).visit(1, day(-lookback - 1), leg=8).status(as_of=LATER).loc[1]
    assert in_range["baseline_leg"] == 8
    assert np.isnan(too_old["baseline_leg"])


def test_each_site_keeps_its_own_last_baseline_score():
    cohort = Cohort().surgery(1).visit(1, day(-30), back=6, leg=9).visit(1, day(-5), leg=7, odi=40)
    status = cohort.status(as_of=LATER).loc[1]
    assert (status["baseline_back"], status["baseline_leg"], status["baseline_odi"]) == (6, 7, 40)


def test_of_two_scores_on_one_day_the_later_recorded_is_the_baseline():
    surgeries, visits, treatments = Cohort().surgery(1).visit(1, day(-2), leg=6).visit(1, day(-2), leg=9).frames()
    reversed_rows = visits.iloc[::-1].reset_index(drop=True)
    status = patient_status(surgeries, reversed_rows, treatments, DEFAULT_SETTINGS, LATER)
    assert status.loc[0, "baseline_leg"] == 9


def test_a_missing_baseline_is_never_replaced_by_a_follow_up_score():
    cohort = Cohort().surgery(1).visit(1, week(8), leg=6)
    status = cohort.status(as_of=LATER).loc[1]
    assert np.isnan(status["baseline_leg"])
    assert pd.isna(status["baseline_date"])
    assert pd.isna(status["mcid_met"])


def test_a_revision_takes_its_baseline_from_before_the_revision():
    cohort = Cohort().surgery(1, day(-200)).visit(1, day(-210), leg=9).surgery(1, day(0)).visit(1, day(-10), leg=5)
    assert cohort.status(as_of=LATER).loc[1, "baseline_leg"] == 5


# --- Current pain -------------------------------------------------------------------------------------


def test_current_pain_is_the_worse_of_back_and_leg():
    cohort = Cohort().surgery(1).visit(1, week(10), back=3, leg=6)
    status = cohort.status(as_of=LATER).loc[1]
    assert status["current_pain"] == 6
    assert status["current_site"] == "leg"


def test_a_score_without_body_site_counts_as_pain():
    status = Cohort().surgery(1).visit(1, week(10), pain=5).status(as_of=LATER).loc[1]
    assert (status["current_pain"], status["current_site"]) == (5, "pain")


def test_current_pain_is_the_mean_of_the_recent_visits():
    cohort = Cohort().surgery(1).visit(1, week(10), leg=8).visit(1, week(12), leg=2).visit(1, week(14), leg=8)
    status = cohort.status(as_of=LATER).loc[1]
    assert status["current_pain"] == 6
    assert status["current_visits"] == 3
    assert status["last_visit_date"] == pd.Timestamp(week(14))
    assert status["last_visit_week"] == 14


def test_one_score_alone_decides_only_when_it_is_the_only_recent_one():
    alone = Cohort().surgery(1).visit(1, week(4), leg=9).visit(1, week(20), leg=2)
    assert alone.status(as_of=LATER).loc[1, "current_pain"] == 2  # week 4 is 16 weeks earlier


def test_visits_older_than_the_recent_span_do_not_count():
    span = DEFAULT_SETTINGS.recent_visit_days
    cohort = Cohort().surgery(1).visit(1, day(100), leg=9).visit(1, day(100 + span), leg=3)
    assert cohort.status(as_of=LATER).loc[1, "current_pain"] == 6  # on the edge: both count
    cohort = Cohort().surgery(1).visit(1, day(100), leg=9).visit(1, day(101 + span), leg=3)
    assert cohort.status(as_of=LATER).loc[1, "current_pain"] == 3


def test_at_most_the_latest_recent_visit_max_visits_count():
    cohort = Cohort().surgery(1)
    for d, leg in [(70, 10), (72, 4), (74, 4), (76, 4)]:
        cohort.visit(1, day(d), leg=leg)
    status = cohort.status(as_of=LATER).loc[1]
    assert DEFAULT_SETTINGS.recent_visit_max == 3
    assert (status["current_pain"], status["current_visits"]) == (4, 3)


def test_only_visits_since_the_latest_treatment_count():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(14), leg=8)
        .visit(1, week(15), leg=8)
        .treatment(1, "epidural_steroid_injection", week(16))
        .visit(1, week(17), leg=2)
    )
    status = cohort.status(as_of=LATER).loc[1]
    assert (status["current_pain"], status["current_visits"]) == (2, 1)


def test_a_visit_on_the_day_a_treatment_starts_is_the_score_before_it():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(14), leg=8)
        .treatment(1, "epidural_steroid_injection", week(16))
        .visit(1, week(16), leg=8)
        .visit(1, week(17), leg=2)
    )
    status = cohort.status(as_of=LATER).loc[1]
    assert (status["current_pain"], status["current_visits"]) == (2, 1)


def test_a_treatment_started_on_the_latest_visit_day_narrows_nothing_yet():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(14), leg=8)
        .visit(1, week(16), leg=6)
        .treatment(1, "epidural_steroid_injection", week(16))
    )
    status = cohort.status(as_of=LATER).loc[1]
    assert (status["current_pain"], status["current_visits"]) == (7, 2)


def test_past_the_window_only_visits_from_the_window_end_on_count():
    # discectomy window: 42 days; the day-41 score is inside it, the day-42 one is not
    cohort = Cohort().surgery(1).visit(1, day(7), leg=9).visit(1, day(41), leg=8).visit(1, day(42), leg=3)
    status = cohort.status(as_of=LATER).loc[1]
    assert (status["current_pain"], status["current_visits"]) == (3, 1)
    assert status["evidence_past_window"]


def test_inside_the_window_the_recent_visits_are_not_cut_at_the_window_end():
    cohort = Cohort().surgery(1).visit(1, day(7), leg=9).visit(1, day(41), leg=3)
    status = cohort.status(as_of=day(41)).loc[1]
    assert (status["current_pain"], status["current_visits"]) == (6, 2)


def test_a_treatment_after_the_latest_visit_does_not_hide_the_scores():
    cohort = Cohort().surgery(1).visit(1, week(14), leg=8).treatment(1, "radiofrequency_ablation", week(16))
    assert cohort.status(as_of=LATER).loc[1, "current_pain"] == 8


def test_a_visit_with_only_a_dose_is_not_the_latest_pain_visit():
    cohort = Cohort().surgery(1).visit(1, week(4), leg=7).visit(1, week(20), mme=30)
    status = cohort.status(as_of=LATER).loc[1]
    assert (status["current_pain"], status["last_visit_week"]) == (7, 4)


def test_scores_dated_after_as_of_are_ignored():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, day(-3), leg=8)
        .visit(1, week(10), leg=7)
        .visit(1, week(30), leg=1)
        .treatment(1, "scs_implant", week(29))
        .surgery(1, week(40))
    )
    status = cohort.status(as_of=week(20)).loc[1]
    assert status["index_surgery_date"] == pd.Timestamp(day(0))
    assert (status["current_pain"], status["baseline_leg"]) == (7, 8)


# --- MCID measure -----------------------------------------------------------------------------------------


def test_the_site_with_the_higher_baseline_is_the_mcid_measure():
    cohort = Cohort().surgery(1).visit(1, day(-5), back=4, leg=8).visit(1, week(10), back=4, leg=5)
    status = cohort.status(as_of=LATER).loc[1]
    assert (status["mcid_measure"], status["change_points"], status["change_percent"]) == ("leg", 3, 37.5)
    assert status["mcid_met"]


def test_equal_baselines_compare_the_site_that_hurts_more_now():
    cohort = Cohort().surgery(1).visit(1, day(-5), back=8, leg=8).visit(1, week(10), back=7, leg=3)
    assert cohort.status(as_of=LATER).loc[1, "mcid_measure"] == "back"
    cohort = Cohort().surgery(1).visit(1, day(-5), back=8, leg=8).visit(1, week(10), back=5, leg=5)
    assert cohort.status(as_of=LATER).loc[1, "mcid_measure"] == "leg"


def test_a_site_without_a_follow_up_score_is_not_the_mcid_measure():
    cohort = Cohort().surgery(1).visit(1, day(-5), back=9, leg=6).visit(1, week(10), leg=6)
    status = cohort.status(as_of=LATER).loc[1]
    assert (status["mcid_measure"], status["mcid_baseline"], status["mcid_met"]) == ("leg", 6, False)


def test_a_baseline_without_body_site_is_compared_with_the_worse_current_site():
    cohort = Cohort().surgery(1).visit(1, day(-5), pain=8).visit(1, week(10), back=3, leg=5)
    status = cohort.status(as_of=LATER).loc[1]
    assert (status["mcid_measure"], status["mcid_baseline"], status["mcid_current"]) == ("pain", 8, 5)


def test_odi_is_compared_when_there_is_no_pain_baseline():
    cohort = Cohort().surgery(1).visit(1, day(-5), odi=50).visit(1, week(10), leg=6, odi=42)
    status = cohort.status(as_of=LATER).loc[1]
    assert (status["mcid_measure"], status["change_points"], status["change_percent"]) == ("odi", 8, 16)
    assert not status["mcid_met"]  # 8 points and 16 %: short of 10 points or 30 %


def test_decimal_scores_meet_the_mcid_exactly_at_two_points():
    # 8.2 - 6.2 is 1.9999999999999991 in floating point; the clinician reads 2 points
    cohort = Cohort().surgery(1).visit(1, day(-5), leg=8.2).visit(1, week(10), leg=6.2)
    assert cohort.status(as_of=LATER).loc[1, "mcid_met"]


def test_a_zero_baseline_has_no_percent_change():
    cohort = Cohort().surgery(1).visit(1, day(-5), leg=0).visit(1, week(10), leg=5)
    status = cohort.status(as_of=LATER).loc[1]
    assert np.isnan(status["change_percent"])
    assert (status["change_points"], status["mcid_met"]) == (-5, False)


# --- Empty inputs -------------------------------------------------------------------------------------------


def test_empty_inputs_give_empty_frames_with_every_column():
    surgeries, visits, treatments = Cohort().frames()
    status, flags = compute_flags(surgeries, visits, treatments, DEFAULT_SETTINGS, LATER)
    assert status.empty and list(status.columns) == list(STATUS_COLUMNS)
    assert flags.empty and list(flags.columns) == ["patient_id", "code", "severity", "reason"]


def test_surgeries_without_visits_or_treatments_give_a_status_without_scores():
    surgeries, visits, treatments = Cohort().surgery(1).frames()
    status = patient_status(surgeries, visits, treatments, DEFAULT_SETTINGS, LATER)
    assert len(status) == 1
    assert status[["current_pain", "baseline_leg"]].isna().all(axis=None)
    assert status.loc[0, "current_visits"] == 0 and not status.loc[0, "evidence_past_window"]


# --- Trajectory ---------------------------------------------------------------------------------------------


def _trajectory(cohort: Cohort, as_of: date, **kwargs) -> pd.DataFrame:
    surgeries, visits, treatments = cohort.frames()
    return patient_trajectory(surgeries, visits, as_of, treatments=treatments, **kwargs)


def test_the_trajectory_places_each_visit_in_weeks_from_the_index_surgery():
    cohort = Cohort().surgery(1).visit(1, day(-14), back=4, leg=8).visit(1, week(6), leg=5).visit(1, week(60), leg=1)
    chart = _trajectory(cohort, as_of=week(20))
    assert list(chart.columns) == list(TRAJECTORY_COLUMNS)
    assert chart["weeks_from_surgery"].tolist() == [-2, 6]  # the week-60 visit is after as_of
    assert chart["phase"].tolist() == ["pre-op", "post-op"]
    assert chart["pain"].tolist() == [8, 5]
    assert chart["is_baseline"].tolist() == [True, False]
    assert chart["in_current"].tolist() == [False, True]


def test_the_mcid_target_is_where_the_improvement_becomes_meaningful():
    # either 2 points or 30 % suffices, so the target is the easier (higher) of the two
    assert mcid_target(8.0, DEFAULT_SETTINGS) == pytest.approx(6.0)
    assert mcid_target(4.0, DEFAULT_SETTINGS) == pytest.approx(2.8)
    assert mcid_target(50.0, DEFAULT_SETTINGS, odi=True) == pytest.approx(40.0)
    chart = _trajectory(Cohort().surgery(1).visit(1, day(-1), leg=8).visit(1, week(8), leg=6), LATER)
    assert chart["mcid_target"].iloc[0] == pytest.approx(6.0)
    assert chart["mcid_target_pain"].iloc[0] == pytest.approx(6.0)
    met = Cohort().surgery(1).visit(1, day(-1), leg=8).visit(1, week(8), leg=6).status(as_of=LATER)
    assert met.loc[1, "mcid_met"]  # reaching the target is meeting the MCID


def test_the_mcid_target_follows_the_settings():
    strict = replace(DEFAULT_SETTINGS, mcid_nrs_points=3.0, mcid_nrs_percent=50.0)
    assert mcid_target(8.0, strict) == pytest.approx(5.0)


def test_a_trajectory_without_surgery_has_no_weeks_or_phase():
    chart = _trajectory(Cohort().visit(1, day(3), leg=5), LATER)
    assert len(chart) == 1 and chart["weeks_from_surgery"].isna().all() and chart["phase"].isna().all()


def test_a_trajectory_is_for_one_patient():
    with pytest.raises(ValueError, match="one patient"):
        _trajectory(Cohort().surgery(1).surgery(2), LATER)


# --- Properties ---------------------------------------------------------------------------------------------

_score = st.one_of(st.none(), st.integers(0, 20).map(lambda x: x / 2))
_odi = st.one_of(st.none(), st.integers(0, 100))
_visit = st.tuples(st.integers(1, 3), st.integers(-120, 400), _score, _score, _score, _odi)
_procedure = st.sampled_from(["discectomy", "laminectomy", "fusion", "other"])
_surgery = st.tuples(st.integers(1, 3), st.integers(-300, 300), _procedure)
_treatment = st.tuples(st.integers(1, 3), st.integers(-100, 400))


def _cohort(surgeries, visits, treatments) -> Cohort:
    cohort = Cohort()
    for pid, d, proc in surgeries:
        cohort.surgery(pid, day(d), proc)
    for pid, d, back, leg, pain, odi in visits:
        cohort.visit(pid, day(d), back=back, leg=leg, pain=pain, odi=odi)
    for pid, d in treatments:
        cohort.treatment(pid, "physical_therapy", day(d))
    return cohort


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_surgery, max_size=4),
    st.lists(_visit, max_size=14),
    st.lists(_treatment, max_size=3),
    st.integers(0, 400),
    st.randoms(use_true_random=False),
)
def test_row_order_changes_nothing(surgeries, visits, treatments, as_of_day, rnd):
    frames = _cohort(surgeries, visits, treatments).frames()
    shuffled = [f.sample(frac=1, random_state=rnd.randint(0, 2**31)).reset_index(drop=True) for f in frames]
    expected = compute_flags(*frames, DEFAULT_SETTINGS, day(as_of_day))
    actual = compute_flags(*shuffled, DEFAULT_SETTINGS, day(as_of_day))
    pd.testing.assert_frame_equal(actual[0], expected[0])
    pd.testing.assert_frame_equal(actual[1], expected[1])


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_surgery, max_size=4),
    st.lists(_visit, max_size=14),
    st.lists(_treatment, max_size=3),
    st.integers(0, 200),
    st.lists(_visit, max_size=5),
)
def test_data_dated_after_as_of_changes_nothing(surgeries, visits, treatments, as_of_day, future):
    before = compute_flags(*_cohort(surgeries, visits, treatments).frames(), DEFAULT_SETTINGS, day(as_of_day))
    later = [(pid, as_of_day + 1 + abs(d), *rest) for pid, d, *rest in future]
    more = _cohort(surgeries + [(1, as_of_day + 1, "fusion")], visits + later, treatments + [(2, as_of_day + 5)])
    after = compute_flags(*more.frames(), DEFAULT_SETTINGS, day(as_of_day))
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])


# --- PASS: the acceptable symptom state (issue 14) ------------------------------------------------


@pytest.mark.parametrize(("pain", "in_pass"), [(2.9, True), (3, True), (3.1, False)])
def test_pain_at_or_below_3_is_the_acceptable_symptom_state(pain, in_pass):
    status = Cohort().surgery(1).visit(1, day(-3), back=8).visit(1, week(20), back=pain, leg=1).status(as_of=week(20))
    assert bool(status.loc[1, "pass_met"]) is in_pass


@pytest.mark.parametrize(("odi", "in_pass"), [(19, True), (20, True), (21, False)])
def test_an_odi_at_or_below_20_is_the_acceptable_symptom_state(odi, in_pass):
    status = Cohort().surgery(1).visit(1, week(20), odi=odi).status(as_of=week(20))
    assert bool(status.loc[1, "pass_met"]) is in_pass


def test_the_acceptable_state_needs_every_measure_scored_now_within_its_limit():
    status = (
        Cohort()
        .surgery(1)
        .visit(1, week(20), leg=2, odi=30)  # pain fine, disability not: not acceptable
        .surgery(2)
        .visit(2, week(20), leg=2, odi=20)
        .surgery(3)
        .visit(3, week(20), mme=10)  # nothing scored: unknown, never "not acceptable"
        .status(as_of=week(20))
    )
    assert status.loc[1, "pass_met"] == False  # noqa: E712 (a nullable boolean)
    assert status.loc[2, "pass_met"] == True  # noqa: E712
    assert pd.isna(status.loc[3, "pass_met"])
