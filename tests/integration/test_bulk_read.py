"""The fast column reads give exactly the ORM's frames: same columns, dtypes, values and row order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from data_model import bulk_read, queries
from data_model.audit import set_actor
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


def test_the_benchmarks_columnar_reader_reads_exactly_what_the_app_reads(awkward_clinic):
    """dashboard/benchmark/columnar.py (connectorx) against the app's reader, array for array: the
    bench's side-by-side figures compare the same work (docs/PERFORMANCE.md). The app's arrays are
    read and its connections closed first: connectorx's own SQLite must not share the process with an
    open sqlite3 connection (two copies of SQLite break each other's locks)."""
    from dashboard.benchmark import columnar

    with read_session(awkward_clinic) as session:
        conn = session.connection()
        source = columnar.source_url(conn)
        wanted = {
            (table.name, as_of): bulk_read.read(conn, table, None, as_of)
            for table in bulk_read.TABLES.values()
            for as_of in (None, date(2025, 6, 1))
        }
    awkward_clinic.dispose()
    for (name, as_of), want in wanted.items():
        table = bulk_read.TABLES[name]
        got = columnar.read(source, table, as_of)
        for column in table.columns:
            assert got[column.name].dtype == want[column.name].dtype, (name, column.name)
            assert pd.Series(got[column.name]).equals(pd.Series(want[column.name])), (name, column.name)
