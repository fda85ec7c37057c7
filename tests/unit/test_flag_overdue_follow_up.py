"""OVERDUE_FOLLOW_UP: a registry time point whose window closed without a visit (and not too long ago)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from data_model.follow_up import follow_up_schedule
from data_model.settings import DEFAULT_SETTINGS, FollowUpPoint
from tests.unit.builders import Cohort, codes, day, flag

OD = "OVERDUE_FOLLOW_UP"
# the 6-week time point: due day 42, window day 28 to day 56; 3 months: due day 91, window 70 to 112


def test_a_window_closed_without_a_visit_is_overdue():
    row = flag(Cohort().surgery(1).flags(as_of=day(57)), 1, OD)
    assert row["severity"] == "low"
    assert row["reason"] == "6-week follow-up overdue: due 2024-02-26 (window closed 2024-03-11), no visit"


@pytest.mark.parametrize(("as_of", "overdue"), [(56, False), (57, True)])
def test_the_window_is_open_through_its_last_day(as_of, overdue):
    assert (OD in codes(Cohort().surgery(1).flags(as_of=day(as_of)), 1)) is overdue


@pytest.mark.parametrize(("visit_day", "overdue"), [(27, True), (28, False), (42, False), (56, False), (57, True)])
def test_a_visit_inside_the_window_edges_included_satisfies_it(visit_day, overdue):
    cohort = Cohort().surgery(1).visit(1, day(visit_day), leg=3)
    assert (OD in codes(cohort.flags(as_of=day(60)), 1)) is overdue


@pytest.mark.parametrize(("as_of", "overdue"), [(56 + 182, True), (56 + 183, False)])
def test_a_window_closed_more_than_26_weeks_ago_is_missed_not_overdue(as_of, overdue):
    # only the 6-week point qualifies: 3 months is done, 12 months not closed
    cohort = Cohort().surgery(1).visit(1, day(91), leg=3)
    assert (OD in codes(cohort.flags(as_of=day(as_of)), 1)) is overdue


def test_how_long_a_miss_stays_overdue_follows_the_clinic_settings():
    shorter = replace(DEFAULT_SETTINGS, overdue_max_weeks=4)
    assert OD in codes(Cohort().surgery(1).flags(as_of=day(56 + 29)), 1)
    assert OD not in codes(Cohort().surgery(1).flags(as_of=day(56 + 29), settings=shorter), 1)


def test_two_overdue_time_points_are_medium_and_both_named():
    row = flag(Cohort().surgery(1).flags(as_of=day(113)), 1, OD)
    assert row["severity"] == "medium"
    assert row["reason"] == (
        "6-week follow-up overdue: due 2024-02-26 (window closed 2024-03-11), no visit; "
        "3-month follow-up overdue: due 2024-04-15 (window closed 2024-05-06), no visit"
    )


def test_a_revision_restarts_the_schedule():
    cohort = Cohort().surgery(1, day(-200)).surgery(1, day(0))
    assert OD not in codes(cohort.flags(as_of=day(20)), 1)  # the old surgery's 3-month point is gone
    assert OD in codes(cohort.flags(as_of=day(57)), 1)


def test_a_visit_after_as_of_does_not_satisfy_the_time_point_yet():
    cohort = Cohort().surgery(1).visit(1, day(50), leg=3)
    assert OD not in codes(cohort.flags(as_of=day(60)), 1)
    assert OD in codes(Cohort().surgery(1).visit(1, day(61), leg=3).flags(as_of=day(60)), 1)


def test_a_visit_with_only_a_dose_or_symptom_counts_as_a_visit():
    assert OD not in codes(Cohort().surgery(1).visit(1, day(40), mme=0).flags(as_of=day(60)), 1)
    assert OD not in codes(Cohort().surgery(1).visit(1, day(40), numbness=0).flags(as_of=day(60)), 1)


def test_the_schedule_follows_the_clinic_settings():
    custom = replace(DEFAULT_SETTINGS, follow_up_schedule=(FollowUpPoint("2 weeks", 2, 0),))
    row = flag(Cohort().surgery(1).flags(as_of=day(15), settings=custom), 1, OD)
    assert row["reason"] == "2-week follow-up overdue: due 2024-01-29 (window closed 2024-01-29), no visit"


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(1, 3), st.integers(-300, 0)), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(1, 3), st.integers(-100, 900)), max_size=12),
    st.integers(0, 900),
)
def test_the_flag_names_exactly_the_overdue_time_points_of_the_schedule(surgeries, visits, as_of_day):
    cohort = Cohort()
    for pid, d in surgeries:
        cohort.surgery(pid, day(d))
    for pid, d in visits:
        cohort.visit(pid, day(d), leg=3)
    frames = cohort.frames()
    schedule = follow_up_schedule(frames[0], frames[1], DEFAULT_SETTINGS, day(as_of_day))
    overdue = schedule[schedule["status"] == "overdue"]
    flags = cohort.flags(as_of=day(as_of_day))
    flags = flags[flags["code"] == OD].set_index("patient_id")
    assert set(flags.index) == set(overdue["patient_id"])
    for pid, points in overdue.groupby("patient_id"):
        assert flags.loc[pid, "reason"].count("overdue") == len(points)
        assert flags.loc[pid, "severity"] == ("medium" if len(points) >= 2 else "low")
