"""The SQL schema: typed SQLAlchemy 2 models for patients, surgeries, visits, treatments, users, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    FetchedValue,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# A naming convention keeps constraint names identical on SQLite and PostgreSQL, which Alembic
# needs to alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC that always reads back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every model here is mapped to a Table (DeclarativeBase types it as any FromClause).
    __table__: ClassVar[Table]


def _staged_index(table: str) -> Index:
    """The rows an import has written so far, found fast when a failed one is cleared away; rows
    entered otherwise (import_id NULL) stay out of the index."""
    staged = text("import_id IS NOT NULL")
    return Index(f"ix_{table}_import", "import_id", sqlite_where=staged, postgresql_where=staged)


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(16), default="unknown")
    source: Mapped[str] = mapped_column(String(16), default="form")
    source_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Bumped on every clinical write for this patient: a flag review holds until data is newer.
    data_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The import that wrote the row (import_runs.py): hidden from every reader until it is done.
    import_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_patients_display_name", "display_name"),
        # One patient per MRN whatever its case ("mrn900001" is MRN900001); values are stored trimmed.
        Index("uq_patients_mrn_lower", text("lower(mrn)"), unique=True),
        _staged_index("patients"),
    )


class Surgery(Base):
    __tablename__ = "surgeries"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    surgery_date: Mapped[date] = mapped_column(Date)
    procedure: Mapped[str] = mapped_column(String(32))
    spinal_levels: Mapped[str | None] = mapped_column(String(64))
    surgeon: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str | None] = mapped_column(Text)
    # What the source called it (a SNOMED display, a free-text procedure), when mapped to `other`.
    source_code: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), default="form")
    source_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    import_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_surgeries_patient_date", "patient_id", "surgery_date"),
        Index("ix_surgeries_surgeon", "surgeon"),
        _staged_index("surgeries"),
    )


class Visit(Base):
    """One visit's measurements. Pain is stored on the 0-10 NRS with the instrument it came from."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    visit_date: Mapped[date] = mapped_column(Date)
    back_pain: Mapped[float | None] = mapped_column(Float)
    leg_pain: Mapped[float | None] = mapped_column(Float)
    # Pain severity with no body site (e.g. LOINC 72514-3 from an EHR): counts as current pain.
    pain_unspecified: Mapped[float | None] = mapped_column(Float)
    pain_instrument: Mapped[str] = mapped_column(String(16), default="NRS")
    odi: Mapped[float | None] = mapped_column(Float)
    # How the ODI total came about (odi.FROM_SECTIONS: computed from the section scores below;
    # odi.ENTERED_TOTAL: entered or imported as a total alone), 0007
    odi_source: Mapped[str | None] = mapped_column(String(16))
    # The ODI's ten section scores (0–5 each, None: not answered), in odi.SECTIONS order, 0007
    odi_pain_intensity: Mapped[int | None] = mapped_column(SmallInteger)
    odi_personal_care: Mapped[int | None] = mapped_column(SmallInteger)
    odi_lifting: Mapped[int | None] = mapped_column(SmallInteger)
    odi_walking: Mapped[int | None] = mapped_column(SmallInteger)
    odi_sitting: Mapped[int | None] = mapped_column(SmallInteger)
    odi_standing: Mapped[int | None] = mapped_column(SmallInteger)
    odi_sleeping: Mapped[int | None] = mapped_column(SmallInteger)
    odi_sex_life: Mapped[int | None] = mapped_column(SmallInteger)
    odi_social_life: Mapped[int | None] = mapped_column(SmallInteger)
    odi_travelling: Mapped[int | None] = mapped_column(SmallInteger)
    numbness: Mapped[bool | None] = mapped_column(Boolean)
    tingling: Mapped[bool | None] = mapped_column(Boolean)
    weakness: Mapped[bool | None] = mapped_column(Boolean)
    mme_per_day: Mapped[float | None] = mapped_column(Float)
    mme_source: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="form")
    source_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    import_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_visits_patient_date", "patient_id", "visit_date"), _staged_index("visits"))


class Treatment(Base):
    __tablename__ = "treatments"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(48))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    # Medication detail when known (e.g. an imported RxNorm opioid prescription).
    drug: Mapped[str | None] = mapped_column(String(200))
    mme_per_day: Mapped[float | None] = mapped_column(Float)
    mme_source: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="form")
    source_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    import_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_treatments_patient_start", "patient_id", "start_date"), _staged_index("treatments"))


class Condition(Base):
    """Diagnoses worth showing beside the trajectory (FBSS / post-laminectomy syndrome, low back pain)."""

    __tablename__ = "conditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    code_system: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32))
    display: Mapped[str] = mapped_column(String(200))
    onset_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16), default="fhir")
    source_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_conditions_patient", "patient_id"),)


class FlagReview(Base):
    """A clinician's acknowledgement of a patient's flags; holds until newer data arrives, a flag it did
    not see appears, its re-check date comes, or it is undone."""

    __tablename__ = "flag_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    flags: Mapped[str] = mapped_column(String(400))  # the codes reviewed, joined by ';'
    note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str] = mapped_column(String(64))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # From this day on the review no longer holds: the patient is back on the worklist (0006).
    recheck_on: Mapped[date | None] = mapped_column(Date)
    # An undone review never holds; the row stays, and the audit trail has the undo (0006).
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_flag_reviews_patient_at", "patient_id", "reviewed_at"),)


class FollowUpContact(Base):
    """One attempt to reach a patient about a follow-up time point (data_model/outreach): how it went,
    when, a note, and when to try next (0008). Rows are never changed nor deleted, the log is the history: an
    attempt logged in error is voided (0010), kept with who voided it and why, and no longer counts."""

    __tablename__ = "follow_up_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    # The time point is named by the index surgery its schedule counts from and its weeks after it: a
    # revision restarts the schedule, and a renamed time point keeps its log.
    surgery_date: Mapped[date] = mapped_column(Date)
    weeks: Mapped[int] = mapped_column(Integer)
    time_point: Mapped[str] = mapped_column(String(40))  # its label when the attempt was logged
    outcome: Mapped[str] = mapped_column(String(16))  # outreach.states.OUTCOMES
    contacted_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    next_attempt_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_by: Mapped[str | None] = mapped_column(String(64))
    void_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_follow_up_contacts_time_point", "patient_id", "surgery_date", "weeks"),)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(400))  # None: single sign-on only
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SignIn(Base):
    """One browser's sign-in: the hash of the token its cookie holds, for which account, active until when.

    Written with SQL statements, not ORM objects, so that recording activity neither fills the audit
    trail nor changes the data version; signing in and out are audited as events."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The account as it was at sign-in: a changed role or password ends the sign-in.
    role: Mapped[str] = mapped_column(String(16))
    credential: Mapped[str] = mapped_column(String(64))
    via_sso: Mapped[bool] = mapped_column(Boolean, default=False)
    # A one-time code the browser trades for its token (the token then lives only in its cookie).
    handoff_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_why: Mapped[str | None] = mapped_column(String(32))
    # A tablet handed to a patient for their self-report (0009, data_model/access/tablet.py): while set, this
    # browser shows only that patient's questionnaire, then the thank-you page, until staff sign in again.
    tablet_stage: Mapped[str | None] = mapped_column(String(16))
    tablet_patient_id: Mapped[int | None] = mapped_column(Integer)


class Setting(Base):
    """A clinic's override of one default in data_model.settings (JSON value)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))


class SiteSecret(Base):
    """A secret of this installation (the pseudonym key): never shown, never copied into the audit trail."""

    __tablename__ = "site_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEntry(Base):
    """Who changed what, when, with the row before and after (JSON)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # insert, update, void, login_failed, import...
    table_name: Mapped[str | None] = mapped_column(String(32))
    row_id: Mapped[int | None] = mapped_column(Integer)
    patient_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    import_id: Mapped[int | None] = mapped_column(Integer)  # hidden with its import's rows until it is done
    # PostgreSQL: the writing transaction (pg_current_xact_id, a server default), so that a reader can
    # tell which entries committed after what it saw, whatever order their ids came in (changes.py).
    # Always NULL on SQLite, whose single writer commits ids in order.
    xact_id: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())

    __table_args__ = (
        Index("ix_audit_log_patient", "patient_id"),
        Index("ix_audit_log_at", "at"),
        _staged_index("audit_log"),
        Index(
            "ix_audit_log_xact",
            "xact_id",
            postgresql_where=text("xact_id IS NOT NULL"),
            sqlite_where=text("xact_id IS NOT NULL"),
        ),
        # ids never come back after the entries of a failed import are cleared: the last id names the data
        {"sqlite_autoincrement": True},
    )


class AuditTransaction(Base):
    """PostgreSQL: one row per transaction that wrote audit entries (a trigger on audit_log writes it):
    the short list a reader scans for what committed since its snapshot (changes.py)."""

    __tablename__ = "audit_transactions"

    xact_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class Import(Base):
    """One run of an import that writes in batches (import_runs.py): its rows stay hidden from every
    reader while its state is 'staging', and all show at once when it turns 'done'."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # csv
    label: Mapped[str | None] = mapped_column(String(200))  # what was imported (the folder's name)
    actor: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="staging")  # staging | done
    # who runs it, to tell a live import from one whose process died (import_runs.owner_alive)
    owner: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = ({"sqlite_autoincrement": True},)
