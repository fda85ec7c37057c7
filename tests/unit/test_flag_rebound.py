"""REBOUND: pain came back after an initial meaningful improvement (re-herniation, a block wearing off)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from data_model.settings import DEFAULT_SETTINGS
from tests.unit.builders import Cohort, codes, day, flag, week

R = "REBOUND"


def _course(baseline: float | None, best: float, now: float) -> Cohort:
    cohort = Cohort().surgery(1)
    if baseline is not None:
        cohort.visit(1, day(-5), leg=baseline)
    return cohort.visit(1, week(8), leg=best).visit(1, week(30), leg=now)


def test_pain_that_returned_after_early_relief_is_a_rebound():
    row = flag(_course(8, 2, 7).flags(as_of=week(30)), 1, R)
    assert row["reason"] == "Leg pain back to 7/10 at week 30 after 2/10 at week 8 (relief then return); baseline 8"
    assert row["severity"] == "high"


@pytest.mark.parametrize(("now", "severity"), [(6.5, "medium"), (6.9, "medium"), (7, "high")])
def test_severity_follows_how_bad_the_pain_is_now(now, severity):
    assert flag(_course(8, 2, now).flags(as_of=week(30)), 1, R)["severity"] == severity


def test_without_an_initial_meaningful_improvement_it_is_no_rebound():
    # 8 -> 6.5 is short of 2 points and 30 %: never a response, so pain at 8.5 is not "back"
    assert R not in codes(_course(8, 6.5, 8.5).flags(as_of=week(30)), 1)


def test_pain_still_meaningfully_better_than_baseline_is_no_rebound():
    # 2 -> 5 is 3 points back up, but 5 is still 3 below the baseline of 8: the MCID (6 or less) holds
    assert R not in codes(_course(8, 2, 5).flags(as_of=week(30)), 1)


@pytest.mark.parametrize(("now", "flagged"), [(3.9, False), (4, True)])
def test_pain_must_be_two_points_above_its_best(now, flagged):
    # baseline 5: the MCID needs 3.5 or less, so 3.9 and 4 both fall short of it now
    assert (R in codes(_course(5, 2, now).flags(as_of=week(30)), 1)) is flagged


def test_the_latest_visit_is_never_its_own_best():
    assert R not in codes(_course(8, 7, 1).flags(as_of=week(30)), 1)


def test_relief_from_a_treatment_that_wore_off_is_a_rebound():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, day(-5), leg=8)
        .visit(1, week(10), leg=8)
        .treatment(1, "radiofrequency_ablation", week(13))
        .visit(1, week(16), leg=2)
        .visit(1, week(60), leg=7)
    )
    assert flag(cohort.flags(as_of=week(60)), 1, R)["reason"].startswith(
        "Leg pain back to 7/10 at week 60 after 2/10 at week 16"
    )


def test_the_earliest_of_equal_best_scores_is_named():
    cohort = _course(8, 2, 7).visit(1, week(12), leg=2)
    assert "after 2/10 at week 8 " in flag(cohort.flags(as_of=week(30)), 1, R)["reason"]


def test_the_site_compared_with_its_baseline_is_the_one_judged():
    # back pain (baseline 4) swings, but leg pain (the worse baseline, the MCID measure) stays relieved
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, day(-5), back=4, leg=8)
        .visit(1, week(8), back=1, leg=2)
        .visit(1, week(30), back=4, leg=2)
    )
    assert R not in codes(cohort.flags(as_of=week(30)), 1)


def test_without_baseline_a_fall_of_two_points_from_the_first_post_op_score_is_the_relief():
    cohort = Cohort().surgery(1).visit(1, week(1), leg=8).visit(1, week(8), leg=2).visit(1, week(30), leg=7)
    row = flag(cohort.flags(as_of=week(30)), 1, R)
    assert row["reason"] == (
        "Pain back to 7/10 at week 30 after 2/10 at week 8 (relief then return); "
        "no pain baseline, first post-op pain 8/10 at week 1"
    )


def test_without_baseline_less_than_two_points_of_relief_is_no_rebound():
    cohort = Cohort().surgery(1).visit(1, week(1), leg=3.5).visit(1, week(8), leg=2).visit(1, week(30), leg=7)
    assert R not in codes(cohort.flags(as_of=week(30)), 1)


@pytest.mark.parametrize(("now", "flagged"), [(3.9, False), (4, True)])
def test_without_baseline_the_pain_now_must_reach_the_persistent_threshold(now, flagged):
    cohort = Cohort().surgery(1).visit(1, week(1), leg=8).visit(1, week(8), leg=1).visit(1, week(30), leg=now)
    assert (R in codes(cohort.flags(as_of=week(30)), 1)) is flagged


def test_the_points_back_up_follow_the_clinic_settings():
    wider = replace(DEFAULT_SETTINGS, rebound_points=3.0)
    cohort = _course(5, 2, 4.5)
    assert R in codes(cohort.flags(as_of=week(30)), 1)
    assert R not in codes(cohort.flags(as_of=week(30), settings=wider), 1)


def test_relief_after_a_revision_is_judged_from_the_revision():
    # relief after the first surgery, then a revision: the new index surgery has not relieved anything yet
    cohort = (
        Cohort()
        .surgery(1, day(-300))
        .visit(1, day(-310), leg=8)
        .visit(1, day(-200), leg=1)
        .surgery(1, day(0))
        .visit(1, day(-5), leg=8)
        .visit(1, week(8), leg=7)
        .visit(1, week(20), leg=8)
    )
    assert R not in codes(cohort.flags(as_of=week(20)), 1)
