"""Several staff saving at once: eight OS processes, the real write path, nothing lost, nothing locked.

Each writer is tests/helpers/visit_writer.py in its own process with its own engine (SQLite file in WAL
mode, or the test's PostgreSQL schema). They start on one "go" so their writes really overlap.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections import Counter
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

import data_model.db as db
from data_model import commands
from data_model.audit import set_actor
from data_model.db import DatabaseBusyError, is_sqlite, make_engine, read_session, run_write
from data_model.models import AuditEntry, Patient, Visit
from tests.conftest import subprocess_url
from tests.helpers import processes
from tests.helpers.visit_writer import TODAY, actor, planned_visits

WRITERS = 8
VISITS_EACH = 40
SHARING = range(4)  # writers 0-3 also enter visits for one shared patient, on the same day
BUSY_MESSAGE = "The database is busy with other users' changes; nothing was saved. Please try again in a moment."


def _register_patients(engine) -> tuple[list[int], int]:
    def action(session):
        set_actor(session, "setup")
        own = [commands.register_patient(session, {"mrn": f"W{w}"}).id for w in range(WRITERS)]
        shared = commands.register_patient(session, {"mrn": "SHARED1", "display_name": "Shared Patient"}).id
        return own, shared

    return run_write(engine, action)


def _run_writers(url: str, own: list[int], shared: int) -> list[dict]:
    workers = [
        processes.start(
            processes.helper(
                "visit_writer",
                "--url",
                url,
                "--writer",
                w,
                "--own",
                own[w],
                "--visits",
                VISITS_EACH,
                *(["--shared", shared] if w in SHARING else []),
            ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for w in range(WRITERS)
    ]
    try:
        for worker in workers:  # every writer is connected and waiting...
            assert worker.stdout is not None and worker.stdin is not None  # both opened as pipes
            line = worker.stdout.readline()
            if line.strip() != "ready":
                worker.kill()
                raise AssertionError(f"a writer did not start: {line!r} {worker.communicate()[1]}")
        for worker in workers:  # ...then all are let go together
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=180) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    results = []
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@pytest.mark.postgres
def test_eight_processes_entering_visits_at_once_lose_nothing_and_never_see_a_lock(engine):
    own, shared = _register_patients(engine)
    url, _schema = subprocess_url(engine)

    results = _run_writers(url, own, shared)

    errors = {r["writer"]: r["errors"] for r in results if r["errors"]}
    assert not errors, "writers saw errors (e.g. 'database is locked'):\n" + json.dumps(errors, indent=1)
    # The writes really overlapped: at one moment every writer was between its first and last write.
    assert max(r["start"] for r in results) < min(r["end"] for r in results)
    with read_session(engine) as s:
        assert s.scalar(select(func.count(Visit.id))) == WRITERS * VISITS_EACH == 320
        stored = {v.notes: v for v in s.scalars(select(Visit))}
        for r in results:
            w = r["writer"]
            expected = planned_visits(w, own[w], shared if w in SHARING else None, VISITS_EACH)
            assert len(r["written"]) == VISITS_EACH
            for item in expected:
                visit = stored[item["values"]["notes"]]
                assert (visit.patient_id, visit.visit_date.isoformat(), visit.back_pain, visit.leg_pain, visit.odi) == (
                    item["patient_id"],
                    item["values"]["visit_date"],
                    float(w),
                    item["values"]["leg_pain"],
                    item["values"]["odi"],
                ), item
                assert visit.created_by == actor(w)
        per_patient = Counter(v.patient_id for v in stored.values())
        assert per_patient[shared] == len(SHARING) * VISITS_EACH // 2
        assert all(per_patient[own[w]] == (VISITS_EACH // 2 if w in SHARING else VISITS_EACH) for w in range(WRITERS))
        # The audit trail has exactly one insert per visit, by the writer who saved it.
        inserts = s.execute(
            select(AuditEntry.row_id, AuditEntry.actor).where(
                AuditEntry.table_name == "visits", AuditEntry.action == "insert"
            )
        ).all()
        assert len(inserts) == 320
        assert Counter(row_id for row_id, _ in inserts) == Counter({v.id: 1 for v in stored.values()})
        assert {row_id: who for row_id, who in inserts} == {v.id: v.created_by for v in stored.values()}
        # The shared patient's data-changed stamp moved (the audit listener's update ran under contention too).
        assert s.get(Patient, shared).data_changed_at > s.get(Patient, shared).created_at
    if is_sqlite(engine):
        integrity, orphans = processes.sqlite_checks(processes.sqlite_path(url))
        assert (integrity, orphans) == ("ok", [])


def test_a_writer_locked_out_past_every_retry_gets_a_clear_message_and_nothing_is_written(sqlite_engine, monkeypatch):
    own, _shared = _register_patients(sqlite_engine)
    from tests.helpers.cli_accounts import add_account

    path = sqlite_engine.url.database
    sqlite_engine.dispose()
    add_account(f"sqlite:///{path}", "nurse", "staff", "nurse-password")
    # A short busy timeout so the test takes a second, not the real 15 s per attempt.
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 20)
    engine = make_engine(f"sqlite:///{path}")
    with read_session(engine) as s:
        audit_before = s.scalar(select(func.count(AuditEntry.id)))
    holder = sqlite3.connect(path, isolation_level=None)  # another program holding the write lock
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE patients SET display_name = 'held' WHERE mrn = 'W0'")
    attempts = []

    def action(session):
        attempts.append(1)
        set_actor(session, "nurse1")
        return commands.add_visit(session, own[0], {"visit_date": "2026-03-01", "back_pain": 5}, TODAY)

    try:
        with pytest.raises(DatabaseBusyError) as busy:
            run_write(engine, action, base_delay=0.01)
    finally:
        holder.execute("COMMIT")
        holder.close()

    assert str(busy.value) == BUSY_MESSAGE
    assert "database is locked" in str(busy.value.__cause__)
    assert len(attempts) == 6, "every attempt of the retry budget was used"
    with read_session(engine) as s:
        assert s.scalar(select(func.count(Visit.id))) == 0
        assert s.scalar(select(func.count(AuditEntry.id))) == audit_before
    # The lock gone, the same write goes through at once.
    run_write(engine, action)
    with read_session(engine) as s:
        assert s.scalar(select(func.count(Visit.id))) == 1
    engine.dispose()


def test_the_command_line_reports_a_busy_database_in_one_line(sqlite_engine, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from dashboard.cli import app
    from tests.helpers.cli_accounts import add_account

    path = sqlite_engine.url.database
    sqlite_engine.dispose()
    nurse = add_account(f"sqlite:///{path}", "nurse", "staff", "nurse-password")
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 20)
    monkeypatch.setattr(db, "time", SimpleNamespace(sleep=lambda _seconds: None))  # no backoff waits here
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "patients.csv").write_text("mrn\nBUSY1\n", encoding="utf-8")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = CliRunner().invoke(app, ["import", "csv", str(upload), "--db", f"sqlite:///{path}"], env=nurse)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == "Error: " + BUSY_MESSAGE
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM patients WHERE mrn = 'BUSY1'").fetchone() == (0,)
    conn.close()
