"""A clinic tablet handed to a patient for their self-report: the lock on a staff sign-in.

Staff start a self-report for one patient on the browser they are signed in on. From then on that sign-in
is a tablet: every page the browser asks for, by any address or after a reload, shows only the patient's
questionnaire (stage QUESTIONNAIRE), then a thank-you page once it is sent (stage THANKS). Nothing else of
the app is reachable until a staff member types their password on it, which ends this sign-in and starts
their own (the app does that: dashboard/tablet/).

The lock is kept on the sign-in's row (sign_ins.tablet_stage, tablet_patient_id), read by the very check
every script run makes of the browser's cookie (sign_ins.check), never only in a Streamlit session: a
reload, a new tab or a typed address present the same cookie and find the same lock. Which patient it is
comes from that row too, never from the browser. Starting, sending and leaving are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ..audit import record_event
from ..commands import add_visit, get_patient
from ..models import SignIn, Visit, utcnow
from ..validation import FieldError, ValidationFailed

QUESTIONNAIRE = "questionnaire"  # the patient is answering
THANKS = "thanks"  # sent: the thank-you page, still locked
STAGES = (QUESTIONNAIRE, THANKS)
LEFT = "tablet handed back"  # sign_ins.ended_why of a tablet's sign-in once staff took it back

SOURCE = "patient"  # visits.source of a self-report


@dataclass(frozen=True)
class Tablet:
    """A sign-in locked to one patient's self-report."""

    stage: str
    patient_id: int


def tablet_of(stage: str | None, patient_id: int | None) -> Tablet | None:
    """The lock a sign-in row holds. An unknown stage still locks (fail closed): only leave() unlocks."""
    if stage is None:
        return None
    return Tablet(stage if stage in STAGES else THANKS, patient_id if patient_id is not None else 0)


class TabletClosed(ValidationFailed):
    """The self-report cannot be sent: it was sent already, or the tablet was handed back meanwhile."""


def _row(session: Session, sign_in_id: int):
    return session.execute(
        select(SignIn.tablet_stage, SignIn.tablet_patient_id).where(SignIn.id == sign_in_id, SignIn.ended_at.is_(None))
    ).one_or_none()


def start(session: Session, sign_in_id: int, patient_id: int) -> None:
    """Lock this live sign-in to the patient's self-report (audited under the patient)."""
    patient = get_patient(session, patient_id)
    row = _row(session, sign_in_id)
    if row is None:
        raise ValidationFailed([FieldError("sign-in", sign_in_id, "has ended: sign in again")])
    if row.tablet_stage is not None:
        raise ValidationFailed([FieldError("tablet", sign_in_id, "is already handed to a patient")])
    session.execute(
        update(SignIn).where(SignIn.id == sign_in_id).values(tablet_stage=QUESTIONNAIRE, tablet_patient_id=patient.id)
    )
    record_event(session, "self_report_started", {"mrn": patient.mrn}, patient.id)


def submit(session: Session, sign_in_id: int, raw: dict[str, Any], today: date | None = None) -> Visit:
    """Save the patient's answers as a visit with the source "patient", for the patient the lock names, and
    move the tablet to its thank-you page, in one transaction. Sent once: a second send is refused.

    A visit on the same day is allowed: the patient cannot be asked whether it is meant, and their answers
    must not be lost; staff check every self-report and can void a duplicate."""
    row = _row(session, sign_in_id)
    if row is None or row.tablet_stage != QUESTIONNAIRE or row.tablet_patient_id is None:
        raise TabletClosed([FieldError("questionnaire", "", "was sent already or closed by staff")])
    visit = add_visit(session, row.tablet_patient_id, raw, today=today, source=SOURCE, allow_same_day=True)
    done = session.execute(
        update(SignIn).where(SignIn.id == sign_in_id, SignIn.tablet_stage == QUESTIONNAIRE).values(tablet_stage=THANKS)
    )
    if cast("CursorResult[Any]", done).rowcount != 1:  # sent from another tab meanwhile: this one writes nothing
        raise TabletClosed([FieldError("questionnaire", "", "was sent already or closed by staff")])
    return visit


def leave(session: Session, sign_in_id: int) -> int | None:
    """Staff took the tablet back (their password checked by the caller, who is the session's actor): the
    tablet's sign-in ends, so nothing the patient could reach stays open, and the caller starts the staff
    member's own sign-in. Returns the patient whose self-report it was; None when it was not a tablet."""
    row = session.execute(
        select(SignIn.tablet_stage, SignIn.tablet_patient_id).where(SignIn.id == sign_in_id)
    ).one_or_none()
    if row is None or row.tablet_stage is None:
        return None
    session.execute(
        update(SignIn)
        .where(SignIn.id == sign_in_id, SignIn.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_why=LEFT)
    )
    sent = row.tablet_stage == THANKS
    record_event(session, "self_report_handed_back", {"sent": sent}, row.tablet_patient_id)
    return row.tablet_patient_id
