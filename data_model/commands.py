"""Clinical writes, one per user action: validated first, audited by data_model.audit, session first.

This is the write path for clinical rows. Three others exist, each for a stated reason: the CSV import
(exchange/csv_folder/staging.py) and the synthetic seed (sample_data/writer.py) write in bulk, for scale,
and the FHIR import (exchange/fhir/write.py) merges bundles into rows already held. The two imports check
rows with the same validation.check_* functions as these commands; the seed writes generated rows of
known shape. Each of the four leaves an audit trail; each module's docstring says why it stands apart."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import clock, fbss
from .audit import ACTOR_KEY
from .models import Condition, FlagReview, Patient, Setting, Surgery, Treatment, Visit, utcnow
from .queries import load_settings, patient_by_mrn
from .settings import DEFAULT_SETTINGS, Settings, dumps, to_values, validate
from .validation import (
    FieldError,
    PatientIn,
    SurgeryIn,
    TreatmentIn,
    ValidationFailed,
    VisitIn,
    before_birth,
    check_diagnosis_date,
    check_patient,
    check_surgery,
    check_treatment,
    check_visit,
)


class SameDayVisitExists(ValidationFailed):
    """A visit is already recorded for that patient on that day; saving again needs confirmation."""


def _visit_checker(session: Session):
    """check_visit with the clinic's own least number of ODI sections to score (a setting)."""
    min_sections = load_settings(session).odi_min_sections
    return lambda raw, today: check_visit(raw, today, odi_min_sections=min_sections)


def site_today(session: Session, today: date | None = None) -> date:
    """`today` when the caller gives one, else the site's date now (in its time zone, clock.site_today):
    the day a date "in the future" is judged against, as the clinic's wall calendar says."""
    return today if today is not None else clock.site_today(load_settings(session))


def _validated(raw: Any, kind: type, checker, today: date | None):
    if isinstance(raw, kind):
        return raw
    value, errors = checker(raw, today)
    if errors:
        raise ValidationFailed(errors)
    return value


def get_patient(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise ValidationFailed([FieldError("patient", patient_id, "no such patient")])
    return patient


def _born_after(patient: Patient, field: str, day: date | None) -> None:
    errors = before_birth(field, day, patient.birth_year)
    if errors:
        raise ValidationFailed(errors)


def _mrn_taken(mrn: str, owner: str) -> ValidationFailed:
    said = "" if owner == mrn else f" (as {owner}; case does not make an MRN different)"
    return ValidationFailed([FieldError("mrn", mrn, f"already belongs to another patient{said}")])


def register_patient(session: Session, raw: dict[str, Any] | PatientIn, source: str = "form") -> Patient:
    data: PatientIn = _validated(raw, PatientIn, check_patient, site_today(session))
    clash = patient_by_mrn(session, data.mrn)
    if clash is not None:
        raise _mrn_taken(data.mrn, clash.mrn)
    patient = Patient(**asdict(data), source=source)
    session.add(patient)
    try:
        session.flush()
    except IntegrityError:  # registered by someone else between the check and the insert (PostgreSQL)
        raise _mrn_taken(data.mrn, data.mrn) from None
    return patient


def add_surgery(
    session: Session, patient_id: int, raw: dict[str, Any] | SurgeryIn, today: date | None = None, source: str = "form"
) -> Surgery:
    data: SurgeryIn = _validated(raw, SurgeryIn, check_surgery, site_today(session, today))
    _born_after(get_patient(session, patient_id), "surgery_date", data.surgery_date)
    surgery = Surgery(patient_id=patient_id, source=source, **asdict(data))
    session.add(surgery)
    session.flush()
    return surgery


def record_fbss(session: Session, patient_id: int, raw: dict[str, Any], today: date | None = None) -> Condition:
    """Record post-laminectomy syndrome (failed back surgery syndrome) diagnosed on raw['diagnosed_on']: a
    patient without a recorded surgery is then followed past every recovery window (fbss.py). Coded as
    SNOMED CT 202725007, as an imported one would be; the same diagnosis twice on one day is refused."""
    when, errors = check_diagnosis_date(raw, site_today(session, today))
    if errors:
        raise ValidationFailed(errors)
    assert when is not None  # required: None only with an error recorded
    _born_after(get_patient(session, patient_id), "diagnosed_on", when)
    same = select(func.count(Condition.id)).where(
        Condition.patient_id == patient_id,
        Condition.code_system == fbss.SNOMED,
        Condition.code == fbss.SNOMED_CODE,
        Condition.onset_date == when,
    )
    if session.execute(same).scalar_one():
        raise ValidationFailed(
            [FieldError("diagnosed_on", when.isoformat(), "is already recorded as the date of this diagnosis")]
        )
    condition = Condition(
        patient_id=patient_id,
        code_system=fbss.SNOMED,
        code=fbss.SNOMED_CODE,
        display=fbss.DISPLAY,
        onset_date=when,
        source="form",
    )
    session.add(condition)
    session.flush()
    return condition


def visits_on(session: Session, patient_id: int, visit_date: date) -> int:
    return session.execute(
        select(func.count(Visit.id)).where(
            Visit.patient_id == patient_id, Visit.visit_date == visit_date, Visit.voided_at.is_(None)
        )
    ).scalar_one()


def add_visit(
    session: Session,
    patient_id: int,
    raw: dict[str, Any] | VisitIn,
    today: date | None = None,
    allow_same_day: bool = False,
    source: str = "form",
    actor: str | None = None,
) -> Visit:
    """Record one visit; a second visit on the same day is refused unless allow_same_day.

    raw may carry the ODI's section scores (odi.column(key): 0–5, blank when not answered): they are stored,
    and the ODI total is computed from them (a total typed beside them must agree, else it is refused).
    source says who gave the values: "form" (staff), "patient" (a self-report), an import.
    created_by is the session's actor (audit.set_actor), the one the audit trail names; `actor` is only
    for a caller that writes as someone else than the session's actor."""
    data: VisitIn = _validated(raw, VisitIn, _visit_checker(session), site_today(session, today))
    _born_after(get_patient(session, patient_id), "visit_date", data.visit_date)
    if not allow_same_day and visits_on(session, patient_id, data.visit_date):
        raise SameDayVisitExists(
            [
                FieldError(
                    "visit_date",
                    data.visit_date.isoformat(),
                    "is a day this patient already has a visit on — open that visit to change it",
                )
            ]
        )
    values = asdict(data)
    visit = Visit(
        patient_id=patient_id,
        source=source,
        created_by=actor if actor is not None else session.info.get(ACTOR_KEY),
        mme_source="entered" if data.mme_per_day is not None else None,
        **values,
    )
    session.add(visit)
    session.flush()
    return visit


def add_treatment(
    session: Session,
    patient_id: int,
    raw: dict[str, Any] | TreatmentIn,
    today: date | None = None,
    source: str = "form",
) -> Treatment:
    data: TreatmentIn = _validated(raw, TreatmentIn, check_treatment, site_today(session, today))
    _born_after(get_patient(session, patient_id), "start_date", data.start_date)
    treatment = Treatment(patient_id=patient_id, source=source, **asdict(data))
    session.add(treatment)
    session.flush()
    return treatment


def void_visit(session: Session, visit_id: int, reason: str) -> Visit:
    """Mark a visit entered in error; it stays in the database and the audit trail (never deleted)."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise ValidationFailed([FieldError("visit", visit_id, "no such visit")])
    if not reason.strip():
        raise ValidationFailed([FieldError("reason", reason, "is required: say why the visit is voided")])
    visit.voided_at = utcnow()
    visit.notes = f"{visit.notes or ''}\n[voided: {reason.strip()}]".strip()
    session.flush()
    return visit


def review_flags(
    session: Session,
    patient_id: int,
    flags: list[str],
    note: str | None,
    reviewer: str,
    recheck_on: date | None = None,
    today: date | None = None,
) -> FlagReview:
    """A clinician acknowledges a patient's current flags, saying what was decided (the note is required).
    The review holds until newer data arrives, a flag it did not see appears, or the re-check date comes."""
    get_patient(session, patient_id)
    text = (note or "").strip()
    errors = []
    if not text:
        errors.append(FieldError("note", note or "", "is required: say what was decided for this patient"))
    elif len(text) > 4000:
        errors.append(FieldError("note", text[:40] + "…", "is longer than 4000 characters"))
    today = site_today(session, today)
    if recheck_on is not None and recheck_on <= today:
        errors.append(FieldError("recheck_on", recheck_on.isoformat(), "must be a day after today"))
    if errors:
        raise ValidationFailed(errors)
    review = FlagReview(
        patient_id=patient_id, flags=";".join(flags), note=text, reviewed_by=reviewer, recheck_on=recheck_on
    )
    session.add(review)
    session.flush()
    return review


def undo_review(session: Session, review_id: int, actor: str) -> FlagReview:
    """Take a review back: it no longer holds (the row stays; the audit trail records the undo)."""
    review = session.get(FlagReview, review_id)
    if review is None or review.undone_at is not None:
        raise ValidationFailed([FieldError("review", review_id, "no such review, or it was already undone")])
    review.undone_at, review.undone_by = utcnow(), actor
    session.flush()
    return review


def save_settings(session: Session, new: Settings) -> Settings:
    """Store the clinic's settings: a row for each value a clinic ever changed, none for the others.

    A setting put back to its default keeps its row, now holding the default: the audit trail then records
    the restore as a change (old value → default), which is what the clinic did, not as a deletion."""
    validate(new)
    values, defaults = to_values(new), to_values(DEFAULT_SETTINGS)
    for key, value in values.items():
        row = session.get(Setting, key)
        if row is None and value == defaults[key]:
            continue
        if row is None:
            session.add(Setting(key=key, value=dumps(value), updated_by=session.info.get(ACTOR_KEY)))
        elif row.value != dumps(value):
            row.value, row.updated_at, row.updated_by = dumps(value), utcnow(), session.info.get(ACTOR_KEY)
    session.flush()
    return new


def correct_visit(session: Session, visit_id: int, raw: dict[str, Any] | VisitIn, today: date | None = None) -> Visit:
    """Replace a visit's values with corrected ones (the ODI's section scores with them); the audit trail
    keeps the values before, a patient's own answers included."""
    data: VisitIn = _validated(raw, VisitIn, _visit_checker(session), site_today(session, today))
    visit = session.get(Visit, visit_id)
    if visit is None or visit.voided_at is not None:
        raise ValidationFailed([FieldError("visit", visit_id, "no such visit, or it was voided")])
    _born_after(get_patient(session, visit.patient_id), "visit_date", data.visit_date)
    for name, value in asdict(data).items():
        setattr(visit, name, value)
    if data.mme_per_day is not None and visit.mme_source is None:
        visit.mme_source = "entered"
    session.flush()
    return visit
