"""Writing the synthetic cohort: bulk inserts read back equal through the ORM, audited, all or nothing."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, insert, select

from data_model.db import read_session
from data_model.models import AuditEntry, Patient, Surgery, Treatment, Visit
from sample_data import writer
from sample_data.generator import generate_cohort
from sample_data.writer import write_cohort

TODAY = date(2026, 6, 30)
MODELS = {"patients": Patient, "surgeries": Surgery, "visits": Visit, "treatments": Treatment}


@pytest.fixture(scope="module")
def frames():
    return generate_cohort(200, seed=3, today=TODAY)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _orm_rows(session, model, columns: list[str]) -> pd.DataFrame:
    stmt = select(Patient.mrn, *(getattr(model, c) for c in columns))
    stmt = stmt.join(Patient, Patient.id == model.patient_id)
    return pd.DataFrame(session.execute(stmt).all(), columns=["mrn", *columns])


def _as_dates(column: pd.Series) -> pd.Series:
    return column.map(lambda d: None if pd.isna(d) else pd.Timestamp(d).date())


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def test_writing_a_cohort_stores_every_row_and_returns_the_counts(engine, frames):
    counts = write_cohort(engine, frames)
    assert counts == frames.counts() and counts["visits"] > counts["patients"]
    with read_session(engine) as s:
        for name, model in MODELS.items():
            assert _count(s, model) == counts[name]
            assert set(s.scalars(select(model.source).distinct())) == {"seed"}
        assert set(s.scalars(select(Visit.pain_instrument).distinct())) == {"NRS"}
        patient = s.scalars(select(Patient).where(Patient.mrn == "MRN000001")).one()
        assert isinstance(patient.created_at, datetime) and patient.data_changed_at == patient.created_at
        assert patient.created_at.year >= 2025


def test_values_read_back_equal_through_the_orm(engine, frames):
    with engine.begin() as conn:  # a patient already there: the cohort's ids must not be off by one
        conn.execute(insert(Patient).values(mrn="CLINIC-1", sex="female", source="form"))
    write_cohort(engine, frames)
    with read_session(engine) as s:
        patients = pd.DataFrame(
            s.execute(
                select(Patient.mrn, Patient.display_name, Patient.birth_year, Patient.sex).where(
                    Patient.source == "seed"
                )
            ).all(),
            columns=["mrn", "display_name", "birth_year", "sex"],
        )
        pd.testing.assert_frame_equal(_sorted(patients, ["mrn"]), _sorted(frames.patients, ["mrn"]))

        visit_columns = list(frames.visits.columns[1:])
        visits = _sorted(_orm_rows(s, Visit, visit_columns), ["mrn", "visit_date"])
        expected = _sorted(frames.visits, ["mrn", "visit_date"])
        assert visits["visit_date"].tolist() == _as_dates(expected["visit_date"]).tolist()
        for column in ("back_pain", "leg_pain", "odi", "mme_per_day"):
            read = visits[column].to_numpy(dtype=float)  # NULL reads as None, then NaN
            np.testing.assert_array_equal(read, expected[column].to_numpy())
        for column in ("numbness", "tingling", "weakness"):
            read = visits[column].map({True: 1.0, False: 0.0, None: np.nan}).to_numpy(dtype=float)
            np.testing.assert_array_equal(read, expected[column].to_numpy())
            assert visits[column].isna().any()
        assert visits["notes"].tolist() == expected["notes"].tolist()

        surgeries = _sorted(_orm_rows(s, Surgery, list(frames.surgeries.columns[1:])), ["mrn", "surgery_date"])
        expected = _sorted(frames.surgeries, ["mrn", "surgery_date"])
        assert surgeries["surgery_date"].tolist() == _as_dates(expected["surgery_date"]).tolist()
        for column in ("procedure", "spinal_levels", "surgeon", "notes"):
            assert surgeries[column].tolist() == expected[column].tolist()

        treatments = _orm_rows(s, Treatment, list(frames.treatments.columns[1:]))
        keys = ["mrn", "start_date", "code"]
        treatments = _sorted(treatments, keys)
        expected = frames.treatments.assign(start_date=_as_dates(frames.treatments["start_date"]))
        expected = _sorted(expected, keys)
        assert treatments["start_date"].tolist() == expected["start_date"].tolist()
        assert treatments["end_date"].tolist() == _as_dates(expected["end_date"]).tolist()
        assert treatments["end_date"].isna().any()
        assert treatments["code"].tolist() == expected["code"].tolist()
        assert treatments["notes"].tolist() == expected["notes"].tolist()


def test_the_seed_is_audited_once_with_its_counts(engine, frames):
    counts = write_cohort(engine, frames, actor="benchmark")
    with read_session(engine) as s:
        entry = s.scalars(select(AuditEntry)).one()
    assert entry.action == "seed" and entry.actor == "benchmark"
    assert json.loads(entry.detail) == counts


def test_a_second_write_with_the_same_mrns_names_them_and_writes_nothing(engine, frames):
    write_cohort(engine, frames)
    overlapping = generate_cohort(250, seed=99, today=TODAY)  # MRN000001..MRN000250
    with pytest.raises(ValueError, match="MRN000001") as failure:
        write_cohort(engine, overlapping)
    assert "200" in str(failure.value)
    with read_session(engine) as s:
        for name, model in MODELS.items():
            assert _count(s, model) == frames.counts()[name]
        assert _count(s, AuditEntry) == 1
        assert s.scalar(select(Patient.id).where(Patient.mrn == "MRN000250")) is None


def test_a_cohort_with_a_repeated_mrn_is_refused(engine):
    small = generate_cohort(5, seed=1, today=TODAY)
    patients = pd.concat([small.patients, small.patients.iloc[:1]], ignore_index=True)
    broken = type(small)(patients, small.surgeries, small.visits, small.treatments, small.archetypes)
    with pytest.raises(ValueError, match="MRN000001"):
        write_cohort(engine, broken)
    with read_session(engine) as s:
        assert _count(s, Patient) == 0


def test_the_portable_core_path_writes_the_same_rows(engine, monkeypatch):
    monkeypatch.setattr(writer, "_fast_path", lambda conn: False)
    small = generate_cohort(20, seed=5, today=TODAY)
    assert write_cohort(engine, small) == small.counts()
    with read_session(engine) as s:
        visits = _sorted(_orm_rows(s, Visit, ["visit_date", "leg_pain", "weakness"]), ["mrn", "visit_date"])
        created = s.scalars(select(Visit.created_at).limit(1)).one()
    expected = _sorted(small.visits, ["mrn", "visit_date"])
    assert visits["visit_date"].tolist() == _as_dates(expected["visit_date"]).tolist()
    np.testing.assert_array_equal(visits["leg_pain"].to_numpy(dtype=float), expected["leg_pain"].to_numpy())
    assert isinstance(created, datetime)
