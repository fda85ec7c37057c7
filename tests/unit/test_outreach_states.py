"""Outreach states from a time point's contact log: which attempts make a patient lost, a booking after
unanswered attempts, a decline; and the share seen and lost per time point, against a hand count."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from data_model.outreach.retention import retention
from data_model.outreach.states import outreach_states

SURGERY = pd.Timestamp("2026-01-05")


def _log(*outcomes: str, patient_id: int = 1, weeks: int = 13) -> pd.DataFrame:
    """Attempts one day apart, in this order, for one time point."""
    start = date(2026, 4, 1)
    return pd.DataFrame(
        {
            "contact_id": range(1, len(outcomes) + 1),
            "patient_id": patient_id,
            "surgery_date": SURGERY,
            "weeks": weeks,
            "outcome": list(outcomes),
            "contacted_on": [pd.Timestamp(start + timedelta(days=i)) for i in range(len(outcomes))],
            "next_attempt_on": pd.NaT,
        }
    )


def _state(*outcomes: str, lost_after: int = 3) -> str:
    states = outreach_states(_log(*outcomes), lost_after)
    assert len(states) == 1
    return str(states["outreach"].iloc[0])


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        (("no_answer",), "trying"),
        (("no_answer", "left_message"), "trying"),
        (("no_answer", "left_message", "letter_sent"), "unreachable"),  # three unanswered attempts in a row
        (("no_answer", "no_answer", "called", "no_answer"), "trying"),  # the conversation restarted the count
        (("no_answer", "no_answer", "called"), "reached"),
        (("no_answer", "no_answer", "no_answer", "booked"), "booked"),  # a booking after no answers
        (("booked", "no_answer"), "booked"),  # one unanswered reminder call does not undo a booking
        (("booked", "no_answer", "no_answer", "no_answer"), "unreachable"),
        (("declined",), "declined"),
        (("declined", "no_answer", "no_answer", "no_answer"), "declined"),  # their decision stands
        (("declined", "booked"), "booked"),  # they changed their mind
    ],
)
def test_the_log_makes_the_state(outcomes, expected):
    assert _state(*outcomes) == expected


def test_the_number_of_attempts_that_makes_a_patient_lost_is_the_setting():
    assert _state("no_answer", "no_answer", lost_after=3) == "trying"
    assert _state("no_answer", "no_answer", lost_after=2) == "unreachable"


def test_attempts_count_in_the_order_they_happened_not_the_order_they_were_logged():
    # a booking logged first but dated after three unanswered calls logged later: booked
    log = _log("booked", "no_answer", "no_answer", "no_answer")
    log["contacted_on"] = [pd.Timestamp("2026-04-10"), *pd.to_datetime(["2026-04-01", "2026-04-02", "2026-04-03"])]
    states = outreach_states(log, 3)
    assert states["outreach"].iloc[0] == "booked"
    assert states["attempts"].iloc[0] == 4
    assert states["last_contact_on"].iloc[0] == pd.Timestamp("2026-04-10")


def test_each_time_point_has_its_own_log():
    log = pd.concat([_log("declined", weeks=6), _log("no_answer", weeks=13), _log("booked", patient_id=2)])
    states = outreach_states(log, 3).set_index(["patient_id", "weeks"])["outreach"]
    assert states.to_dict() == {(1, 6): "declined", (1, 13): "trying", (2, 13): "booked"}


def _schedule_row(patient_id: int, weeks: int, status: str, window_end: str) -> dict:
    return {
        "patient_id": patient_id,
        "time_point": {6: "6 weeks", 13: "3 months"}[weeks],
        "weeks": weeks,
        "due_date": SURGERY + pd.Timedelta(days=weeks * 7),
        "window_end": pd.Timestamp(window_end),
        "status": status,
    }


def test_the_share_seen_and_lost_per_time_point_matches_a_hand_count():
    as_of = pd.Timestamp("2026-06-01")
    schedule = pd.DataFrame(
        [
            # 6 weeks, window closed for all five: 2 seen, 1 declined, 1 unreachable, 1 not seen (being tried)
            _schedule_row(1, 6, "done", "2026-03-01"),
            _schedule_row(2, 6, "done", "2026-03-01"),
            _schedule_row(3, 6, "overdue", "2026-03-01"),
            _schedule_row(4, 6, "overdue", "2026-03-01"),
            _schedule_row(5, 6, "overdue", "2026-03-01"),
            # 3 months: patient 1 seen although the log said unreachable (the visit outranks the log);
            # patient 2 declined but the window is still open: not counted yet
            _schedule_row(1, 13, "done", "2026-05-01"),
            _schedule_row(2, 13, "due", "2026-07-01"),
            _schedule_row(3, 13, "overdue", "2026-05-01"),
        ]
    )
    log = pd.concat(
        [
            _log("declined", patient_id=3, weeks=6),
            _log("no_answer", "no_answer", "no_answer", patient_id=4, weeks=6),
            _log("no_answer", patient_id=5, weeks=6),
            _log("no_answer", "no_answer", "no_answer", patient_id=1, weeks=13),
            _log("declined", patient_id=2, weeks=13),
            _log("no_answer", "left_message", "letter_sent", patient_id=3, weeks=13),
        ]
    )
    table = retention(schedule, outreach_states(log, 3), as_of).set_index("time_point")
    six, three = table.loc["6 weeks"], table.loc["3 months"]
    assert (six["eligible"], six["seen"], six["declined"], six["unreachable"], six["not_seen"]) == (5, 2, 1, 1, 1)
    assert six["seen_share"] == pytest.approx(2 / 5) and six["lost_share"] == pytest.approx(2 / 5)
    assert (three["eligible"], three["seen"], three["lost"], three["unreachable"], three["not_seen"]) == (2, 1, 1, 1, 0)
    assert three["lost_share"] == pytest.approx(1 / 2)
    assert list(table.index) == ["6 weeks", "3 months"]


def test_the_work_list_finds_filters_and_sorts_by_outreach():
    from data_model.services.follow_ups import work_list

    rows = pd.DataFrame(
        {
            "mrn": ["A1", "B2", "C3", "D4"],
            "display_name": ["Ann Oak", None, "Cy Oakley", "Di Ash"],
            "outreach": ["trying", "none", "booked", "trying"],
            "next_attempt_on": pd.to_datetime(["2026-05-09", None, None, "2026-05-02"]),
            "last_contact_on": pd.to_datetime(["2026-05-01", None, "2026-05-03", "2026-04-20"]),
        }
    )
    assert list(work_list(rows, find=" oak")["mrn"]) == ["A1", "C3"]  # names, any case
    assert list(work_list(rows, find="b2")["mrn"]) == ["B2"]  # MRNs; a missing name is no match
    assert list(work_list(rows, states=["trying"])["mrn"]) == ["A1", "D4"]
    assert list(work_list(rows, order="next_attempt")["mrn"]) == ["D4", "A1", "B2", "C3"]  # none planned: last
    assert list(work_list(rows, order="outreach")["mrn"]) == ["B2", "A1", "D4", "C3"]  # not contacted first
    assert list(work_list(rows, order="last_contact")["mrn"]) == ["B2", "D4", "A1", "C3"]  # never contacted first
