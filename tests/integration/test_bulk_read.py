"""The fast column reads give exactly the ORM's frames: same columns, dtypes, values and row order."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from data_model import bulk_read, queries
from data_model.audit import set_actor
from data_model.bulk_read import columnar
from data_model.db import read_session, run_write
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
def test_a_sqlite_read_that_did_not_see_the_sessions_data_is_made_on_the_session(
    awkward_clinic, monkeypatch, columnar_reads, caplog
):
    """connectorx reads SQLite in a process of its own, on connections of its own; when the data it saw
    is not the session's (the check's answer differs), the session's own reader reads, still exactly."""
    monkeypatch.setattr(columnar, "_VERSION_SQL", "SELECT abs(random()) AS last_id")  # a new answer every time
    with caplog.at_level("INFO", logger=columnar.__name__), read_session(awkward_clinic) as session:
        reference = queries.orm_frames(session, None, None)
        got = queries.clinic_frames(session, None, None)
    assert columnar_reads == [None]
    assert "the data changed since the session's snapshot" in caplog.text
    for frame, want in zip(got, reference, strict=True):
        pd.testing.assert_frame_equal(frame, want)


def _add_visit(engine, patient_id: int) -> None:
    def add(other):
        set_actor(other, "test")
        other.add(Visit(patient_id=patient_id, visit_date=date(2021, 5, 5), back_pain=6.0))

    run_write(engine, add)


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_a_commit_after_the_session_began_is_not_in_its_read(awkward_clinic, columnar_reads):
    """The evaluation's read is the session's data, as the names and reviews the session reads beside
    it: a visit committed after the session's first read is not in it (PostgreSQL: connectorx joins the
    session's snapshot; SQLite: the reader's data is not the session's, so the session reads)."""
    with read_session(awkward_clinic) as session:
        before = queries.orm_frames(session, None, None)
        _add_visit(awkward_clinic, 1)
        got = queries.clinic_frames(session, None, None)
    assert columnar_reads == [None] if awkward_clinic.dialect.name == "sqlite" else columnar_reads[0] is not None
    for frame, want in zip(got, before, strict=True):
        pd.testing.assert_frame_equal(frame, want)


@ON_POSTGRESQL
def test_a_postgresql_read_keeps_a_patient_whose_rows_were_voided_since_the_session_began(
    awkward_clinic, columnar_reads
):
    """The halves' patient range comes from the session: connectorx's own would be asked outside the
    snapshot, and the rows of the last patient, voided since, would fall outside it."""
    with read_session(awkward_clinic) as session:
        before = queries.orm_frames(session, None, None)
        last = int(before[1]["patient_id"].max())

        def void(other):
            set_actor(other, "test")
            for visit in other.query(Visit).filter(Visit.patient_id == last):
                visit.voided_at = datetime(2026, 6, 1, tzinfo=UTC)
                visit.void_reason = "entered in error"

        run_write(awkward_clinic, void)
        got = queries.clinic_frames(session, None, None)
    assert columnar_reads[0] is not None
    assert (got[1]["patient_id"] == last).sum() > 0
    pd.testing.assert_frame_equal(got[1], before[1])


@ON_POSTGRESQL
def test_connectorx_reads_the_schema_the_session_reads_whatever_its_name(engine):
    """A schema named "Clinic A" is not clinic_a: the search_path travels quoted and escaped."""
    import connectorx as cx
    from sqlalchemy import text

    schema = "Clinic A " + uuid.uuid4().hex[:6]
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.commit()
        try:
            conn.execute(text(f'SET search_path TO "{schema}"'))
            source = columnar.source_url(conn)
            assert source is not None
            seen = cx.read_sql(source, "SELECT current_schema() AS s", return_type="arrow").to_pylist()
            assert seen == [{"s": schema}]
        finally:
            conn.rollback()
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.commit()
