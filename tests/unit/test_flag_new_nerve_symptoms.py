"""NEW_NERVE_SYMPTOMS: numbness, tingling or weakness present now and absent at the visit before that recorded it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from data_model.settings import DEFAULT_SETTINGS, SettingsError, from_values
from tests.unit.builders import Cohort, codes, day, flag, week

N = "NEW_NERVE_SYMPTOMS"


def test_numbness_that_appears_is_flagged_with_its_dates():
    cohort = Cohort().surgery(1).visit(1, week(4), leg=6, numbness=0).visit(1, week(10), leg=2, numbness=1)
    row = flag(cohort.flags(as_of=week(11)), 1, N)
    assert row["severity"] == "medium"
    assert row["reason"] == "New numbness on 2024-03-25 (absent on 2024-02-12)"


def test_numbness_present_all_along_is_not_new():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(4), leg=6, numbness=1)
        .visit(1, week(6), leg=3, numbness=1)
        .visit(1, week(10), leg=2, numbness=1)
    )
    assert N not in codes(cohort.flags(as_of=week(11)), 1)


def test_a_symptom_recorded_only_once_cannot_be_called_new():
    cohort = Cohort().surgery(1).visit(1, week(10), leg=2, tingling=1)
    assert N not in codes(cohort.flags(as_of=week(11)), 1)


def test_new_weakness_is_high_severity_and_asks_for_prompt_re_evaluation():
    cohort = Cohort().surgery(1).visit(1, week(4), weakness=0).visit(1, week(10), weakness=1)
    row = flag(cohort.flags(as_of=week(10)), 1, N)
    assert row["severity"] == "high"
    assert row["reason"] == (
        "New weakness on 2024-03-25 (absent on 2024-02-12): a motor deficit, needs prompt re-evaluation"
    )


def test_several_new_symptoms_make_one_flag_weakness_first():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(4), numbness=0, tingling=0, weakness=0)
        .visit(1, week(10), numbness=1, tingling=1, weakness=1)
    )
    row = flag(cohort.flags(as_of=week(10)), 1, N)
    assert row["reason"] == (
        "New weakness on 2024-03-25 (absent on 2024-02-12): a motor deficit, needs prompt re-evaluation; "
        "new numbness on 2024-03-25 (absent on 2024-02-12); new tingling on 2024-03-25 (absent on 2024-02-12)"
    )
    assert row["severity"] == "high"


def test_a_visit_that_did_not_record_the_symptom_is_skipped():
    cohort = Cohort().surgery(1).visit(1, week(2), numbness=0).visit(1, week(4), leg=3).visit(1, week(10), numbness=1)
    assert "(absent on 2024-01-29)" in flag(cohort.flags(as_of=week(10)), 1, N)["reason"]


def test_a_symptom_that_went_away_is_not_flagged():
    cohort = Cohort().surgery(1).visit(1, week(4), numbness=1).visit(1, week(10), numbness=0)
    assert N not in codes(cohort.flags(as_of=week(10)), 1)


def test_a_symptom_that_comes_back_is_new_again():
    cohort = (
        Cohort().surgery(1).visit(1, week(4), numbness=1).visit(1, week(6), numbness=0).visit(1, week(10), numbness=1)
    )
    assert "(absent on 2024-02-26)" in flag(cohort.flags(as_of=week(10)), 1, N)["reason"]


def test_only_the_latest_two_recordings_decide():
    cohort = (
        Cohort().surgery(1).visit(1, week(4), numbness=0).visit(1, week(6), numbness=1).visit(1, week(10), numbness=1)
    )
    assert N not in codes(cohort.flags(as_of=week(10)), 1)  # new at week 6, no longer new at week 10


@pytest.mark.parametrize(("days_ago", "flagged"), [(90, True), (91, False)])
def test_a_symptom_that_appeared_more_than_90_days_ago_is_no_longer_new(days_ago, flagged):
    cohort = Cohort().surgery(1).visit(1, week(4), numbness=0).visit(1, week(10), numbness=1)
    as_of = day(70 + days_ago)
    assert (N in codes(cohort.flags(as_of=as_of), 1)) is flagged


def test_how_long_a_symptom_stays_new_follows_the_clinic_settings():
    shorter = replace(DEFAULT_SETTINGS, nerve_symptom_recent_days=30)
    cohort = Cohort().surgery(1).visit(1, week(4), numbness=0).visit(1, week(10), numbness=1)
    assert N in codes(cohort.flags(as_of=day(101)), 1)
    assert N not in codes(cohort.flags(as_of=day(101), settings=shorter), 1)


def test_symptoms_recorded_before_surgery_never_make_one_new():
    # changed by issue 14: "New numbness on week -7 (absent on week -51)" was pre-operative evidence
    cohort = Cohort().surgery(1).visit(1, week(-51), numbness=0).visit(1, week(-7), numbness=1)
    assert N not in codes(cohort.flags(as_of=week(2)), 1)


def test_a_symptom_that_appeared_before_the_surgery_date_is_not_new_after_it():
    # changed by issue 14 (was test_symptoms_that_appear_before_surgery_count_too)
    cohort = Cohort().surgery(1, day(10)).visit(1, day(-30), weakness=0).visit(1, day(5), weakness=1)
    assert N not in codes(cohort.flags(as_of=day(12)), 1)


def test_a_symptom_absent_before_surgery_and_present_after_it_is_not_new():
    cohort = Cohort().surgery(1).visit(1, day(-3), numbness=0).visit(1, week(6), numbness=1)
    assert N not in codes(cohort.flags(as_of=week(7)), 1)


def test_same_day_records_resolve_to_one_state():
    # "New tingling on week 13 (absent on week 13)": two records of one day are one state, present
    cohort = (
        Cohort().surgery(1).visit(1, week(6), tingling=1).visit(1, week(13), tingling=0).visit(1, week(13), tingling=1)
    )
    assert N not in codes(cohort.flags(as_of=week(14)), 1)


def test_same_day_records_after_an_absent_day_make_one_new_symptom_with_two_dates():
    cohort = (
        Cohort().surgery(1).visit(1, week(6), tingling=0).visit(1, week(13), tingling=1).visit(1, week(13), tingling=0)
    )
    assert flag(cohort.flags(as_of=week(14)), 1, N)["reason"] == "New tingling on 2024-04-15 (absent on 2024-02-26)"


def test_a_symptom_recorded_after_as_of_is_not_seen_yet():
    cohort = Cohort().surgery(1).visit(1, week(4), numbness=0).visit(1, week(10), numbness=1)
    assert N not in codes(cohort.flags(as_of=day(69)), 1)


@pytest.mark.parametrize("value", [0, 4000])
def test_an_out_of_range_recency_is_refused_by_name(value):
    with pytest.raises(SettingsError, match="nerve_symptom_recent_days"):
        from_values({"nerve_symptom_recent_days": value})
