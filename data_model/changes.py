"""Which writes a reader has seen: the data version, and the audit entries committed since a snapshot."""

# Every write is audited, so the audit log names the data: a reader that saw it up to some point can
# ask which entries committed after (services/incremental.py re-evaluates just their patients).
# - SQLite has one writer at a time: ids commit in order, and "the entries after the last id seen" is
#   exact.
# - PostgreSQL writers run side by side, and a sequence hands out ids before commit: a writer holding
#   id 10 can commit after another's id 11 was seen. Rather than make every writer queue on one lock
#   (what PainTrail did: a save waited behind a whole import), each entry carries its transaction id
#   (audit_log.xact_id), a trigger lists each writing transaction once (audit_transactions), and a
#   reader keeps its snapshot (pg_current_snapshot): what committed since is exactly the listed
#   transactions that snapshot did not see (pg_visible_in_snapshot).
# The version (a cache key: it must change whenever the data can have) is, on PostgreSQL, the last id,
# a floor under every running transaction (the snapshot's xmin, rounded down so that it moves rarely)
# and how many listed transactions at or above the floor are visible. Every transaction below the floor
# has ended; a commit after the version was read is at or above its floor, so it raises that count or
# the floor: the version changes with every commit, late ids included.

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from .import_runs import SHOW_STAGED
from .models import AuditEntry

FLOOR_STEP = 4096  # transaction ids: the version's floor moves at most once per this many


class Version(NamedTuple):
    """Names the data a reader saw (hashable: caches key on it). SQLite: (last id, 0, 0)."""

    last_id: int  # the newest audit entry, an unfinished import's own included (changes skips those)
    floor: int = 0  # PostgreSQL: a transaction id below which every transaction has ended
    committed: int = 0  # PostgreSQL: audited transactions from `floor` on, visible to the reader


class Seen(NamedTuple):
    """What a reader saw: the version, and on PostgreSQL the snapshot it was read in."""

    version: Version
    snapshot: str | None = None


def current(session: Session) -> Seen:
    """The data as this session sees it now (read first: data read after it is at least as new)."""
    if session.get_bind().dialect.name != "postgresql":
        return Seen(Version(_last_id(session)))
    # one statement, one snapshot
    row = session.execute(
        text(f"""
        WITH s AS (SELECT pg_current_snapshot() AS snap),
             f AS (SELECT (pg_snapshot_xmin(snap)::text::bigint / {FLOOR_STEP}) * {FLOOR_STEP} AS floor FROM s)
        SELECT s.snap::text, f.floor,
               (SELECT coalesce(max(id), 0) FROM audit_log),
               (SELECT count(*) FROM audit_transactions WHERE xact_id >= f.floor)
        FROM s, f""")
    ).one()
    snapshot, floor, last_id, committed = row
    return Seen(Version(int(last_id), int(floor), int(committed)), snapshot)


def _last_id(session: Session) -> int:
    stmt = select(func.coalesce(func.max(AuditEntry.id), 0)).execution_options(**{SHOW_STAGED: True})
    return int(session.execute(stmt).scalar_one())


def stamp(session: Session, last_id: int) -> str | None:
    """When the audit entry `last_id` was written: with the version, it names the data. A restored
    database can reach the same id with other entries (and other data); the stamp then differs."""
    stmt = select(AuditEntry.at).where(AuditEntry.id == last_id).execution_options(**{SHOW_STAGED: True})
    at = session.scalar(stmt)
    return None if at is None else at.isoformat()


def entries_since(session: Session, seen: Seen, now: Seen) -> list[tuple[str | None, int | None, str]]:
    """(table, patient id, action) of every audit entry committed after `seen` and shown to readers
    (an unfinished import's are not: its own import event makes everyone be evaluated again when it
    is done). On PostgreSQL also entries after `now`: applied twice, they change nothing."""
    columns = select(AuditEntry.table_name, AuditEntry.patient_id, AuditEntry.action)
    if seen.snapshot is None or now.snapshot is None:
        stmt = columns.where(AuditEntry.id > seen.version.last_id, AuditEntry.id <= now.version.last_id)
    else:
        since = (
            text(
                "SELECT xact_id FROM audit_transactions WHERE xact_id >= pg_snapshot_xmin(CAST(:snap AS pg_snapshot))"
                "::text::bigint AND NOT pg_visible_in_snapshot(xact_id::text::xid8, CAST(:snap AS pg_snapshot))"
            )
            .bindparams(snap=seen.snapshot)
            .columns(xact_id=AuditEntry.xact_id.type)
        )
        stmt = columns.where(AuditEntry.xact_id.in_(select(since.subquery().c.xact_id)))
    return [(table, patient_id, action) for table, patient_id, action in session.execute(stmt).all()]
