"""Reads: Select builders and functions returning DataFrames shaped for the rules and the pages."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Select, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from . import bulk_read, changes, fbss, odi
from .db import driver_connection
from .import_runs import VISIBLE_SQL
from .models import AuditEntry, Condition, FlagReview, Patient, Setting, Surgery, Treatment, User, Visit
from .settings import Settings, from_values

SURGERY_COLUMNS = [
    "patient_id",
    "surgery_id",
    "surgery_date",
    "procedure",
    "spinal_levels",
    "surgeon",
    "notes",
    "source_code",
]
VISIT_COLUMNS = [
    "patient_id",
    "visit_id",
    "visit_date",
    "back_pain",
    "leg_pain",
    "pain_unspecified",
    "odi",
    "numbness",
    "tingling",
    "weakness",
    "mme_per_day",
]
TREATMENT_COLUMNS = ["patient_id", "treatment_id", "code", "start_date", "end_date"]


def _frame(
    session: Session, stmt: Select, columns: list[str], dates: list[str], floats: tuple[str, ...] = ()
) -> pd.DataFrame:
    rows = session.execute(stmt).all()
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in dates:
        frame[column] = pd.to_datetime(frame[column])
    # A column that is NULL on every row would otherwise arrive as object, not float.
    for column in floats:
        frame[column] = frame[column].astype("float64")
    return frame


def _bool_as_float(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    # Nerve symptoms: 1/0/NaN floats so the rules can compare them vectorised.
    for column in columns:
        frame[column] = pd.to_numeric(frame[column].map({True: 1.0, False: 0.0}), errors="coerce")
    return frame


def surgeries_stmt(patient_ids: list[int] | None = None, as_of: date | None = None) -> Select:
    stmt = select(
        Surgery.patient_id,
        Surgery.id,
        Surgery.surgery_date,
        Surgery.procedure,
        Surgery.spinal_levels,
        Surgery.surgeon,
        Surgery.notes,
        Surgery.source_code,
    ).where(Surgery.voided_at.is_(None))
    if patient_ids is not None:
        stmt = stmt.where(Surgery.patient_id.in_(patient_ids))
    if as_of is not None:
        stmt = stmt.where(Surgery.surgery_date <= as_of)
    return stmt.order_by(Surgery.patient_id, Surgery.surgery_date, Surgery.id)


def visits_stmt(patient_ids: list[int] | None = None, as_of: date | None = None) -> Select:
    stmt = select(
        Visit.patient_id,
        Visit.id,
        Visit.visit_date,
        Visit.back_pain,
        Visit.leg_pain,
        Visit.pain_unspecified,
        Visit.odi,
        Visit.numbness,
        Visit.tingling,
        Visit.weakness,
        Visit.mme_per_day,
    ).where(Visit.voided_at.is_(None))
    if patient_ids is not None:
        stmt = stmt.where(Visit.patient_id.in_(patient_ids))
    if as_of is not None:
        stmt = stmt.where(Visit.visit_date <= as_of)
    return stmt.order_by(Visit.patient_id, Visit.visit_date, Visit.id)


def treatments_stmt(patient_ids: list[int] | None = None, as_of: date | None = None) -> Select:
    stmt = select(Treatment.patient_id, Treatment.id, Treatment.code, Treatment.start_date, Treatment.end_date).where(
        Treatment.voided_at.is_(None)
    )
    if patient_ids is not None:
        stmt = stmt.where(Treatment.patient_id.in_(patient_ids))
    if as_of is not None:
        stmt = stmt.where(Treatment.start_date <= as_of)
    return stmt.order_by(Treatment.patient_id, Treatment.start_date, Treatment.id)


def _fast_frame(
    session: Session, table: bulk_read.Table, columns: list[str], patient_ids: list[int] | None, as_of: date | None
) -> pd.DataFrame | None:
    """The frame from data_model.bulk_read (SQLite, PostgreSQL/psycopg), or None for another driver.

    Same columns, dtypes, values and row order as the ORM path (tests/integration/test_bulk_read.py)."""
    conn = session.connection()
    arrays = bulk_read.read(conn, table, patient_ids, as_of)
    if arrays is None:
        return None
    return _from_arrays(arrays, table, columns)


def _from_arrays(arrays: bulk_read.Arrays, table: bulk_read.Table, columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: arrays[c] for c in columns}, copy=False)
    if frame.empty:
        # the ORM path's empty frame: ids carry no type (object), as pandas infers from no rows
        for c in columns:
            if bulk_read.TABLES[table.name].column(c).kind == "id":
                frame[c] = frame[c].astype(object)
    return frame


def clinic_frames(
    session: Session, patient_ids: list[int] | None = None, as_of: date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(surgeries, visits, treatments) of the whole clinic or of many patients: read by the columnar
    reader (bulk_read.columnar) where it can, else table by table as surgeries_frame and the others do."""
    if patient_ids is None or len(set(patient_ids)) > bulk_read.SMALL_PATIENT_SET:
        from .bulk_read import columnar

        ids = None if patient_ids is None else sorted({int(p) for p in patient_ids})
        tables = columnar.read_tables(session.connection(), as_of, ids)
        if tables is not None:
            return (
                _from_arrays(tables["surgeries"], bulk_read.SURGERIES, SURGERY_COLUMNS),
                _from_arrays(tables["visits"], bulk_read.VISITS, VISIT_COLUMNS),
                _from_arrays(tables["treatments"], bulk_read.TREATMENTS, TREATMENT_COLUMNS),
            )
    return (
        surgeries_frame(session, patient_ids, as_of),
        visits_frame(session, patient_ids, as_of),
        treatments_frame(session, patient_ids, as_of),
    )


def surgeries_frame(session: Session, patient_ids: list[int] | None = None, as_of: date | None = None) -> pd.DataFrame:
    fast = _fast_frame(session, bulk_read.SURGERIES, SURGERY_COLUMNS, patient_ids, as_of)
    if fast is not None:
        return fast
    return _frame(session, surgeries_stmt(patient_ids, as_of), SURGERY_COLUMNS, ["surgery_date"])


def visits_frame(session: Session, patient_ids: list[int] | None = None, as_of: date | None = None) -> pd.DataFrame:
    fast = _fast_frame(session, bulk_read.VISITS, VISIT_COLUMNS, patient_ids, as_of)
    if fast is not None:
        return fast
    frame = _frame(
        session,
        visits_stmt(patient_ids, as_of),
        VISIT_COLUMNS,
        ["visit_date"],
        ("back_pain", "leg_pain", "pain_unspecified", "odi", "mme_per_day"),
    )
    return _bool_as_float(frame, ("numbness", "tingling", "weakness"))


def treatments_frame(session: Session, patient_ids: list[int] | None = None, as_of: date | None = None) -> pd.DataFrame:
    fast = _fast_frame(session, bulk_read.TREATMENTS, TREATMENT_COLUMNS, patient_ids, as_of)
    if fast is not None:
        return fast
    return _frame(session, treatments_stmt(patient_ids, as_of), TREATMENT_COLUMNS, ["start_date", "end_date"])


def orm_frames(
    session: Session, patient_ids: list[int] | None = None, as_of: date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(surgeries, visits, treatments) through the ORM alone: the reference the fast reads are tested against."""
    surgeries = _frame(session, surgeries_stmt(patient_ids, as_of), SURGERY_COLUMNS, ["surgery_date"])
    visits = _bool_as_float(
        _frame(
            session,
            visits_stmt(patient_ids, as_of),
            VISIT_COLUMNS,
            ["visit_date"],
            ("back_pain", "leg_pain", "pain_unspecified", "odi", "mme_per_day"),
        ),
        ("numbness", "tingling", "weakness"),
    )
    treatments = _frame(session, treatments_stmt(patient_ids, as_of), TREATMENT_COLUMNS, ["start_date", "end_date"])
    return surgeries, visits, treatments


def patients_frame(session: Session, patient_ids: list[int] | None = None) -> pd.DataFrame:
    stmt = select(
        Patient.id, Patient.mrn, Patient.display_name, Patient.birth_year, Patient.sex, Patient.data_changed_at
    )
    if patient_ids is not None:
        stmt = stmt.where(Patient.id.in_(patient_ids))
    return _frame(
        session,
        stmt.order_by(Patient.id),
        ["patient_id", "mrn", "display_name", "birth_year", "sex", "data_changed_at"],
        [],
    )


def rows_dated_between(session: Session, after: date, until: date) -> bool:
    """Whether any current surgery, visit or treatment is dated after `after` and on or before `until`."""
    for model, column in (
        (Surgery, Surgery.surgery_date),
        (Visit, Visit.visit_date),
        (Treatment, Treatment.start_date),
    ):
        stmt = select(model.id).where(column > after, column <= until, model.voided_at.is_(None)).limit(1)
        if session.scalar(stmt) is not None:
            return True
    # a diagnosis can bring a patient without a surgery into the rules (fbss.py)
    dated = select(Condition.id).where(Condition.onset_date > after, Condition.onset_date <= until).limit(1)
    return session.scalar(dated) is not None


def patient_names(session: Session) -> pd.DataFrame:
    """patient_id, mrn, display_name, birth_year of everyone: what the worklist shows beside the flags
    (the birth year tells patients of one name apart). Plain rows
    from the driver (no ORM types to convert): a fifth of patients_frame's time for 100,000 patients."""
    cursor = driver_connection(session.connection().connection).cursor()
    try:
        cursor.execute(f"SELECT id, mrn, display_name, birth_year FROM patients WHERE {VISIBLE_SQL} ORDER BY id")
        rows = cursor.fetchall()
        ids, mrns, names, years = zip(*rows, strict=True) if rows else ((), (), (), ())
    finally:
        cursor.close()
    return pd.DataFrame(
        {
            "patient_id": np.array(ids, dtype="int64"),
            "mrn": np.array(mrns, dtype=object),
            "display_name": np.array(names, dtype=object),
            "birth_year": np.array(years, dtype=object),
        }
    )


@dataclass(frozen=True)
class PatientSearch:
    """The patients a search shows (at most its limit, the best matches first) and how many match in all."""

    shown: pd.DataFrame  # patient_id, mrn, display_name, birth_year, sex
    total: int

    @property
    def cut(self) -> bool:
        return self.total > len(self.shown)


PATIENT_SEARCH_COLUMNS = ["patient_id", "mrn", "display_name", "birth_year", "sex"]


def _literal(text: str) -> str:
    """text for a LIKE pattern with escape "\\": its own % and _ match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_patients(session: Session, text: str, limit: int = 20) -> PatientSearch:
    """Patients whose MRN contains the text ("123" finds MRN001234), or whose name holds every word of it
    in any order ("Oakhollow, Dora" finds Dora Oakhollow); case does not matter. The exact MRN comes
    first, then MRNs starting with the text, then the rest by MRN."""
    needle = (text or "").strip().lower()
    if not needle:
        return PatientSearch(pd.DataFrame(columns=PATIENT_SEARCH_COLUMNS), 0)
    words = [w for w in re.split(r"[\s,]+", needle) if w]
    mrn, name = func.lower(Patient.mrn), func.lower(Patient.display_name)
    every_word = and_(*(name.like(f"%{_literal(w)}%", escape="\\") for w in words)) if words else false()
    matches = or_(mrn.like(f"%{_literal(needle)}%", escape="\\"), every_word)
    total = session.scalar(select(func.count(Patient.id)).where(matches))
    best_first = case((mrn == needle, 0), (mrn.like(f"{_literal(needle)}%", escape="\\"), 1), else_=2)
    stmt = (
        select(Patient.id, Patient.mrn, Patient.display_name, Patient.birth_year, Patient.sex)
        .where(matches)
        .order_by(best_first, Patient.mrn)
        .limit(limit)
    )
    return PatientSearch(_frame(session, stmt, PATIENT_SEARCH_COLUMNS, []), int(total or 0))


def patient_by_mrn(session: Session, mrn: str) -> Patient | None:
    """The patient holding this MRN, whatever its case and surrounding spaces (unique so: migration 0003)."""
    return session.scalar(select(Patient).where(func.lower(Patient.mrn) == mrn.strip().lower()))


def visits_table(session: Session, patient_id: int) -> pd.DataFrame:
    """One patient's visits as the visits table shows them, newest first, voided ones marked."""
    stmt = (
        select(
            Visit.id,
            Visit.visit_date,
            Visit.back_pain,
            Visit.leg_pain,
            Visit.pain_unspecified,
            Visit.pain_instrument,
            Visit.odi,
            Visit.numbness,
            Visit.tingling,
            Visit.weakness,
            Visit.mme_per_day,
            Visit.notes,
            Visit.source,
            Visit.created_by,
            Visit.voided_at,
            Visit.odi_source,
            *(getattr(Visit, column) for column in odi.COLUMNS),
        )
        .where(Visit.patient_id == patient_id)
        .order_by(Visit.visit_date.desc(), Visit.id.desc())
    )
    columns = [
        "visit_id",
        "visit_date",
        "back_pain",
        "leg_pain",
        "pain_unspecified",
        "instrument",
        "odi",
        "numbness",
        "tingling",
        "weakness",
        "mme_per_day",
        "notes",
        "source",
        "entered_by",
        "voided_at",
        "odi_source",  # odi.FROM_SECTIONS or odi.ENTERED_TOTAL
        *odi.COLUMNS,  # the ODI's section scores, 0–5, None when not answered
    ]
    return _frame(session, stmt, columns, [])


def treatments_table(session: Session, patient_id: int) -> pd.DataFrame:
    stmt = (
        select(
            Treatment.id,
            Treatment.code,
            Treatment.start_date,
            Treatment.end_date,
            Treatment.drug,
            Treatment.mme_per_day,
            Treatment.notes,
            Treatment.source,
        )
        .where(Treatment.patient_id == patient_id, Treatment.voided_at.is_(None))
        .order_by(Treatment.start_date, Treatment.id)
    )
    columns = ["treatment_id", "code", "start_date", "end_date", "drug", "mme_per_day", "notes", "source"]
    return _frame(session, stmt, columns, [])


def conditions_table(session: Session, patient_id: int) -> pd.DataFrame:
    stmt = (
        select(Condition.code_system, Condition.code, Condition.display, Condition.onset_date)
        .where(Condition.patient_id == patient_id)
        .order_by(Condition.onset_date)
    )
    return _frame(session, stmt, ["system", "code", "display", "onset_date"], [])


def fbss_diagnoses_frame(
    session: Session, patient_ids: list[int] | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Patients with post-laminectomy syndrome (fbss.diagnoses_of): patient_id, diagnosed_on. Only the
    conditions whose code could mean it are read (SNOMED CT, ICD-10, ICD-11; fbss.is_fbss decides)."""
    stmt = select(
        Condition.patient_id, Condition.code_system, Condition.code, Condition.display, Condition.onset_date
    ).where(
        or_(
            Condition.code == fbss.SNOMED_CODE,
            Condition.code.like("M96.1%"),
            Condition.code.like("M961%"),
            Condition.code.like("MG30.21%"),
            Condition.code.like("MG3021%"),
        )
    )
    if patient_ids is not None:
        stmt = stmt.where(Condition.patient_id.in_(patient_ids))
    frame = _frame(session, stmt, ["patient_id", "system", "code", "display", "onset_date"], [])
    return fbss.diagnoses_of(frame, None if as_of is None else pd.Timestamp(as_of))


def surgeons(session: Session) -> list[str]:
    stmt = select(Surgery.surgeon).where(Surgery.surgeon.is_not(None)).distinct().order_by(Surgery.surgeon)
    return list(session.scalars(stmt))


def reviews_frame(session: Session) -> pd.DataFrame:
    """The latest review per patient that was not undone, with the patient's last data change for comparison."""
    latest = (
        select(FlagReview.patient_id, func.max(FlagReview.id).label("review_id"))
        .where(FlagReview.undone_at.is_(None))
        .group_by(FlagReview.patient_id)
        .subquery()
    )
    stmt = (
        select(
            FlagReview.patient_id,
            FlagReview.id,
            FlagReview.flags,
            FlagReview.note,
            FlagReview.reviewed_by,
            FlagReview.reviewed_at,
            FlagReview.recheck_on,
            Patient.data_changed_at,
        )
        .join(latest, latest.c.review_id == FlagReview.id)
        .join(Patient, Patient.id == FlagReview.patient_id)
    )
    return _frame(
        session,
        stmt,
        [
            "patient_id",
            "review_id",
            "reviewed_flags",
            "review_note",
            "reviewed_by",
            "reviewed_at",
            "recheck_on",
            "data_changed_at",
        ],
        [],
    )


def latest_review(session: Session, patient_id: int) -> dict | None:
    """The patient's most recent review that was not undone, and whether newer data has arrived since."""
    row = session.execute(
        select(
            FlagReview.id,
            FlagReview.flags,
            FlagReview.note,
            FlagReview.reviewed_by,
            FlagReview.reviewed_at,
            FlagReview.recheck_on,
            Patient.data_changed_at,
        )
        .join(Patient, Patient.id == FlagReview.patient_id)
        .where(FlagReview.patient_id == patient_id, FlagReview.undone_at.is_(None))
        .order_by(FlagReview.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {
        "review_id": row.id,
        "flags": row.flags.split(";") if row.flags else [],
        "note": row.note,
        "reviewed_by": row.reviewed_by,
        "reviewed_at": row.reviewed_at,
        "recheck_on": row.recheck_on,
        "newer_data": row.data_changed_at > row.reviewed_at,
    }


def data_version(session: Session) -> changes.Version:
    """Changes with every audited write (changes.py): the cache key for everything derived from data."""
    return changes.current(session).version


def load_settings(session: Session) -> Settings:
    rows = session.execute(select(Setting.key, Setting.value)).all()
    return from_values({key: json.loads(value) for key, value in rows})


def patient_count(session: Session, real_only: bool = False) -> int:
    """Patients in the database; real_only counts those not written by the synthetic seed."""
    stmt = select(func.count(Patient.id))
    if real_only:
        stmt = stmt.where(Patient.source != "seed")
    return int(session.scalar(stmt) or 0)


def usernames(session: Session) -> list[str]:
    return list(session.scalars(select(User.username)))


def users_frame(session: Session) -> pd.DataFrame:
    """The accounts, each with its last sign-in (the newest 'login' event in the audit trail: walked from the
    newest entry back, and never further back than the account's creation, so a long trail stays quick)."""
    last_sign_in = (
        select(AuditEntry.at)
        .where(AuditEntry.action == "login", AuditEntry.actor == User.username, AuditEntry.at >= User.created_at)
        .order_by(AuditEntry.at.desc())
        .limit(1)
        .scalar_subquery()
    )
    stmt = select(
        User.username,
        User.display_name,
        User.role,
        User.active,
        User.locked_until,
        User.created_at,
        last_sign_in.label("last_sign_in"),
    )
    return _frame(
        session,
        stmt.order_by(User.username),
        ["username", "display_name", "role", "active", "locked_until", "created_at", "last_sign_in"],
        [],
    )


def audit_frame(
    session: Session,
    actor: str | None = None,
    table: str | None = None,
    patient_id: int | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    stmt = select(
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.actor,
        AuditEntry.action,
        AuditEntry.table_name,
        AuditEntry.row_id,
        AuditEntry.patient_id,
        AuditEntry.before,
        AuditEntry.after,
        AuditEntry.detail,
        Patient.mrn,
        Patient.display_name,
    ).outerjoin(Patient, Patient.id == AuditEntry.patient_id)  # who the entry is about, by MRN and name
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if table:
        stmt = stmt.where(AuditEntry.table_name == table)
    if patient_id is not None:
        stmt = stmt.where(AuditEntry.patient_id == patient_id)
    stmt = stmt.order_by(AuditEntry.id.desc()).limit(limit)
    columns = [
        "id",
        "at",
        "actor",
        "action",
        "table",
        "row_id",
        "patient_id",
        "before",
        "after",
        "detail",
        "mrn",
        "patient_name",
    ]
    return _frame(session, stmt, columns, [])
