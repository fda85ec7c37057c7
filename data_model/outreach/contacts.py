"""The contact log's write paths (validated, audited; logging is one transaction for any number of time points,
voiding takes back one attempt logged in error) and its reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..commands import site_today
from ..models import FollowUpContact, Surgery, utcnow
from ..validation import MAX_NOTE_LENGTH, FieldError, Fields, ValidationFailed
from .states import OUTCOMES

CONTACT_COLUMNS = [
    "contact_id",
    "patient_id",
    "surgery_date",
    "weeks",
    "time_point",
    "outcome",
    "contacted_on",
    "note",
    "next_attempt_on",
    "recorded_by",
    "recorded_at",
    "voided_at",  # NaT for an attempt that stands
    "voided_by",
    "void_reason",
]
# A next attempt further off than this is a typo (2062 for 2026), not a plan.
NEXT_ATTEMPT_HORIZON = timedelta(days=366)


@dataclass(frozen=True)
class TimePoint:
    """One follow-up time point of one patient: weeks after the index surgery its schedule counts from."""

    patient_id: int
    surgery_date: date
    weeks: int
    label: str  # the schedule's label ('3 months')


@dataclass(frozen=True)
class ContactIn:
    outcome: str
    contacted_on: date
    note: str | None
    next_attempt_on: date | None


def check_contact(raw: dict[str, Any], today: date) -> ContactIn:
    """The form's values (outcome code, contacted_on, note, next_attempt_on; dates as YYYY-MM-DD or dates)
    judged field by field against the site's today; ValidationFailed names every refused one."""
    fields_ = Fields(raw, today)
    outcome = raw.get("outcome")
    if outcome is None or outcome == "":
        fields_.error("outcome", "is required: choose how the attempt went")
    elif outcome not in OUTCOMES:
        fields_.error("outcome", f"must be one of: {', '.join(OUTCOMES.values())}")
        outcome = None
    contacted_on = fields_.date("contacted_on", required=True)
    note = fields_.text("note", max_length=MAX_NOTE_LENGTH)
    # the next attempt is a plan: a day in the future is the point (judged against a far horizon)
    later = Fields(raw, today + NEXT_ATTEMPT_HORIZON)
    next_on = later.date("next_attempt_on")
    fields_.errors += [
        FieldError(e.field, e.value, f"is more than a year ahead (today is {today.isoformat()})")
        if e.message.startswith("is in the future")
        else e
        for e in later.errors
    ]
    if next_on is not None and contacted_on is not None and next_on < contacted_on:
        fields_.error("next_attempt_on", f"is before the contact ({contacted_on.isoformat()})")
    if fields_.errors:
        raise ValidationFailed(fields_.errors)
    assert outcome is not None and contacted_on is not None  # refused above otherwise
    return ContactIn(outcome, contacted_on, note, next_on)


def log_contacts(
    session: Session, time_points: list[TimePoint], raw: dict[str, Any], actor: str, today: date | None = None
) -> list[FollowUpContact]:
    """One attempt per time point, all or none (the caller's transaction), each audited as an insert.

    A time point must be one of the patient's: a surgery on that day (not voided)."""
    contact = check_contact(raw, site_today(session, today))
    if not time_points:
        raise ValidationFailed([FieldError("follow_up", "", "choose at least one follow-up to log the attempt for")])
    known = _surgery_days(session, {t.patient_id for t in time_points})
    errors = [
        FieldError("follow_up", t.label, "is not a follow-up of this patient's surgery")
        for t in time_points
        if t.surgery_date not in known.get(t.patient_id, set())
    ]
    if contact.contacted_on is not None:
        errors += [
            FieldError("contacted_on", contact.contacted_on.isoformat(), f"is before the surgery ({t.surgery_date})")
            for t in time_points
            if contact.contacted_on < t.surgery_date
        ][:1]
    if errors:
        raise ValidationFailed(errors)
    rows = [
        FollowUpContact(
            patient_id=t.patient_id,
            surgery_date=t.surgery_date,
            weeks=t.weeks,
            time_point=t.label,
            outcome=contact.outcome,
            contacted_on=contact.contacted_on,
            note=contact.note,
            next_attempt_on=contact.next_attempt_on,
            recorded_by=actor,
        )
        for t in time_points
    ]
    session.add_all(rows)
    session.flush()
    return rows


def void_contact(session: Session, contact_id: int, reason: str, actor: str) -> FollowUpContact:
    """Take back one attempt logged in error (wrong patient, wrong outcome): the row stays, marked voided with
    who and why, and the audit trail records the void; the time point's state is then made without it."""
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed([FieldError("reason", "", "is required: say why the attempt is voided")])
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationFailed([FieldError("reason", text, f"is longer than {MAX_NOTE_LENGTH:,} characters")])
    contact = session.get(FollowUpContact, contact_id)
    if contact is None or contact.voided_at is not None:
        raise ValidationFailed([FieldError("attempt", "", "was voided already, or is no longer in the log")])
    contact.voided_at, contact.voided_by, contact.void_reason = utcnow(), actor, text
    session.flush()
    return contact


def _surgery_days(session: Session, patient_ids: set[int]) -> dict[int, set[date]]:
    stmt = select(Surgery.patient_id, Surgery.surgery_date).where(
        Surgery.patient_id.in_(patient_ids), Surgery.voided_at.is_(None)
    )
    days: dict[int, set[date]] = {}
    for patient_id, day in session.execute(stmt):
        days.setdefault(int(patient_id), set()).add(day)
    return days


def contacts_frame(session: Session, patient_ids: list[int] | None = None, with_voided: bool = False) -> pd.DataFrame:
    """Every logged attempt (of these patients), CONTACT_COLUMNS, oldest first; dates as Timestamps.

    Voided attempts are left out (they count for nothing) unless with_voided: the log as staff read it."""
    stmt = select(
        FollowUpContact.id.label("contact_id"),
        FollowUpContact.patient_id,
        FollowUpContact.surgery_date,
        FollowUpContact.weeks,
        FollowUpContact.time_point,
        FollowUpContact.outcome,
        FollowUpContact.contacted_on,
        FollowUpContact.note,
        FollowUpContact.next_attempt_on,
        FollowUpContact.recorded_by,
        FollowUpContact.recorded_at,
        FollowUpContact.voided_at,
        FollowUpContact.voided_by,
        FollowUpContact.void_reason,
    ).order_by(FollowUpContact.contacted_on, FollowUpContact.id)
    if not with_voided:
        stmt = stmt.where(FollowUpContact.voided_at.is_(None))
    if patient_ids is not None:
        stmt = stmt.where(FollowUpContact.patient_id.in_(patient_ids))
    frame = pd.DataFrame(session.execute(stmt).all(), columns=CONTACT_COLUMNS)
    for column in ("surgery_date", "contacted_on", "next_attempt_on"):
        frame[column] = pd.to_datetime(frame[column])
    frame["weeks"] = frame["weeks"].astype("int64")
    return frame
