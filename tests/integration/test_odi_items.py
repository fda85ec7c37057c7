"""A visit's ODI sections through the write path: stored, the total computed from them and marked so,
read back on the patient's record, audited, and scored with the clinic's own minimum of sections."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from data_model import commands, odi, queries
from data_model.audit import set_actor
from data_model.db import read_session, run_write
from data_model.models import AuditEntry
from data_model.settings import DEFAULT_SETTINGS
from data_model.validation import ValidationFailed

TODAY = date(2026, 6, 1)
# pain intensity 4, personal care 2, lifting 3, walking 2, sitting 3, standing 2, sleeping 1, sex life
# skipped, social life 2, travelling 1: 20 points over nine sections = 20 / 45 × 100 = 44.44
NINE = dict(zip(odi.KEYS, (4, 2, 3, 2, 3, 2, 1, None, 2, 1), strict=True))


def _patient(engine) -> int:
    def action(session):
        set_actor(session, "nurse1")
        return commands.register_patient(session, {"mrn": "ODI1"}).id

    return run_write(engine, action)


def _raw(scores: dict[str, int | None], **more) -> dict:
    return {"visit_date": "2026-05-01", **{odi.column(k): v for k, v in scores.items()}, **more}


def _save(engine, pid: int, raw: dict, source: str = "form") -> int:
    def action(session):
        set_actor(session, "nurse1")
        return commands.add_visit(session, pid, raw, TODAY, source=source).id

    return run_write(engine, action)


def test_a_patient_s_nine_answers_are_stored_scored_read_back_and_audited(engine):
    pid = _patient(engine)
    visit_id = _save(engine, pid, _raw(NINE), source="patient")
    with read_session(engine) as s:
        row = queries.visits_table(s, pid).iloc[0]
        assert row["odi"] == pytest.approx(44.444, abs=0.001) and row["odi_source"] == odi.FROM_SECTIONS
        assert row["source"] == "patient"
        stored = {key: row[odi.column(key)] for key in odi.KEYS}
        assert {k: v for k, v in stored.items() if k != "sex_life"} == {
            k: v for k, v in NINE.items() if k != "sex_life"
        }
        assert stored["sex_life"] is None or stored["sex_life"] != stored["sex_life"]  # NULL (NaN in a frame)
        after = json.loads(
            s.scalars(
                select(AuditEntry.after).where(AuditEntry.table_name == "visits", AuditEntry.row_id == visit_id)
            ).one()
        )
        assert after["odi_pain_intensity"] == 4 and after["odi_sex_life"] is None


def test_a_correction_keeps_the_patient_s_answers_in_the_audit_trail(engine):
    pid = _patient(engine)
    visit_id = _save(engine, pid, _raw(NINE), source="patient")

    def correct(session):
        set_actor(session, "nurse2")
        # the patient meant "walking 4": 22 of 45 = 48.89
        return commands.correct_visit(session, visit_id, _raw({**NINE, "walking": 4}), TODAY).odi

    assert run_write(engine, correct) == pytest.approx(48.889, abs=0.001)
    with read_session(engine) as s:
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.table_name == "visits", AuditEntry.row_id == visit_id, AuditEntry.action == "update"
            )
        ).one()
        assert entry.actor == "nurse2"
        assert json.loads(entry.before)["odi_walking"] == 2 and json.loads(entry.after)["odi_walking"] == 4


def test_a_total_alone_is_stored_as_entered(engine):
    pid = _patient(engine)
    _save(engine, pid, {"visit_date": "2026-05-01", "odi": "36"})
    with read_session(engine) as s:
        row = queries.visits_table(s, pid).iloc[0]
        assert row["odi"] == 36.0 and row["odi_source"] == odi.ENTERED_TOTAL


def test_a_disagreeing_total_is_refused_and_nothing_is_written(engine):
    pid = _patient(engine)
    with pytest.raises(ValidationFailed) as failure:
        _save(engine, pid, _raw(NINE, odi="60"))
    assert [e.field for e in failure.value.errors] == ["odi"] and "44.4" in failure.value.errors[0].message
    with read_session(engine) as s:
        assert queries.visits_table(s, pid).empty


def test_the_clinic_s_minimum_of_sections_decides_whether_nine_are_scored(engine):
    pid = _patient(engine)

    def strict(session):
        set_actor(session, "admin")
        commands.save_settings(session, replace(DEFAULT_SETTINGS, odi_min_sections=10))

    run_write(engine, strict)
    _save(engine, pid, _raw(NINE))
    with read_session(engine) as s:
        row = queries.visits_table(s, pid).iloc[0]
        assert row["odi"] is None or row["odi"] != row["odi"]  # not scored: NULL
        assert row["odi_pain_intensity"] == 4
