"""Imports written in short batches yet seen all at once: their rows stay hidden from readers until done."""

# A big import cannot be one transaction on SQLite: its single writer would hold every other save back
# for as long as the import writes (a minute for a million rows). So an import run writes in batches,
# each a short transaction, and marks every row it writes (patients, surgeries, visits, treatments and
# their audit entries) with its import_id. While the run's row in `imports` says 'staging', every
# reader skips those rows; one tiny transaction turns it 'done' and they all show at once.
# - Readers: every ORM SELECT gets the criterion by the do_orm_execute hook below, so no query can
#   forget it; the two raw-SQL readers (bulk_read, queries.patient_names) add VISIBLE_SQL themselves.
# - A run that fails clears its rows itself (clear); one whose process died is cleared by the next
#   import (sweep_abandoned). Whether a run is alive is known for sure, never guessed from a clock:
#   PostgreSQL: the run holds an advisory lock of its own (keyed by its id) on a connection it keeps
#   open, which the server lets go when the process dies; SQLite (one machine, by its design): the
#   run's process id and start time.

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Engine,
    ScalarSelect,
    Table,
    delete,
    event,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from .models import AuditEntry, Import, Patient, Surgery, Treatment, Visit, utcnow

STAGING, DONE = "staging", "done"
SHOW_STAGED = "paintrail_show_staged"  # execution option: this statement sees staged rows too
# the order a run's rows are cleared in: rows before the patients they belong to
STAGED_MODELS = (Visit, Surgery, Treatment, AuditEntry, Patient)
StagedModel = type[Visit] | type[Surgery] | type[Treatment] | type[AuditEntry] | type[Patient]
VISIBLE_SQL = "(import_id IS NULL OR import_id NOT IN (SELECT id FROM imports WHERE state <> 'done'))"
CLEAR_CHUNK = 5_000
# The per-run advisory lock's keys: this schema (several PainTrail databases may share one server) and
# the run's id.
_RUN_LOCK = "hashtext('paintrail import run ' || current_schema()), {run_id}"

_running_here: set[int] = set()  # runs this process has under way (so the same process never sweeps them)


def _not_staged(cls: StagedModel) -> ColumnElement[bool]:
    return or_(cls.import_id.is_(None), cls.import_id.not_in(select(Import.id).where(Import.state != DONE)))


@event.listens_for(Session, "do_orm_execute")
def _hide_staged_rows(state: ORMExecuteState) -> None:
    if not state.is_select or state.execution_options.get(SHOW_STAGED) or state.session.info.get(SHOW_STAGED):
        return
    state.statement = state.statement.options(
        *(with_loader_criteria(model, _not_staged, include_aliases=True) for model in STAGED_MODELS)
    )


def show_staged(session: Session) -> Session:
    """The session's ORM reads see staged rows too (the import itself, and clearing a failed one)."""
    session.info[SHOW_STAGED] = True
    return session


# --- Who runs an import, and whether it is still alive ------------------------------------------------


def _start_ticks(pid: int) -> str | None:
    """The process's start time since boot (Linux /proc), so a reused process id is not taken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command name


def this_process() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid) or ''}"


def _process_alive(owner: str) -> bool:
    host, pid_text, ticks = owner.rsplit(":", 2)
    if host != socket.gethostname():
        return True  # another machine's process: it cannot be seen from here, so it is never swept
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if ticks:  # Linux: the same process id running since the same moment
        return _start_ticks(pid) == ticks
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_alive(conn: Connection, run: Import) -> bool:
    if run.id in _running_here:
        return True
    if conn.dialect.name == "postgresql":
        key = _RUN_LOCK.format(run_id=int(run.id))
        free = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar()
        if free:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
        return not free
    if run.owner == this_process():
        return False  # this process runs no such import any more (a failed clear-up left it)
    return _process_alive(run.owner)


# --- A run: begin, finish, clear ----------------------------------------------------------------------


@dataclass
class ImportRun:
    """An import under way: its id marks every row it writes."""

    id: int
    engine: Engine


@contextmanager
def import_run(engine: Engine, source: str, label: str, actor: str) -> Iterator[ImportRun]:
    """A new run, its rows hidden until finish() is called inside it. Leaving the block without
    finish() (a problem found, an error, ^C) clears every row the run wrote."""
    from .db import run_write

    sweep_abandoned(engine)
    run_id = run_write(engine, lambda session: _new_run(session, source, label, actor))
    _running_here.add(run_id)
    lock_conn = None
    try:
        if engine.dialect.name == "postgresql":
            lock_conn = engine.connect()
            lock_conn.exec_driver_sql(f"SELECT pg_advisory_lock({_RUN_LOCK.format(run_id=int(run_id))})")
            lock_conn.commit()  # a session-level lock: it stays until released or the connection ends
        try:
            yield ImportRun(run_id, engine)
        except BaseException:
            _clear_quietly(engine, run_id)
            raise
        if not _finished(engine, run_id):
            clear(engine, run_id)
    finally:
        _running_here.discard(run_id)
        if lock_conn is not None:
            lock_conn.close()  # the connection's end lets the lock go, even if unlocking would fail


def _clear_quietly(engine: Engine, run_id: int) -> None:
    # The error that ended the run is the one to report; its rows stay hidden if they cannot be
    # cleared now, and the next import clears them (this process no longer counts the run as its own).
    try:
        clear(engine, run_id)
    except Exception:
        logging.getLogger(__name__).exception("could not clear the rows of failed import run %s", run_id)


def _new_run(session: Session, source: str, label: str, actor: str) -> int:
    # Core, not the ORM: the run is bookkeeping, not clinic data; the import's own event audits it.
    return session.execute(
        insert(Import).returning(Import.id),
        {
            "source": source,
            "label": label[:200],
            "actor": actor,
            "state": STAGING,
            "owner": this_process(),
            "started_at": utcnow(),
        },
    ).scalar_one()


def _finished(engine: Engine, run_id: int) -> bool:
    with Session(engine) as session:
        return session.scalar(select(Import.state).where(Import.id == run_id)) == DONE


def finish(session: Session, run: ImportRun) -> None:
    """Show every row of the run at once: call it inside the write transaction that records the import."""
    done = session.execute(
        update(Import).where(Import.id == run.id, Import.state == STAGING).values(state=DONE, finished_at=utcnow())
    )
    if cast("CursorResult[Any]", done).rowcount != 1:
        raise RuntimeError(f"import run {run.id} is no longer staging: it cannot be shown")


def _delete_rows(session: Session, table: Table, chunk: ScalarSelect[int]) -> int:
    deleted = session.execute(delete(table).where(table.c.id.in_(chunk)))
    return cast("CursorResult[Any]", deleted).rowcount


def clear(engine: Engine, run_id: int) -> int:
    """Delete every row the run wrote (never seen by anyone), a short transaction at a time, then the
    run itself. Returns the rows deleted."""
    from .db import run_write

    deleted = 0
    for model in STAGED_MODELS:
        table = model.__table__
        while True:
            chunk = select(table.c.id).where(table.c.import_id == run_id).limit(CLEAR_CHUNK).scalar_subquery()
            gone = run_write(engine, partial(_delete_rows, table=table, chunk=chunk))
            deleted += gone
            if gone < CLEAR_CHUNK:
                break
    run_write(
        engine, lambda session: session.execute(delete(Import).where(Import.id == run_id, Import.state == STAGING))
    )
    return deleted


def sweep_abandoned(engine: Engine) -> list[int]:
    """Clear the runs whose process died mid-way (killed, a lost machine): their rows were never seen,
    and would hold their patients' MRNs against the next import. Returns the runs cleared."""
    with engine.connect() as conn:
        staging = Session(bind=conn).scalars(select(Import).where(Import.state == STAGING)).all()
        dead = [run.id for run in staging if not _run_alive(conn, run)]
        conn.rollback()
    for run_id in dead:
        clear(engine, run_id)
    return dead
