"""A CSV import written in batches: staff keep saving while it runs, and readers see it whole or not at all.

The import writes in batches, each a short transaction, hidden from readers until its last step shows
them all at once (data_model/import_runs.py, data_model/exchange/csv_folder/staging.py). The batch size is
made small here so that a few hundred rows make many batches; the import's own progress callback
holds it between two batches, so what the test checks happens mid-import by construction, not by
timing.
"""

from __future__ import annotations

import json
import subprocess
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from data_model import commands, import_runs, queries
from data_model.audit import row_values, set_actor
from data_model.db import is_sqlite, read_session, run_write
from data_model.exchange.csv_folder import staging
from data_model.exchange.csv_folder.folder_import import CsvImportFailed, import_csv_folder
from data_model.models import AuditEntry, Patient, Surgery, Treatment, Visit
from data_model.services import incremental
from data_model.services.evaluation import evaluate_clinic
from data_model.validation import ValidationFailed
from tests.conftest import subprocess_url
from tests.helpers import processes
from tests.helpers.cohort_csv import write_cohort_folder

# A fixed day, handed to every import and evaluation below: the run never depends on the clock or midnight.
TODAY = date(2025, 6, 2)
CLEAR_CASES = Path(__file__).resolve().parent.parent / "fixtures" / "csv" / "clear_cases"
TABLES = {"patients": Patient, "surgeries": Surgery, "visits": Visit, "treatments": Treatment, "audit": AuditEntry}
RAW_TABLES = {
    "patients": "patients",
    "surgeries": "surgeries",
    "visits": "visits",
    "treatments": "treatments",
    "audit": "audit_log",
}
SAVES_MID_IMPORT = 5


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(staging, "BATCH_ROWS", 25)


@pytest.fixture(scope="module")
def cohort_folder(tmp_path_factory):
    """(folder, rows per file): 40 generated patients, about 450 rows, so about 20 batches."""
    folder = tmp_path_factory.mktemp("load") / "cohort"
    return folder, write_cohort_folder(folder, 40, seed=5, today=TODAY)


def counts(engine) -> dict[str, int]:
    """What the app's readers see (every ORM read passes the import gate)."""
    with read_session(engine) as s:
        return {name: s.execute(select(func.count()).select_from(model)).scalar_one() for name, model in TABLES.items()}


def raw_counts(engine) -> dict[str, int]:
    """Every row, hidden or not: plain SQL sees past the gate."""
    with engine.connect() as conn:
        return {
            name: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for name, table in RAW_TABLES.items()
        }


def staff_patient(engine, mrn: str = "STAFF1") -> int:
    def action(session):
        set_actor(session, "nurse1")
        patient = commands.register_patient(session, {"mrn": mrn, "display_name": "Staff Patient"})
        commands.add_surgery(session, patient.id, {"surgery_date": TODAY - timedelta(days=200), "procedure": "fusion"})
        return patient.id

    return run_write(engine, action)


def save_visit(engine, patient_id: int, n: int) -> int:
    return run_write(
        engine,
        lambda s: commands.add_visit(
            set_actor(s, "nurse1"),
            patient_id,
            {"visit_date": TODAY - timedelta(days=n), "back_pain": n % 11},
            today=TODAY,
            allow_same_day=True,
            actor="nurse1",
        ),
    ).id


class PausedImport:
    """import_csv_folder in a thread, held after its `after`-th batch until resume()."""

    def __init__(self, engine, folder, after: int):
        self.engine, self.folder, self.after = engine, folder, after
        self.paused, self.go = threading.Event(), threading.Event()
        self.batches = 0
        self.result = None
        self.thread = threading.Thread(target=self._run)

    def _progress(self, written, total):
        self.batches += 1
        if self.batches == self.after:
            self.paused.set()
            assert self.go.wait(300), "the test never let the import go on"

    def _run(self):
        try:
            self.result = import_csv_folder(self.engine, self.folder, "importer", TODAY, progress=self._progress)
        except Exception as exc:
            self.result = exc

    def start(self):
        self.thread.start()
        self.paused.wait(300)
        assert self.paused.is_set(), f"the import ended before its batch {self.after}: {self.result!r}"
        return self

    def finish(self):
        self.go.set()
        self.thread.join(300)
        assert not self.thread.is_alive()
        return self.result


def test_staff_save_while_an_import_is_half_written_and_see_it_only_once_whole(engine, cohort_folder):
    folder, rows = cohort_folder
    patient = staff_patient(engine)
    with read_session(engine) as session:
        held = evaluate_clinic(session, TODAY)
    before = counts(engine)

    running = PausedImport(engine, folder, after=8).start()  # patients and surgeries in, visits under way
    try:
        staged = raw_counts(engine)
        assert staged["patients"] > before["patients"] and staged["visits"] > before["visits"]
        # readers see nothing of it: counts, the clinic's evaluation, the patient search, the audit trail
        assert counts(engine) == before
        with read_session(engine) as session:
            assert evaluate_clinic(session, TODAY).status["patient_id"].tolist() == [patient]
            assert queries.find_patients(session, "MRN").total == 0
            assert set(queries.audit_frame(session, limit=10_000)["actor"]) == {"nurse1"}
        # staff keep working: every save goes through and is seen at once, the import still held
        saved = [save_visit(engine, patient, n) for n in range(SAVES_MID_IMPORT)]
        other = staff_patient(engine, "STAFF2")
        assert counts(engine)["visits"] == before["visits"] + SAVES_MID_IMPORT
    finally:
        report = running.finish()

    assert not isinstance(report, Exception), report
    assert report.ok and report.counts == rows
    after = counts(engine)
    for table, file in (
        ("patients", "patients.csv"),
        ("surgeries", "surgeries.csv"),
        ("visits", "visits.csv"),
        ("treatments", "treatments.csv"),
    ):
        expected = before[table] + rows[file] + (1 if table in ("patients", "surgeries") else 0)
        assert after[table] == expected + (SAVES_MID_IMPORT if table == "visits" else 0), table
    assert raw_counts(engine) == after  # nothing left hidden
    with read_session(engine) as session:
        visits = set(session.scalars(select(Visit.id).where(Visit.patient_id == patient)))
        assert set(saved) <= visits
        assert session.get(Patient, other).mrn == "STAFF2"
        # the flags held from before the import catch up with it exactly
        refreshed = incremental.refresh(session, held, TODAY)
        full = evaluate_clinic(session, TODAY)
    assert sorted(refreshed.status["patient_id"]) == sorted(full.status["patient_id"])
    assert len(full.status) == rows["patients.csv"] + 2  # and the two staff patients


def test_saves_running_beside_a_whole_import_never_fail(engine, cohort_folder) -> None:
    """Four writers saving back to back for the whole import: no save fails, and saves land while the
    import is part-written (its hidden rows are there when they commit)."""
    folder, rows = cohort_folder
    patients = [staff_patient(engine, f"STAFF{w}") for w in range(4)]
    done = threading.Event()
    outcomes: list[tuple[str, bool]] = []  # (error or "", import rows staged when the save committed)

    def writer(patient):
        n = 0
        while not done.is_set():
            n += 1
            try:
                save_visit(engine, patient, n % 300)
                with engine.connect() as conn:
                    staged = conn.execute(text("SELECT count(*) FROM imports WHERE state = 'staging'")).scalar_one()
                outcomes.append(("", staged > 0))
            except Exception as exc:
                outcomes.append((f"{type(exc).__name__}: {exc}", False))

    writers = [threading.Thread(target=writer, args=(p,)) for p in patients]
    for w in writers:
        w.start()
    try:
        report = import_csv_folder(engine, folder, "importer", TODAY)
    finally:
        done.set()
        for w in writers:
            w.join(300)
    assert report.ok
    errors = [e for e, _ in outcomes if e]
    assert not errors, errors[:5]
    assert any(during for _, during in outcomes), "no save committed while the import was part-written"
    with read_session(engine) as session:
        assert session.scalar(select(func.count(Visit.id)).where(Visit.patient_id.in_(patients))) == len(outcomes)


def test_a_problem_found_after_batches_were_written_leaves_nothing_and_the_next_import_runs(
    engine, cohort_folder, tmp_path
):
    source, rows = cohort_folder
    folder = tmp_path / "late_problem"
    folder.mkdir()
    for path in source.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    with (folder / "visits.csv").open("a", encoding="utf-8") as out:
        out.write("MRN000001,2026-13-40,5,,,,,,,\n")  # the file's last line: every batch before it written
    before, raw_before = counts(engine), raw_counts(engine)
    batches = []

    with pytest.raises(CsvImportFailed) as failure:
        import_csv_folder(engine, folder, "importer", TODAY, progress=lambda done, total: batches.append(done))

    assert len(batches) > 5, "the problem came after batches had been written"
    line = rows["visits.csv"] + 2
    assert [(p.file, p.line, p.column) for p in failure.value.report.problems] == [("visits.csv", line, "visit_date")]
    assert counts(engine) == before and raw_counts(engine) == raw_before  # not even hidden rows are left
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM imports")).scalar_one() == 0
    report = import_csv_folder(engine, source, "importer", TODAY)  # the same rows, fixed: nothing in the way
    assert report.ok and counts(engine)["visits"] == before["visits"] + rows["visits.csv"]


def test_an_mrn_registered_while_the_import_runs_refuses_the_import_on_its_line(engine, cohort_folder):
    folder, rows = cohort_folder
    before, raw_before = counts(engine), raw_counts(engine)
    running = PausedImport(engine, folder, after=1).start()  # the first 25 patients are in, hidden
    try:
        # a nurse registers, meanwhile, a patient the import's next batch holds (line 31 of patients.csv)
        run_write(engine, lambda s: commands.register_patient(set_actor(s, "nurse1"), {"mrn": "MRN000030"}))
        # one the import already holds (hidden) cannot be registered twice
        with pytest.raises((IntegrityError, ValidationFailed)):  # the unique MRN holds for hidden rows too
            run_write(engine, lambda s: commands.register_patient(set_actor(s, "nurse1"), {"mrn": "MRN000002"}))
    finally:
        failure = running.finish()

    assert isinstance(failure, CsvImportFailed)
    assert [(p.file, p.line, p.column, p.value) for p in failure.report.problems] == [
        ("patients.csv", 31, "mrn", "MRN000030")
    ]
    assert "already in the database" in str(failure.report.problems[0])
    expected = {**before, "patients": before["patients"] + 1, "audit": before["audit"] + 1}
    assert counts(engine) == expected
    assert raw_counts(engine) == {
        **raw_before,
        "patients": raw_before["patients"] + 1,
        "audit": raw_before["audit"] + 1,
    }


def test_every_imported_row_is_audited_as_a_save_through_the_app_would_be(engine):
    """The batches write rows and audit entries without the ORM: each entry's `after` is the row as
    stored, exactly as the audit listener writes it for a row saved through a session."""
    report = import_csv_folder(engine, CLEAR_CASES, "importer", date(2026, 6, 1))
    assert report.ok
    with read_session(engine) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "insert")).all()
        assert len(entries) == report.total_rows
        for entry in entries:
            model = next(m for m in TABLES.values() if m.__tablename__ == entry.table_name)
            stored = session.get(model, entry.row_id)
            expected = row_values(stored)
            written = json.loads(entry.after)
            for stamp in ("created_at", "data_changed_at"):  # the same instant, whatever zone it is read in
                if stamp in expected:
                    assert datetime.fromisoformat(written.pop(stamp)) == datetime.fromisoformat(expected.pop(stamp))
            assert written == expected
            assert entry.actor == "importer" and entry.patient_id == (
                stored.id if model is Patient else stored.patient_id
            )


def test_the_next_import_clears_a_dead_runs_rows_and_never_a_live_ones(engine):
    """Whether a run is alive is known (PostgreSQL: its advisory lock; SQLite: its process), never
    guessed from a clock: an import under way in another process is left alone however long it takes."""
    url, _schema = subprocess_url(engine)
    holder = processes.start(
        processes.helper("staging_holder", "--url", url),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        run_id = int(holder.stdout.readline())
        assert import_runs.sweep_abandoned(engine) == []
        assert raw_counts(engine)["patients"] == 1 and counts(engine)["patients"] == 0
    finally:
        holder.kill()
        holder.wait(30)
        holder.stdout.close()
        holder.stderr.close()
        holder.stdin.close()
    if not is_sqlite(engine):  # the server notices the lost client and lets its lock go
        processes.wait_for(lambda: import_runs.sweep_abandoned(engine) == [run_id], 30, "the dead run to be cleared")
    else:
        assert import_runs.sweep_abandoned(engine) == [run_id]
    assert raw_counts(engine)["patients"] == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM imports")).scalar_one() == 0
