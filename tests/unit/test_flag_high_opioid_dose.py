"""HIGH_OPIOID_DOSE: the latest MME/day at or above the CDC 2022 thresholds, or opioids continued past 3 months."""

from __future__ import annotations

from dataclasses import replace

import pytest

from data_model.settings import DEFAULT_SETTINGS
from tests.unit.builders import Cohort, codes, day, flag, week

OPIOID = "HIGH_OPIOID_DOSE"
LIMIT = 13 * 7  # day 91: 13 weeks after surgery


def _dose(mme: float) -> Cohort:
    return Cohort().surgery(1).visit(1, week(2), leg=3, mme=mme)


@pytest.mark.parametrize(("mme", "severity"), [(49.9, None), (50, "medium"), (89.9, "medium"), (90, "high")])
def test_the_cdc_2022_thresholds_decide_the_severity(mme, severity):
    flags = _dose(mme).flags(as_of=week(3))
    if severity is None:
        assert OPIOID not in codes(flags, 1)
    else:
        assert flag(flags, 1, OPIOID)["severity"] == severity


def test_the_reason_carries_the_dose_and_the_threshold():
    assert flag(_dose(60).flags(as_of=week(3)), 1, OPIOID)["reason"] == (
        "Opioid dose 60 MME/day on 2024-01-29: at or above 50 MME/day, reassess (CDC 2022)"
    )
    assert flag(_dose(120).flags(as_of=week(3)), 1, OPIOID)["reason"] == (
        "Opioid dose 120 MME/day on 2024-01-29: at or above 90 MME/day, which needs justification (CDC 2022)"
    )


def test_the_latest_dose_counts_not_the_highest():
    cohort = _dose(120).visit(1, week(4), mme=30)
    assert OPIOID not in codes(cohort.flags(as_of=week(5)), 1)


def test_a_visit_without_a_dose_does_not_reset_the_latest_dose():
    cohort = _dose(120).visit(1, week(4), leg=2)
    assert flag(cohort.flags(as_of=week(5)), 1, OPIOID)["severity"] == "high"


def test_the_thresholds_follow_the_clinic_settings():
    lower = replace(DEFAULT_SETTINGS, opioid_mme_threshold=40.0, opioid_mme_high=60.0)
    assert flag(_dose(45).flags(as_of=week(3), settings=lower), 1, OPIOID)["severity"] == "medium"
    assert flag(_dose(60).flags(as_of=week(3), settings=lower), 1, OPIOID)["severity"] == "high"


# --- Continued past 3 months --------------------------------------------------------------------------


def _taking(*days_and_doses: tuple[int, float]) -> Cohort:
    cohort = Cohort().surgery(1)
    for d, mme in days_and_doses:
        cohort.visit(1, day(d), mme=mme)
    return cohort


def test_opioids_recorded_early_and_still_past_13_weeks_are_flagged():
    row = flag(_taking((14, 30), (140, 30)).flags(as_of=day(140)), 1, OPIOID)
    assert row["severity"] == "medium"
    assert row["reason"] == (
        "Opioids continued past 13 weeks after surgery (30 MME/day at week 20, below the CDC 2022 "
        "reassessment threshold of 50 MME/day)"
    )


@pytest.mark.parametrize(("late_day", "flagged"), [(LIMIT - 1, False), (LIMIT, True)])
def test_13_weeks_after_surgery_is_the_edge(late_day, flagged):
    assert (OPIOID in codes(_taking((14, 30), (late_day, 30)).flags(as_of=day(LIMIT)), 1)) is flagged


def test_opioids_started_only_after_13_weeks_are_not_continued_use():
    assert OPIOID not in codes(_taking((14, 0), (140, 30)).flags(as_of=day(140)), 1)


def test_opioids_stopped_by_the_latest_visit_are_not_continued():
    assert OPIOID not in codes(_taking((14, 30), (100, 30), (140, 0)).flags(as_of=day(140)), 1)


def test_a_high_dose_continued_reads_both_reasons():
    row = flag(_taking((14, 60), (140, 60)).flags(as_of=day(140)), 1, OPIOID)
    assert row["reason"] == (
        "Opioid dose 60 MME/day on 2024-06-03: at or above 50 MME/day, reassess (CDC 2022); "
        "opioids continued past 13 weeks after surgery (60 MME/day at week 20)"
    )


def test_an_ongoing_opioid_treatment_started_early_is_continued_use():
    cohort = Cohort().surgery(1).treatment(1, "opioid", day(1)).visit(1, week(20), leg=2)
    assert flag(cohort.flags(as_of=week(20)), 1, OPIOID)["reason"] == (
        "Opioids continued past 13 weeks after surgery (opioid treatment ongoing since 2024-01-16; no MME/day recorded)"
    )
    assert OPIOID not in codes(cohort.flags(as_of=day(LIMIT - 1)), 1)  # not 13 weeks yet


def test_an_opioid_treatment_from_before_surgery_still_running_is_continued_use():
    cohort = Cohort().surgery(1).treatment(1, "opioid", day(-60))
    assert OPIOID in codes(cohort.flags(as_of=week(20)), 1)


@pytest.mark.parametrize(("end", "flagged"), [(week(10), False), (week(20), False), (week(21), True)])
def test_an_opioid_treatment_that_ended_by_as_of_is_not_continued_use(end, flagged):
    cohort = Cohort().surgery(1).treatment(1, "opioid", day(1), end=end)
    assert (OPIOID in codes(cohort.flags(as_of=week(20)), 1)) is flagged


def test_an_opioid_treatment_started_after_13_weeks_is_not_continued_use():
    cohort = Cohort().surgery(1).treatment(1, "opioid", week(14))
    assert OPIOID not in codes(cohort.flags(as_of=week(20)), 1)


def test_an_ongoing_treatment_contradicted_by_a_zero_dose_since_is_not_continued_use():
    cohort = Cohort().surgery(1).treatment(1, "opioid", day(1)).visit(1, week(16), mme=0)
    assert OPIOID not in codes(cohort.flags(as_of=week(20)), 1)
    # a zero recorded on the day it started is the dose before it
    cohort = Cohort().surgery(1).visit(1, day(1), mme=0).treatment(1, "opioid", day(1))
    assert OPIOID in codes(cohort.flags(as_of=week(20)), 1)


def test_other_treatments_are_not_opioids():
    cohort = Cohort().surgery(1).treatment(1, "neuropathic_agent", day(1))
    assert OPIOID not in codes(cohort.flags(as_of=week(20)), 1)


def test_the_13_weeks_follow_the_clinic_settings():
    longer = replace(DEFAULT_SETTINGS, opioid_max_weeks=26)
    cohort = _taking((14, 30), (140, 30))
    assert OPIOID in codes(cohort.flags(as_of=day(140)), 1)
    assert OPIOID not in codes(cohort.flags(as_of=day(140), settings=longer), 1)
