"""OFF_TRACK: inside the window, pain above the clinic's usual curve (or the reference curve) visits running."""

from __future__ import annotations

from dataclasses import replace

import pytest

from data_model.flags.clinic_curve import FALLBACK_P80
from data_model.settings import DEFAULT_SETTINGS
from tests.unit.builders import Cohort, codes, day, flag, week

OT = "OFF_TRACK"
REFERENCE_2_3 = FALLBACK_P80["discectomy"][1]  # 4.4: discectomy, weeks 2-3


def _with_clinic(pain: float, others: int = 30, procedure: str = "discectomy") -> Cohort:
    """`others` other patients after the same procedure, each with one score of `pain` at week 2.5."""
    cohort = Cohort()
    for patient in range(100, 100 + others):
        cohort.surgery(patient, procedure=procedure).visit(patient, week(2.5), leg=pain)
    return cohort


def test_pain_above_the_reference_curve_on_two_visits_running_is_off_track():
    cohort = Cohort().surgery(1).visit(1, week(2), leg=5).visit(1, week(3), leg=6)
    row = flag(cohort.flags(as_of=week(3)), 1, OT)
    assert row["severity"] == "medium"
    assert row["reason"] == (
        "Leg pain 6/10 at week 3, above the 80th percentile of the reference curve (4.4) for discectomy at "
        "weeks 2-3, 2 visits running (the clinic has fewer than 30 patients there)"
    )


def test_one_visit_above_the_curve_is_not_enough():
    cohort = Cohort().surgery(1).visit(1, week(2), leg=2).visit(1, week(3), leg=6)
    assert OT not in codes(cohort.flags(as_of=week(3)), 1)


def test_the_latest_visit_must_be_one_of_the_run():
    cohort = Cohort().surgery(1).visit(1, week(2), leg=6).visit(1, week(3), leg=6).visit(1, week(4), leg=2)
    assert OT in codes(cohort.flags(as_of=week(3)), 1)
    assert OT not in codes(cohort.flags(as_of=week(4)), 1)


@pytest.mark.parametrize(("pain", "flagged"), [(REFERENCE_2_3, False), (REFERENCE_2_3 + 0.1, True)])
def test_pain_must_be_above_the_curve_not_on_it(pain, flagged):
    cohort = Cohort().surgery(1).visit(1, week(2), leg=pain).visit(1, week(3), leg=pain)
    assert (OT in codes(cohort.flags(as_of=week(3)), 1)) is flagged


def test_each_visit_is_judged_against_its_own_week():
    # 4/10 is above the curve at weeks 4-5 (3.3) but not at weeks 2-3 (4.4)
    early = Cohort().surgery(1).visit(1, week(3), leg=4).visit(1, week(4), leg=4)
    late = Cohort().surgery(1).visit(1, week(4), leg=4).visit(1, week(5), leg=4)
    assert OT not in codes(early.flags(as_of=week(4)), 1)
    assert OT in codes(late.flags(as_of=week(5)), 1)


def test_the_clinic_curve_is_used_when_the_clinic_has_enough_patients():
    cohort = _with_clinic(3).surgery(1).visit(1, week(2), leg=6).visit(1, week(3), leg=6)
    reason = flag(cohort.flags(as_of=week(3)), 1, OT)["reason"]
    # 30 patients at 3 and this one at 6: the 80th percentile of the 31 is 3
    assert (
        reason == "Leg pain 6/10 at week 3, above the clinic's 80th percentile (3) for discectomy at weeks 2-3, "
        "2 visits running"
    )


def test_a_clinic_whose_patients_usually_hurt_more_does_not_call_it_off_track():
    alone = Cohort().surgery(1).visit(1, week(2), leg=5).visit(1, week(3), leg=5)
    assert OT in codes(alone.flags(as_of=week(3)), 1)  # above the reference curve's 4.4
    cohort = _with_clinic(6).surgery(1).visit(1, week(2), leg=5).visit(1, week(3), leg=5)
    assert OT not in codes(cohort.flags(as_of=week(3)), 1)  # below the clinic's usual 6


@pytest.mark.parametrize(("others", "source"), [(28, "reference curve"), (29, "clinic's")])
def test_the_clinic_curve_needs_30_patients_counting_the_patient_judged(others, source):
    cohort = _with_clinic(3, others).surgery(1).visit(1, week(2), leg=6).visit(1, week(3), leg=6)
    assert source in flag(cohort.flags(as_of=week(3)), 1, OT)["reason"]


def test_the_minimum_cohort_size_follows_the_clinic_settings():
    small = replace(DEFAULT_SETTINGS, off_track_min_cohort_patients=5)
    cohort = _with_clinic(3, 4).surgery(1).visit(1, week(2), leg=6).visit(1, week(3), leg=6)
    assert "clinic's" in flag(cohort.flags(as_of=week(3), settings=small), 1, OT)["reason"]


def test_other_procedures_do_not_shape_the_curve():
    # 30 fusion patients at 1/10 say nothing about a discectomy patient
    cohort = _with_clinic(1, procedure="fusion").surgery(1).visit(1, week(2), leg=4).visit(1, week(3), leg=4)
    assert OT not in codes(cohort.flags(as_of=week(3)), 1)


def test_the_clinic_curve_counts_only_scores_dated_up_to_as_of():
    cohort = _with_clinic(3)  # the others' scores are dated day 18
    cohort.surgery(1, day(-7)).visit(1, day(7), leg=6).visit(1, day(14), leg=6)  # this patient's weeks 2 and 3
    assert "reference curve" in flag(cohort.flags(as_of=day(17)), 1, OT)["reason"]
    assert "clinic's" in flag(cohort.flags(as_of=day(18)), 1, OT)["reason"]


def test_off_track_needs_the_configured_number_of_visits_running():
    three = replace(DEFAULT_SETTINGS, off_track_consecutive_visits=3)
    cohort = Cohort().surgery(1).visit(1, week(2), leg=6).visit(1, week(3), leg=6)
    assert OT not in codes(cohort.flags(as_of=week(3), settings=three), 1)
    cohort.visit(1, week(3.5), leg=6)
    assert "3 visits running" in flag(cohort.flags(as_of=week(3.5), settings=three), 1, OT)["reason"]


def test_a_longer_run_is_counted_in_full():
    cohort = Cohort().surgery(1).visit(1, week(1), leg=8).visit(1, week(2), leg=6).visit(1, week(3), leg=6)
    assert "3 visits running" in flag(cohort.flags(as_of=week(3)), 1, OT)["reason"]


@pytest.mark.parametrize(("pain", "severity"), [(6.9, "medium"), (7, "high")])
def test_severe_pain_off_track_is_high_severity(pain, severity):
    cohort = Cohort().surgery(1).visit(1, week(2), leg=6).visit(1, week(3), leg=pain)
    assert flag(cohort.flags(as_of=week(3)), 1, OT)["severity"] == severity


def test_off_track_is_not_raised_once_the_window_has_ended():
    cohort = Cohort().surgery(1).visit(1, week(4), leg=6).visit(1, week(5), leg=6)
    assert OT in codes(cohort.flags(as_of=day(41)), 1)  # the last day inside the 6-week window
    assert OT not in codes(cohort.flags(as_of=week(6)), 1)  # day 42: the window has ended


def test_a_fusion_is_judged_on_its_own_curve_through_its_longer_window():
    cohort = Cohort().surgery(1, procedure="fusion").visit(1, week(15), back=7.5).visit(1, week(16), back=7.5)
    reason = flag(cohort.flags(as_of=week(16)), 1, OT)["reason"]
    assert "(6.8) for fusion at weeks 14-26" in reason


def test_scores_before_surgery_are_not_part_of_the_run():
    cohort = Cohort().surgery(1).visit(1, week(-1), leg=9).visit(1, week(3), leg=6)
    assert OT not in codes(cohort.flags(as_of=week(3)), 1)
