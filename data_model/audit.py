"""Every ORM write is audited automatically: who, when, which row, the values before and after."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, event, insert, inspect, update
from sqlalchemy.orm import Session

from .models import (
    AuditEntry,
    Base,
    Condition,
    FollowUpContact,
    Patient,
    Surgery,
    Treatment,
    UTCDateTime,
    Visit,
    utcnow,
)

ACTOR_KEY = "paintrail_actor"
CLINICAL = (Visit, Surgery, Treatment, Condition)
# Rows voided rather than deleted: setting voided_at is audited as a "void", not as a change.
VOIDABLE = (*CLINICAL, FollowUpContact)
# Never copy a password hash into the audit trail, nor a site secret (site_secrets.value: only that
# table's `value`, since settings.value must stay visible). The row's insert is still audited, as "***".
REDACTED_COLUMNS = {"password_hash"}
REDACTED_TABLE_COLUMNS = {"site_secrets": {"value"}}


def _redacted(obj: Base, column: str) -> bool:
    return column in REDACTED_COLUMNS or column in REDACTED_TABLE_COLUMNS.get(obj.__tablename__, ())


def set_actor(session: Session, actor: str) -> Session:
    """Name the user a session writes for; every audited row records it."""
    session.info[ACTOR_KEY] = actor
    return session


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row_values(obj: Base) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {c.key: ("***" if _redacted(obj, c.key) else _plain(getattr(obj, c.key))) for c in mapper.column_attrs}


def _before_values(obj: Base) -> dict[str, Any]:
    state = inspect(obj)
    before = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if hist.deleted:
            value = hist.deleted[0]
        elif hist.unchanged:
            value = hist.unchanged[0]
        else:
            value = None
        before[attr.key] = "***" if _redacted(obj, attr.key) else _plain(value)
    return before


def _patient_id(obj: Base) -> int | None:
    if isinstance(obj, Patient):
        return obj.id
    return getattr(obj, "patient_id", None)


def _dumps(values: dict[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(values, sort_keys=True, default=str)


@event.listens_for(Session, "after_flush")
def _audit_after_flush(session: Session, _flush_context) -> None:
    actor = session.info.get(ACTOR_KEY)
    entries: list[dict[str, Any]] = []
    touched_patients: set[int] = set()
    for action, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if isinstance(obj, AuditEntry) or not isinstance(obj, Base):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            if actor is None:
                raise RuntimeError(f"unaudited write to {obj.__tablename__}: call audit.set_actor(session, user) first")
            after = None if action == "delete" else row_values(obj)
            before = None if action == "insert" else _before_values(obj)
            if (
                action == "update"
                and isinstance(obj, VOIDABLE)
                and after is not None
                and before is not None
                and after.get("voided_at")
                and not before.get("voided_at")
            ):
                action = "void"
            entries.append(
                {
                    "at": utcnow(),
                    "actor": actor,
                    "action": action,
                    "table_name": obj.__tablename__,
                    "row_id": getattr(obj, "id", None),
                    "patient_id": _patient_id(obj),
                    "before": _dumps(before),
                    "after": _dumps(after),
                }
            )
            patient_id = _patient_id(obj)
            if isinstance(obj, CLINICAL) and patient_id is not None:
                touched_patients.add(patient_id)
    if not entries:
        return
    connection = session.connection()
    connection.execute(insert(AuditEntry), entries)
    if touched_patients:
        # The patient's data changed: flag reviews older than this no longer hold.
        connection.execute(update(Patient).where(Patient.id.in_(touched_patients)).values(data_changed_at=utcnow()))


_AFTER_ENCODER = json.JSONEncoder(sort_keys=True, default=str)  # what _dumps writes, made once


def after_texts(model: type[Base], rows: list[dict[str, Any]]) -> list[str]:
    """The `after` of rows inserted without the ORM (an import's batches): exactly what the listener
    above writes for each row inserted through a session. Rows hold every column."""
    if not rows:
        return []
    hidden = [k for k in rows[0] if k in REDACTED_COLUMNS | REDACTED_TABLE_COLUMNS.get(model.__tablename__, set())]
    # only date and timestamp columns hold what _plain changes: the other values go as they are
    dated = [c.key for c in model.__table__.columns if isinstance(c.type, Date | DateTime | UTCDateTime)]
    out = []
    for row in rows:
        values = dict(row)
        for key in dated:
            if values[key] is not None:
                values[key] = values[key].isoformat()
        for key in hidden:
            values[key] = "***"
        out.append(_AFTER_ENCODER.encode(values))
    return out


def record_event(session: Session, action: str, detail: dict[str, Any] | str, patient_id: int | None = None) -> None:
    """Audit something that is not a row change: an import batch, a failed login, an export."""
    actor = session.info.get(ACTOR_KEY) or "system"
    text = detail if isinstance(detail, str) else json.dumps(detail, sort_keys=True, default=str)
    session.add(AuditEntry(actor=actor, action=action, patient_id=patient_id, detail=text))
