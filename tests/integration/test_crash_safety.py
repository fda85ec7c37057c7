"""An import killed with SIGKILL mid-write leaves a consistent database and writes all or nothing.

`paintrail import ...` runs as a real OS process. The test waits for a real sign that the process is
inside its write transaction with rows already written, then kills it (SIGKILL: no cleanup, no
rollback by the process itself). It checks what the database holds, then runs the same import again
to completion.

Signs of progress (no test hook in the product):
- SQLite: the -wal file, truncated before the start, grows: the write transaction's uncommitted pages
  are spilling into it (the import does its reading and checking before it writes anything).
- PostgreSQL: the import's backend (found by the application_name put into its --db URL) has a
  transaction id in pg_stat_activity, which a transaction only gets at its first write.
- FHIR (one transaction per bundle): some bundles were already committed when the kill comes.
The import signs in first (its own short writes: the attempt, then the 'login' entry); the signs above
count only once that sign-in is committed.
"""

from __future__ import annotations

import json
import signal
import subprocess
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from data_model import commands
from data_model.accounts import add_user
from data_model.audit import set_actor
from data_model.db import is_sqlite, read_session, run_write
from data_model.models import AuditEntry, Condition, Patient, Surgery, Treatment, Visit
from tests.conftest import subprocess_url
from tests.helpers import processes
from tests.helpers.cohort_csv import write_cohort_folder
from tests.helpers.fhir_bundles import distinct_copies

# Generated cohorts (sample_data.generator) as CSV: 800 patients are about 9,000 rows (5,000 visits), 300
# about 3,300. On SQLite the write spills pages into the -wal file a few seconds before its commit only
# when it is big enough; PostgreSQL's sign (a transaction id) comes at the first row, so less will do.
# Bigger folders prove no more and cost a minute each on a 2-core machine.
CSV_PATIENTS = {"sqlite": 800, "postgresql": 300}
FHIR_COPIES = 2  # x 3 Synthea bundles = 6 bundles, 6 transactions
TABLES = {
    "patients": Patient, "surgeries": Surgery, "visits": Visit, "treatments": Treatment,
    "conditions": Condition, "audit": AuditEntry,
}
CLINICAL = ("surgeries", "visits", "treatments", "conditions")
IMPORTER = {"PAINTRAIL_USER": "importer", "PAINTRAIL_PASSWORD": "importer-password"}

# (import, database): the `engine` fixture, parametrized here rather than by its own params.
IMPORTS = [
    pytest.param("csv", "sqlite", id="csv-sqlite"),
    pytest.param("csv", "postgresql", id="csv-postgresql", marks=pytest.mark.postgres),
    # The FHIR import (`paintrail import fhir PATH...`, dashboard/cli_import_fhir.py). It commits one
    # bundle at a time, so the property checked is "each bundle all or nothing" (see _check_fhir).
    # SQLite only: that the PostgreSQL server rolls back a killed client's transaction is shown by
    # csv-postgresql, and this run costs as much again. Add ("fhir", "postgresql") to run it there too.
    pytest.param("fhir", "sqlite", id="fhir-sqlite"),
]


_csv_folders: dict[int, tuple[Path, dict[str, int]]] = {}


@pytest.fixture
def csv_folder(engine, tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """(folder, rows per file) of a generated cohort sized for the database under test; made once."""
    n = CSV_PATIENTS[engine.dialect.name]
    if n not in _csv_folders:
        folder = tmp_path_factory.mktemp("crash") / f"cohort{n}"
        _csv_folders[n] = folder, write_cohort_folder(folder, n, seed=11, today=date.today() - timedelta(days=1))
    return _csv_folders[n]


@pytest.fixture(scope="module")
def fhir_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "bundles"
    distinct_copies(folder, FHIR_COPIES)
    return folder


def counts(engine) -> dict[str, int]:
    """Rows per table; the audit trail without the importer's sign-ins (each run of the command signs in)."""
    with read_session(engine) as s:
        found = {name: s.scalar(select(func.count()).select_from(model)) for name, model in TABLES.items()}
        found["audit"] -= s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "login"))
        return found


def _signed_in(engine) -> bool:
    with read_session(engine) as s:
        return s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "login")) > 0


def orphans(engine) -> int:
    """Clinical rows whose patient does not exist (the foreign keys forbid it; checked all the same)."""
    with read_session(engine) as s:
        return sum(
            s.scalar(text(f"SELECT count(*) FROM {t} c LEFT JOIN patients p ON p.id = c.patient_id WHERE p.id IS NULL"))
            for t in CLINICAL
        )


def _existing_data(engine) -> None:
    """A clinic database in use: patients the import must leave exactly as they are."""

    def action(session):
        set_actor(session, "nurse1")
        for n in range(3):
            patient = commands.register_patient(session, {"mrn": f"KEEP{n}", "display_name": f"Kept {n}"})
            commands.add_surgery(session, patient.id, {"surgery_date": "2025-01-10", "procedure": "fusion"})
            commands.add_visit(session, patient.id, {"visit_date": "2025-03-01", "back_pain": 6, "leg_pain": 4})
        add_user(session, IMPORTER["PAINTRAIL_USER"], "staff", IMPORTER["PAINTRAIL_PASSWORD"])

    run_write(engine, action)


def _assert_consistent(engine, url: str) -> None:
    assert orphans(engine) == 0
    if is_sqlite(engine):
        integrity, fk_problems = processes.sqlite_checks(processes.sqlite_path(url))
        assert integrity == "ok"
        assert fk_problems == []


def _in_write(engine, kind: str, url: str, app_name: str):
    """A callable telling whether the import process is inside its write, with rows already written."""
    if kind == "fhir":
        return lambda: _fhir_events(engine) >= 2
    if is_sqlite(engine):
        wal = Path(str(processes.sqlite_path(url)) + "-wal")
        signed_in_size: list[int] = []  # the -wal file's size once the sign-in's writes are in it

        def grown() -> bool:
            if not signed_in_size:
                if not _signed_in(engine):
                    return False
                signed_in_size.append(wal.stat().st_size)
            return wal.stat().st_size > signed_in_size[0]

        return grown

    def has_written() -> bool:
        if not _signed_in(engine):  # a transaction id before that is the sign-in's own
            return False
        with engine.connect() as conn:
            xid = conn.execute(
                text("SELECT backend_xid FROM pg_stat_activity WHERE application_name = :name"), {"name": app_name}
            ).first()
        return xid is not None and xid[0] is not None

    return has_written


def _fhir_events(engine) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "import_fhir"))


def _backend_gone(engine, app_name: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"), {"name": app_name}
        ).scalar_one() == 0


def _command(kind: str, url: str, source: Path) -> list[str]:
    return processes.paintrail("import", kind, source, "--db", url)


def _check_fhir(engine, before: dict[str, int]) -> dict[str, int]:
    """Each committed bundle is complete: its patient holds exactly the rows its audit event counts,
    and no FHIR patient exists without the event its bundle's transaction writes last."""
    with read_session(engine) as s:
        rows = s.execute(select(AuditEntry.patient_id, AuditEntry.detail).where(AuditEntry.action == "import_fhir"))
        events = [(pid, json.loads(detail)) for pid, detail in rows]
        fhir_patients = set(s.scalars(select(Patient.id).where(Patient.source == "fhir")))
        new_patients = [pid for pid, d in events if d["imported"]["patients"] == 1]
        assert sorted(new_patients) == sorted(fhir_patients), "a FHIR patient without its bundle's commit"
        imported: Counter = Counter()
        for pid, detail in events:
            imported.update(detail["imported"])
            if detail["imported"]["patients"] == 1:
                for table in CLINICAL:
                    model = TABLES[table]
                    stored = s.scalar(select(func.count()).select_from(model).where(model.patient_id == pid))
                    assert stored == detail["imported"][table], (table, detail["file"])
    now = counts(engine)
    for table in ("patients", *CLINICAL):
        assert now[table] - before[table] == imported[table], table
    return now


@pytest.mark.parametrize(("kind", "engine"), IMPORTS, indirect=["engine"])
def test_an_import_killed_mid_write_leaves_the_database_consistent_and_all_or_nothing(
    engine, kind, request
):
    csv_folder = request.getfixturevalue("csv_folder") if kind == "csv" else None
    source = csv_folder[0] if kind == "csv" else request.getfixturevalue("fhir_folder")
    _existing_data(engine)
    before = counts(engine)
    app_name = f"pt_crash_{uuid.uuid4().hex[:10]}"
    url, _schema = subprocess_url(engine, application_name=app_name)
    if is_sqlite(engine):
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        wal = Path(str(processes.sqlite_path(url)) + "-wal")
        assert wal.stat().st_size == 0, "the -wal file must start empty: its growth is the sign of the write"
    in_write = _in_write(engine, kind, url, app_name)
    command = _command(kind, url, source)

    importer = processes.start(command, env=IMPORTER, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        processes.wait_for(lambda: importer.poll() is not None or in_write(), 120, "the import to start writing")
        assert importer.poll() is None, "the import ended before it could be killed: " + importer.stderr.read()
        importer.send_signal(signal.SIGKILL)
    finally:
        importer.kill()
        importer.wait(timeout=30)
        importer.stderr.close()
    assert importer.returncode == -signal.SIGKILL
    if not is_sqlite(engine):  # the server notices the lost client and rolls its transaction back
        processes.wait_for(lambda: _backend_gone(engine, app_name), 30, "the killed import's backend to end")

    _assert_consistent(engine, url)
    if kind == "csv":
        assert counts(engine) == before, "a killed CSV import must leave no row behind, not even an audit entry"
    else:
        partly = _check_fhir(engine, before)
        assert 2 <= partly["patients"] - before["patients"] < FHIR_COPIES * 3

    finished = subprocess.run(command, cwd=processes.REPO, env=processes.clean_env(**IMPORTER), capture_output=True,
                              text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr

    _assert_consistent(engine, url)
    after = counts(engine)
    if kind == "csv":
        rows = csv_folder[1]
        expected = dict(before)
        for table, file in (("patients", "patients.csv"), ("surgeries", "surgeries.csv"),
                            ("visits", "visits.csv"), ("treatments", "treatments.csv")):
            expected[table] += rows[file]
        expected["audit"] += sum(rows.values()) + 1  # one entry per row, one for the import
        assert after == expected
        with read_session(engine) as s:
            kept = s.scalars(select(Patient.display_name).where(Patient.mrn.like("KEEP%")).order_by(Patient.mrn)).all()
            assert kept == ["Kept 0", "Kept 1", "Kept 2"]
    else:
        _check_fhir(engine, before)
        assert after["patients"] - before["patients"] == FHIR_COPIES * 3
