"""Logging contact attempts for follow-ups: judged field by field, all or nothing, audited; the follow-up
list then carries each time point's outreach state, and the cohort's share lost (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from data_model import commands
from data_model.audit import set_actor
from data_model.db import read_session, run_write
from data_model.models import AuditEntry, FollowUpContact
from data_model.outreach.contacts import TimePoint, contacts_frame, log_contacts, void_contact
from data_model.services.evaluation import evaluate_clinic
from data_model.services.follow_ups import cohort_follow_up, follow_up_list
from data_model.validation import ValidationFailed

TODAY = date.today()
SURGERY_DAY = TODAY - timedelta(weeks=20)  # the 3-month window (10 to 16 weeks) closed 4 weeks ago


def _overdue_patients(engine, n: int) -> list[int]:
    """n discectomy patients 20 weeks after surgery, none seen since: each overdue at 3 months."""

    def action(session):
        set_actor(session, "nurse1")
        ids = []
        for i in range(n):
            patient = commands.register_patient(session, {"mrn": f"O{i:03d}", "display_name": f"Olly Over{i}"})
            commands.add_surgery(session, patient.id, {"surgery_date": SURGERY_DAY, "procedure": "discectomy"})
            ids.append(patient.id)
        return ids

    return run_write(engine, action)


def _three_months(patient_id: int) -> TimePoint:
    return TimePoint(patient_id, SURGERY_DAY, 13, "3 months")


def _log(engine, ids: list[int], outcome: str, days_ago: int = 0, **more) -> None:
    raw = {"outcome": outcome, "contacted_on": (TODAY - timedelta(days=days_ago)).isoformat(), **more}
    run_write(engine, lambda s: log_contacts(set_actor(s, "nurse1"), [_three_months(i) for i in ids], raw, "nurse1"))


def _list(engine):
    with read_session(engine) as session:
        rows = follow_up_list(session, evaluate_clinic(session, TODAY))
    return rows[rows["time_point"] == "3 months"].set_index("mrn")  # the 6-week one is overdue too, unlogged


def test_ten_overdue_patients_get_an_attempt_each_in_one_audited_write(engine):
    ids = _overdue_patients(engine, 10)
    _log(engine, ids, "no_answer", next_attempt_on=(TODAY + timedelta(days=3)).isoformat(), note="rang twice")
    rows = _list(engine)
    assert (rows.loc[[f"O{i:03d}" for i in range(10)], "outreach"] == "trying").all()
    assert (rows["attempts"] == 1).all()
    assert (rows["next_attempt_on"] == pd.Timestamp(TODAY + timedelta(days=3))).all()
    with read_session(engine) as session:
        audited = session.scalars(select(AuditEntry).where(AuditEntry.table_name == "follow_up_contacts")).all()
    assert sorted(a.patient_id for a in audited) == sorted(ids)
    after = json.loads(audited[0].after)
    assert (after["outcome"], after["note"], after["recorded_by"], audited[0].actor) == (
        "no_answer",
        "rang twice",
        "nurse1",
        "nurse1",
    )


def test_three_unanswered_attempts_make_the_patient_lost_and_a_later_booking_undoes_it(engine):
    lost, booked, declined, untouched = _overdue_patients(engine, 4)
    for days_ago, outcome in ((6, "no_answer"), (4, "left_message"), (2, "letter_sent")):
        _log(engine, [lost, booked], outcome, days_ago)
    _log(engine, [booked], "booked")
    _log(engine, [declined], "declined", note="moved away")
    rows = _list(engine)
    assert rows.loc["O000", "outreach"] == "unreachable" and rows.loc["O000", "attempts"] == 3
    assert rows.loc["O001", "outreach"] == "booked"
    assert rows.loc["O002", "outreach"] == "declined"
    assert rows.loc["O003", "outreach"] == "none" and rows.loc["O003", "attempts"] == 0
    with read_session(engine) as session:
        shares = cohort_follow_up(session, evaluate_clinic(session, TODAY), [lost, booked, declined, untouched])
    three = shares.set_index("time_point").loc["3 months"]
    # by hand: four patients past the window, none seen; one unreachable and one declined are lost
    assert (three["eligible"], three["seen"], three["unreachable"], three["declined"]) == (4, 0, 1, 1)
    assert three["lost_share"] == pytest.approx(2 / 4)


def test_bad_input_names_each_field_and_writes_nothing(engine):
    (patient,) = _overdue_patients(engine, 1)
    raw = {
        "outcome": "waved",
        "contacted_on": (TODAY + timedelta(days=1)).isoformat(),
        "next_attempt_on": "next week",
        "note": "x",
    }
    with pytest.raises(ValidationFailed) as refused:
        run_write(engine, lambda s: log_contacts(set_actor(s, "nurse1"), [_three_months(patient)], raw, "nurse1"))
    assert [e.field for e in refused.value.errors] == ["outcome", "contacted_on", "next_attempt_on"]
    assert "is in the future" in refused.value.errors[1].message
    with pytest.raises(ValidationFailed) as before:
        _log(engine, [patient], "called", next_attempt_on=(TODAY - timedelta(days=3)).isoformat())
    assert before.value.errors[0].field == "next_attempt_on" and "before the contact" in before.value.errors[0].message
    other_surgery = TimePoint(patient, SURGERY_DAY - timedelta(days=1), 13, "3 months")
    with pytest.raises(ValidationFailed):
        raw_ok = {"outcome": "called", "contacted_on": TODAY.isoformat()}
        both = [_three_months(patient), other_surgery]
        run_write(engine, lambda s: log_contacts(set_actor(s, "nurse1"), both, raw_ok, "nurse1"))
    with read_session(engine) as session:
        assert session.scalars(select(FollowUpContact)).all() == []


def test_a_voided_attempt_no_longer_counts_towards_lost_and_the_audit_says_who_and_why(engine):
    lost, _ = _overdue_patients(engine, 2)
    for days_ago, outcome in ((6, "no_answer"), (4, "left_message"), (2, "letter_sent")):
        _log(engine, [lost], outcome, days_ago)
    assert _list(engine).loc["O000", "outreach"] == "unreachable"
    with read_session(engine) as session:
        wrong = session.scalars(
            select(FollowUpContact.id).where(FollowUpContact.outcome == "left_message")
        ).one()  # logged for the wrong patient

    with pytest.raises(ValidationFailed) as no_reason:
        run_write(engine, lambda s: void_contact(set_actor(s, "nurse2"), wrong, "   ", "nurse2"))
    assert no_reason.value.errors[0].field == "reason"
    run_write(engine, lambda s: void_contact(set_actor(s, "nurse2"), wrong, " wrong patient ", "nurse2"))

    row = _list(engine).loc["O000"]
    assert (row["outreach"], row["attempts"]) == ("trying", 2)  # two unanswered attempts left: not lost yet
    with read_session(engine) as session:
        shares = cohort_follow_up(session, evaluate_clinic(session, TODAY), [lost])
        kept = session.get(FollowUpContact, wrong)  # never deleted
        (entry,) = session.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "follow_up_contacts", AuditEntry.action == "void")
        ).all()
    assert shares.set_index("time_point").loc["3 months", "lost"] == 0
    assert kept is not None and (kept.voided_by, kept.void_reason) == ("nurse2", "wrong patient")
    after = json.loads(entry.after)
    assert (entry.actor, entry.row_id, entry.patient_id) == ("nurse2", wrong, lost)
    assert (after["voided_by"], after["void_reason"]) == ("nurse2", "wrong patient") and after["voided_at"]
    with pytest.raises(ValidationFailed):  # voided once: a second void is refused, nothing changes
        run_write(engine, lambda s: void_contact(set_actor(s, "nurse2"), wrong, "again", "nurse2"))
    with read_session(engine) as session:
        log = contacts_frame(session, [lost], with_voided=True)
    assert list(log["void_reason"].fillna("")) == ["", "wrong patient", ""]
