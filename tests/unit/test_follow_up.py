"""The registry follow-up schedule: due dates, windows, the visit that satisfied each time point, and its status."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from data_model.follow_up import SCHEDULE_COLUMNS, due_and_overdue, follow_up_schedule, time_point_name
from data_model.settings import DEFAULT_SETTINGS, FollowUpPoint, SettingsError, from_values, to_values
from tests.unit.builders import Cohort, day

LABELS = ["6 weeks", "3 months", "12 months", "24 months"]


def _schedule(cohort: Cohort, as_of, settings=DEFAULT_SETTINGS) -> pd.DataFrame:
    surgeries, visits, _ = cohort.frames()
    return follow_up_schedule(surgeries, visits, settings, as_of)


def _point(schedule: pd.DataFrame, label: str, patient_id: int = 1) -> pd.Series:
    rows = schedule[(schedule["patient_id"] == patient_id) & (schedule["time_point"] == label)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_each_patient_gets_every_time_point_with_its_due_date_and_window():
    schedule = _schedule(Cohort().surgery(1).surgery(2, day(10)), as_of=day(20))
    assert list(schedule.columns) == list(SCHEDULE_COLUMNS)
    assert schedule["patient_id"].tolist() == [1] * 4 + [2] * 4
    assert schedule["time_point"].tolist() == LABELS * 2
    assert schedule["weeks"].tolist() == [6, 13, 52, 104] * 2
    three_months = _point(schedule, "3 months")
    assert (three_months["due_date"], three_months["window_start"], three_months["window_end"]) == (
        pd.Timestamp(day(91)),
        pd.Timestamp(day(70)),
        pd.Timestamp(day(112)),
    )
    two_years = _point(schedule, "24 months", 2)
    assert (two_years["window_start"], two_years["window_end"]) == (
        pd.Timestamp(day(10 + 672)),
        pd.Timestamp(day(10 + 784)),
    )


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (13, "future"),
        (14, "upcoming"),
        (27, "upcoming"),
        (28, "due"),
        (56, "due"),
        (57, "overdue"),
        (56 + 182, "overdue"),
        (56 + 183, "missed"),
    ],
)
def test_the_status_of_a_time_point_without_a_visit_follows_the_calendar(as_of, status):
    assert _point(_schedule(Cohort().surgery(1), day(as_of)), "6 weeks")["status"] == status


def test_the_due_soon_and_overdue_spans_follow_the_clinic_settings():
    custom = replace(DEFAULT_SETTINGS, follow_up_upcoming_days=20, overdue_max_weeks=1)
    assert _point(_schedule(Cohort().surgery(1), day(8), custom), "6 weeks")["status"] == "upcoming"
    assert _point(_schedule(Cohort().surgery(1), day(64), custom), "6 weeks")["status"] == "missed"


def test_a_visit_in_the_window_makes_it_done_and_is_named():
    schedule = _schedule(Cohort().surgery(1).visit(1, day(45), back=4), day(200))
    point = _point(schedule, "6 weeks")
    assert (point["status"], point["visit_date"]) == ("done", pd.Timestamp(day(45)))
    assert pd.isna(_point(schedule, "3 months")["visit_date"])


def test_of_several_visits_the_one_closest_to_the_due_date_is_named():
    cohort = Cohort().surgery(1).visit(1, day(30), leg=3).visit(1, day(44), leg=3).visit(1, day(55), leg=3)
    assert _point(_schedule(cohort, day(200)), "6 weeks")["visit_date"] == pd.Timestamp(day(44))


def test_between_two_equally_close_visits_the_earlier_is_named():
    cohort = Cohort().surgery(1).visit(1, day(45), leg=3).visit(1, day(39), leg=3)
    assert _point(_schedule(cohort, day(200)), "6 weeks")["visit_date"] == pd.Timestamp(day(39))


def test_a_visit_on_or_before_the_surgery_day_is_no_follow_up():
    early = replace(DEFAULT_SETTINGS, follow_up_schedule=(FollowUpPoint("1 week", 1, 2),))  # window day -7 to 21
    cohort = Cohort().surgery(1).visit(1, day(-3), leg=8).visit(1, day(0), leg=8)
    assert _point(_schedule(cohort, day(30), early), "1 week")["status"] == "overdue"
    cohort.visit(1, day(1), leg=8)
    assert _point(_schedule(cohort, day(30), early), "1 week")["status"] == "done"


def test_a_visit_recording_nothing_does_not_count():
    cohort = Cohort().surgery(1).visit(1, day(42))
    assert _point(_schedule(cohort, day(60)), "6 weeks")["status"] == "overdue"


def test_visits_after_as_of_and_of_an_earlier_surgery_do_not_count():
    cohort = Cohort().surgery(1, day(-100)).visit(1, day(-58), leg=3).surgery(1, day(0)).visit(1, day(43), leg=3)
    assert _point(_schedule(cohort, day(42)), "6 weeks")["status"] == "due"
    assert _point(_schedule(cohort, day(43)), "6 weeks")["status"] == "done"


def test_the_status_frame_works_as_well_as_the_surgeries():
    cohort = Cohort().surgery(1).visit(1, day(45), leg=3).surgery(2, day(5))
    surgeries, visits, _ = cohort.frames()
    status = cohort.status(as_of=day(100)).reset_index()
    pd.testing.assert_frame_equal(
        follow_up_schedule(status, visits, DEFAULT_SETTINGS, day(100)),
        follow_up_schedule(surgeries, visits, DEFAULT_SETTINGS, day(100)),
    )


def test_patients_without_a_surgery_have_no_schedule():
    schedule = _schedule(Cohort().visit(1, day(3), leg=3), day(100))
    assert schedule.empty and list(schedule.columns) == list(SCHEDULE_COLUMNS)


# --- The staff list ----------------------------------------------------------------------------------------


def test_the_staff_list_holds_what_is_overdue_or_due_this_week():
    cohort = (
        Cohort()
        .surgery(1, day(0))  # 6-week window opened on day 28: due
        .surgery(2, day(-30))  # 6-week window closed on day 26: overdue
        .surgery(3, day(5))  # opens on day 33: within the week
        .surgery(4, day(9))  # opens on day 37: beyond the week
        .surgery(5, day(0))
        .visit(5, day(29), leg=2)
    )  # done
    schedule = _schedule(cohort, day(29))
    listed = due_and_overdue(schedule, day(29))
    assert list(listed.columns) == list(SCHEDULE_COLUMNS)
    assert list(zip(listed["patient_id"], listed["status"], strict=True)) == [
        (2, "overdue"),
        (1, "due"),
        (3, "upcoming"),
    ]
    assert 4 in due_and_overdue(schedule, day(29), days_ahead=8)["patient_id"].tolist()


def test_the_staff_list_puts_the_most_urgent_first():
    cohort = Cohort().surgery(1, day(-40)).surgery(2, day(-32)).surgery(3, day(0)).surgery(4, day(-20))
    listed = due_and_overdue(_schedule(cohort, day(29)), day(29))
    # overdue longest-closed first, then open windows closing soonest first, then those about to open
    assert list(zip(listed["patient_id"], listed["time_point"], listed["status"], strict=True)) == [
        (1, "6 weeks", "overdue"),
        (2, "6 weeks", "overdue"),
        (4, "6 weeks", "due"),
        (3, "6 weeks", "due"),
        (1, "3 months", "upcoming"),
    ]


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("6 weeks", "6-week follow-up"),
        ("3 months", "3-month follow-up"),
        ("1 year", "1-year follow-up"),
        ("baseline", "baseline follow-up"),
    ],
)
def test_time_points_read_as_follow_ups(label, name):
    assert time_point_name(label) == name


# --- Properties -------------------------------------------------------------------------------------------


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(1, 3), st.integers(-100, 0)), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(1, 3), st.integers(-120, 900)), max_size=12),
    st.integers(0, 900),
)
def test_the_schedule_agrees_with_a_plain_reading_of_the_rules(surgeries, visits, as_of_day):
    cohort = Cohort()
    for pid, d in surgeries:
        cohort.surgery(pid, day(d))
    for pid, d in visits:
        cohort.visit(pid, day(d), leg=3)
    schedule = _schedule(cohort, day(as_of_day))
    cut = pd.Timestamp(day(as_of_day))
    for row in schedule.itertuples():
        index_day = max(d for pid, d in surgeries if pid == row.patient_id)
        inside = [
            pd.Timestamp(day(d))
            for pid, d in visits
            if pid == row.patient_id
            and d > index_day
            and pd.Timestamp(day(d)) <= cut
            and row.window_start <= pd.Timestamp(day(d)) <= row.window_end
        ]
        if inside:
            closest = min(inside, key=lambda when: (abs(when - row.due_date), when))
            assert (row.status, row.visit_date) == ("done", closest)
        else:
            assert pd.isna(row.visit_date)
            closed = (cut - row.window_end).days
            expected = (
                ("missed" if closed > 182 else "overdue")
                if closed > 0
                else (
                    "due"
                    if cut >= row.window_start
                    else "upcoming"
                    if (row.window_start - cut).days <= 14
                    else "future"
                )
            )
            assert row.status == expected
    assert np.all(schedule["window_start"] <= schedule["window_end"])


@pytest.mark.parametrize(("name", "value"), [("overdue_max_weeks", -1), ("follow_up_upcoming_days", 400)])
def test_out_of_range_schedule_settings_are_refused_by_name(name, value):
    with pytest.raises(SettingsError, match=name):
        from_values({name: value})


def test_the_schedule_settings_are_stored_and_read_back():
    custom = from_values({"overdue_max_weeks": 8, "follow_up_upcoming_days": 7})
    assert (custom.overdue_max_weeks, custom.follow_up_upcoming_days) == (8, 7)
    assert from_values(to_values(custom)) == custom
