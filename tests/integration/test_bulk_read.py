"""The fast column reads give exactly the ORM's frames: same columns, dtypes, values and row order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from data_model import bulk_read, queries
from data_model.audit import set_actor
from data_model.bulk_read import columnar
from data_model.db import make_engine, read_session, run_write
from data_model.migrate import upgrade
from data_model.models import Surgery, Treatment, Visit
from sample_data.generator import generate_cohort
from sample_data.writer import write_cohort

TODAY = date(2026, 6, 30)


def _add_awkward_rows(engine) -> None:
    """Rows the fast path must fall back on or reorder: values off the hundredths grid, NULLs, text
    holding the separators, a voided visit, and rows added late with early dates (out of id order)."""

    def add(session):
        set_actor(session, "test")
        session.add_all(
            [
                Visit(
                    patient_id=1,
                    visit_date=date(2020, 1, 2),
                    back_pain=1 / 3,
                    leg_pain=None,
                    odi=12.345,
                    numbness=True,
                    tingling=None,
                    weakness=False,
                    mme_per_day=7.5,
                ),
                Visit(patient_id=2, visit_date=date(2026, 2, 28), back_pain=4.0, leg_pain=2.5),
                Visit(
                    patient_id=2, visit_date=date(2026, 3, 1), back_pain=9.0, voided_at=datetime(2026, 3, 2, tzinfo=UTC)
                ),
                Surgery(
                    patient_id=3,
                    surgery_date=date(2019, 12, 31),
                    procedure="fusion",
                    surgeon='Dr \x1fUnit, "Quoted"',
                    notes="line one\nline two, with \x1e",
                    spinal_levels=None,
                ),
                Treatment(patient_id=1, code="physio", start_date=date(2020, 1, 3), end_date=None),
            ]
        )

    run_write(engine, add)


@pytest.fixture
def awkward_clinic(engine):
    write_cohort(engine, generate_cohort(60, seed=11, today=TODAY))
    _add_awkward_rows(engine)
    return engine


def _fast_and_reference(engine, patient_ids, as_of):
    with read_session(engine) as session:
        fast = (
            queries.surgeries_frame(session, patient_ids, as_of),
            queries.visits_frame(session, patient_ids, as_of),
            queries.treatments_frame(session, patient_ids, as_of),
        )
        reference = queries.orm_frames(session, patient_ids, as_of)
    return fast, reference


@pytest.fixture
def columnar_reads(monkeypatch):
    """Every answer of bulk_read.columnar.read_tables (None: it could not read, the caller fell back)."""
    monkeypatch.setattr(columnar, "COLUMNAR_ROWS", 10)  # the awkward clinic is small: read it so all the same
    answers: list = []
    real = columnar.read_tables
    monkeypatch.setattr(columnar, "read_tables", lambda *a, **k: answers.append(real(*a, **k)) or answers[-1])
    return answers


@pytest.mark.parametrize("as_of", [None, date(2025, 6, 1)])
@pytest.mark.parametrize("patients", ["all", "few", "many"])
def test_fast_reads_equal_the_orm_reads(awkward_clinic, monkeypatch, patients, as_of):
    ids = {"all": None, "few": [1, 2, 3], "many": list(range(1, 41))}[patients]
    if patients == "many":
        monkeypatch.setattr(bulk_read, "SMALL_PATIENT_SET", 5)  # the bulk path, filtered by patient
    (surgeries, visits, treatments), reference = _fast_and_reference(awkward_clinic, ids, as_of)
    assert len(visits) > 0
    for got, want in zip((surgeries, visits, treatments), reference, strict=True):
        pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("as_of", [None, date(2025, 6, 1)])
@pytest.mark.parametrize("patients", ["all", "many"])
def test_the_columnar_read_of_the_clinic_equals_the_orm_reads(
    awkward_clinic, monkeypatch, columnar_reads, patients, as_of
):
    """The evaluation's read (queries.clinic_frames) goes through connectorx (bulk_read.columnar) for the
    whole clinic or many patients, and gives the ORM's frames exactly: dtypes, NaN, NaT, None, order."""
    ids = None if patients == "all" else list(range(1, 41))
    monkeypatch.setattr(bulk_read, "SMALL_PATIENT_SET", 5)
    with read_session(awkward_clinic) as session:
        reference = queries.orm_frames(session, ids, as_of)
        got = queries.clinic_frames(session, ids, as_of)
    assert len(columnar_reads) == 1 and columnar_reads[0] is not None  # connectorx read it, no fallback
    assert len(got[1]) > 0
    for frame, want in zip(got, reference, strict=True):
        pd.testing.assert_frame_equal(frame, want)


def test_a_small_clinic_is_read_on_the_session_without_starting_connectorx(awkward_clinic, monkeypatch):
    monkeypatch.setattr(columnar, "COLUMNAR_ROWS", 1_000_000)
    started = []
    monkeypatch.setattr(columnar, "_postgres", lambda *a: started.append(a))
    monkeypatch.setattr(columnar, "_sqlite_process", lambda *a: started.append(a))
    with read_session(awkward_clinic) as session:
        reference = queries.orm_frames(session, None, None)
        got = queries.clinic_frames(session, None, None)
    assert started == []
    for frame, want in zip(got, reference, strict=True):
        pd.testing.assert_frame_equal(frame, want)


def test_a_few_patients_are_read_row_by_row_on_the_session(awkward_clinic, columnar_reads):
    with read_session(awkward_clinic) as session:
        reference = queries.orm_frames(session, [1, 2, 3], None)
        got = queries.clinic_frames(session, [1, 2, 3], None)
    assert columnar_reads == []  # an index look-up per patient, no whole-table read
    for frame, want in zip(got, reference, strict=True):
        pd.testing.assert_frame_equal(frame, want)


ON_SQLITE = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
ON_POSTGRESQL = pytest.mark.parametrize(
    "engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@ON_SQLITE
def test_a_sqlite_read_crossed_by_writes_every_time_is_made_again_on_the_sessions_snapshot(
    awkward_clinic, monkeypatch, columnar_reads, caplog
):
    """connectorx reads SQLite on connections of its own, each query seeing the data as it was when it
    began; when the newest audit entry moved during every attempt (a write came in between), the read
    is made on the session's own snapshot instead, and the result is still exact."""
    monkeypatch.setattr(columnar, "_VERSION_SQL", "SELECT abs(random()) AS last_id")  # a new answer every time
    with caplog.at_level("INFO", logger=columnar.__name__), read_session(awkward_clinic) as session:
        reference = queries.orm_frames(session, None, None)
        got = queries.clinic_frames(session, None, None)
    assert columnar_reads == [None]
    assert "writes kept coming in between" in caplog.text
    for frame, want in zip(got, reference, strict=True):
        pd.testing.assert_frame_equal(frame, want)


@ON_POSTGRESQL
def test_a_postgresql_read_sees_the_sessions_snapshot_not_a_later_commit(awkward_clinic, columnar_reads):
    """A visit committed after the session's first read is not in the columnar read of that session:
    connectorx's connections join the session's snapshot (pg_export_snapshot), so the three tables and
    both halves of each are read as one."""
    with read_session(awkward_clinic) as session:
        before = queries.orm_frames(session, None, None)

        def add(other):
            set_actor(other, "test")
            other.add(Visit(patient_id=1, visit_date=date(2021, 5, 5), back_pain=6.0))

        run_write(awkward_clinic, add)
        got = queries.clinic_frames(session, None, None)
    assert columnar_reads[0] is not None
    pd.testing.assert_frame_equal(got[1], before[1])


@ON_SQLITE
def test_a_sqlite_read_sees_a_commit_made_after_the_sessions_version_was_read(awkward_clinic, columnar_reads):
    """SQLite's column reader runs in a process of its own and sees the data as it is when it reads: at
    least as new as the version the evaluation read first, which incremental.refresh goes on from."""
    with read_session(awkward_clinic) as session:
        queries.orm_frames(session, None, None)

        def add(other):
            set_actor(other, "test")
            other.add(Visit(patient_id=1, visit_date=date(2021, 5, 5), back_pain=6.0))

        run_write(awkward_clinic, add)
        visits = queries.clinic_frames(session, None, None)[1]
    assert columnar_reads[0] is not None
    assert ((visits["patient_id"] == 1) & (visits["visit_date"] == pd.Timestamp("2021-05-05"))).sum() == 1


def test_awkward_values_survive_the_fast_path(awkward_clinic):
    (surgeries, visits, treatments), _ = _fast_and_reference(awkward_clinic, None, None)
    first = visits[(visits["patient_id"] == 1) & (visits["visit_date"] == pd.Timestamp("2020-01-02"))].iloc[0]
    assert first["back_pain"] == 1 / 3 and first["odi"] == 12.345 and pd.isna(first["leg_pain"])
    assert first["numbness"] == 1.0 and pd.isna(first["tingling"]) and first["weakness"] == 0.0
    assert 9.0 not in visits.loc[visits["patient_id"] == 2, "back_pain"].tolist()  # the voided visit
    odd = surgeries[surgeries["surgery_date"] == pd.Timestamp("2019-12-31")].iloc[0]
    assert odd["surgeon"] == 'Dr \x1fUnit, "Quoted"' and odd["notes"] == "line one\nline two, with \x1e"
    assert odd["spinal_levels"] is None
    assert pd.isna(treatments.loc[treatments["code"] == "physio", "end_date"]).any()


def test_empty_database_gives_the_orm_empty_frames(engine):
    fast, reference = _fast_and_reference(engine, None, None)
    for got, want in zip(fast, reference, strict=True):
        assert list(got.columns) == list(want.columns) and got.empty
        pd.testing.assert_series_equal(got.dtypes, want.dtypes)


@pytest.mark.parametrize("folder", ["plain", "clinic #1 100% (copy)"])
def test_a_big_sqlite_table_read_in_two_halves_at_once_equals_the_orm_read(tmp_path, monkeypatch, folder):
    (tmp_path / folder).mkdir()
    sqlite_engine = make_engine(f"sqlite:///{tmp_path / folder / 'paintrail.db'}")
    upgrade(sqlite_engine)
    write_cohort(sqlite_engine, generate_cohort(60, seed=11, today=TODAY))
    _add_awkward_rows(sqlite_engine)
    monkeypatch.setattr(bulk_read, "_PARALLEL_ROWS", 10)
    halves = []
    real = bulk_read._parallel_rows
    monkeypatch.setattr(bulk_read, "_parallel_rows", lambda *a: halves.append(real(*a)) or halves[-1])
    (surgeries, visits, treatments), reference = _fast_and_reference(sqlite_engine, None, None)
    assert halves and all(h is not None and len(h) == 2 for h in halves)  # every table took the two-half path
    for got, want in zip((surgeries, visits, treatments), reference, strict=True):
        pd.testing.assert_frame_equal(got, want)
    sqlite_engine.dispose()
