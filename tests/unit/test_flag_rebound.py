"""REBOUND: back or leg pain came back after relief that lasted (re-herniation, a block wearing off)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from data_model.settings import DEFAULT_SETTINGS
from tests.unit.builders import Cohort, codes, day, flag, week

R = "REBOUND"


def _course(baseline: float | None, best: float, now: float) -> Cohort:
    """Leg pain relieved to `best` at weeks 8 and 12 (two visits running), `now` at weeks 26 and 30."""
    cohort = Cohort().surgery(1)
    if baseline is not None:
        cohort.visit(1, day(-5), leg=baseline)
    return (
        cohort.visit(1, week(8), leg=best)
        .visit(1, week(12), leg=best)
        .visit(1, week(26), leg=now)
        .visit(1, week(30), leg=now)
    )


def test_pain_that_returned_after_lasting_relief_is_a_rebound():
    row = flag(_course(8, 2, 7).flags(as_of=week(30)), 1, R)
    assert row["reason"] == (
        "Leg pain back to 7/10 (mean of 2 visits) at week 30 after relief to 2/10 at weeks 8–12; leg baseline 8"
    )
    assert row["severity"] == "high"


@pytest.mark.parametrize(("now", "severity"), [(6.5, "medium"), (6.9, "medium"), (7, "high")])
def test_severity_follows_how_bad_the_pain_is_now(now, severity):
    assert flag(_course(8, 2, now).flags(as_of=week(30)), 1, R)["severity"] == severity


def test_without_relief_it_is_no_rebound():
    # 8 -> 6.5 is short of 2 points and 30 % and above PASS: never relief, so pain at 8.5 is not "back"
    assert R not in codes(_course(8, 6.5, 8.5).flags(as_of=week(30)), 1)


def test_pain_back_although_still_meaningfully_better_than_baseline_is_a_rebound():
    # changed by issue 14: 2 -> 5 is 3 points above the relief, at the persistent threshold; that 5 is
    # still 3 below the baseline of 8 (the MCID holds) no longer hides the return
    assert R in codes(_course(8, 2, 5).flags(as_of=week(30)), 1)


@pytest.mark.parametrize(("now", "flagged"), [(3.9, False), (4, True), (4.1, True)])
def test_pain_must_be_two_points_above_its_relief(now, flagged):
    # relief at 1.9 (below PASS): 3.9 is exactly 2 above it but under the persistent threshold of 4
    assert (R in codes(_course(5, 1.9, now).flags(as_of=week(30)), 1)) is flagged


@pytest.mark.parametrize(("now", "flagged"), [(5.9, False), (6, True), (6.1, True)])
def test_the_return_is_measured_from_the_relief_level(now, flagged):
    assert (R in codes(_course(8, 4, now).flags(as_of=week(30)), 1)) is flagged


def test_relief_from_a_treatment_that_wore_off_is_a_rebound():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, day(-5), leg=8)
        .visit(1, week(10), leg=8)
        .treatment(1, "radiofrequency_ablation", week(13))
        .visit(1, week(16), leg=2)
        .visit(1, week(24), leg=2)
        .visit(1, week(60), leg=7)
    )
    assert flag(cohort.flags(as_of=week(60)), 1, R)["reason"].startswith(
        "Leg pain back to 7/10 at week 60 after relief to 2/10 at weeks 16–24"
    )


def test_the_deepest_relief_is_named():
    cohort = _course(8, 2, 7).visit(1, week(16), leg=1).visit(1, week(20), leg=1)
    assert "after relief to 1/10 at weeks 16–20;" in flag(cohort.flags(as_of=week(30)), 1, R)["reason"]


def test_without_baseline_relief_is_the_acceptable_symptom_state():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(1), leg=8)
        .visit(1, week(8), leg=2)
        .visit(1, week(12), leg=3)
        .visit(1, week(30), leg=7)
    )
    row = flag(cohort.flags(as_of=week(30)), 1, R)
    assert row["reason"] == (
        "Leg pain back to 7/10 at week 30 after relief to 2.5/10 at weeks 8–12; no leg baseline (relief: 3/10 or less)"
    )


def test_without_baseline_pain_above_the_acceptable_state_is_no_relief():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(1), leg=8)
        .visit(1, week(8), leg=3.5)
        .visit(1, week(12), leg=3.5)
        .visit(1, week(30), leg=7)
    )
    assert R not in codes(cohort.flags(as_of=week(30)), 1)


def test_the_points_back_up_follow_the_clinic_settings():
    wider = replace(DEFAULT_SETTINGS, rebound_points=3.0)
    cohort = _course(5, 2, 4.5)
    assert R in codes(cohort.flags(as_of=week(30)), 1)
    assert R not in codes(cohort.flags(as_of=week(30), settings=wider), 1)


def test_the_relief_visits_needed_follow_the_clinic_settings():
    three = replace(DEFAULT_SETTINGS, rebound_relief_visits=3)
    cohort = Cohort().surgery(1).visit(1, day(-5), leg=8)
    for w, leg in ((8, 2), (20, 2), (40, 7), (52, 7)):
        cohort.visit(1, week(w), leg=leg)
    assert R in codes(cohort.flags(as_of=week(52)), 1)
    assert R not in codes(cohort.flags(as_of=week(52), settings=three), 1)


def test_relief_after_a_revision_is_judged_from_the_revision():
    # relief after the first surgery, then a revision: the new index surgery has not relieved anything yet
    cohort = (
        Cohort()
        .surgery(1, day(-300))
        .visit(1, day(-310), leg=8)
        .visit(1, day(-200), leg=1)
        .visit(1, day(-150), leg=1)
        .surgery(1, day(0))
        .visit(1, day(-5), leg=8)
        .visit(1, week(8), leg=7)
        .visit(1, week(20), leg=8)
    )
    assert R not in codes(cohort.flags(as_of=week(20)), 1)


# --- Issue 14, "What was seen" ---------------------------------------------------------------


def test_a_returning_leg_pain_is_a_rebound_when_back_pain_had_the_higher_baseline():
    cohort = Cohort().surgery(1).visit(1, day(-5), back=9, leg=8)
    for w in (8, 13, 26):
        cohort.visit(1, week(w), back=1, leg=0)
    for w in (40, 52, 70, 92):
        cohort.visit(1, week(w), back=6, leg=7)
    row = flag(cohort.flags(as_of=week(92)), 1, R)
    assert row["reason"].startswith(
        "Leg pain back to 7/10 at week 92 after relief to 0/10 at weeks 8–13; leg baseline 8"
    )
    # back pain 6 is 5 points above its relief of 1 and past the threshold of 4: named too
    assert "; back pain back to 6/10 at week 92 after relief to 1/10 at weeks 8–13; back baseline 9" in row["reason"]


def test_a_rebound_from_a_high_baseline_is_seen_although_the_mcid_still_holds():
    cohort = Cohort().surgery(1).visit(1, day(-5), leg=9)
    for w in (6, 13, 20, 26):
        cohort.visit(1, week(w), leg=1)
    cohort.visit(1, week(36), leg=7).visit(1, week(40), leg=7)
    row = flag(cohort.flags(as_of=week(40)), 1, R)
    assert row["reason"] == (
        "Leg pain back to 7/10 (mean of 2 visits) at week 40 after relief to 1/10 at weeks 6–13; leg baseline 9"
    )


def test_one_noisy_visit_is_no_relief():
    cohort = Cohort().surgery(1).visit(1, day(-5), back=9)
    for w, back in ((11, 6), (26, 8), (39, 8), (52, 8)):
        cohort.visit(1, week(w), back=back)
    assert R not in codes(cohort.flags(as_of=week(52)), 1)


def test_mild_pain_after_a_low_baseline_is_no_rebound():
    cohort = Cohort().surgery(1).visit(1, day(-5), back=2.5)
    for w, back in ((8, 0), (12, 0), (26, 2), (30, 2)):
        cohort.visit(1, week(w), back=back)
    assert R not in codes(cohort.flags(as_of=week(30)), 1)
