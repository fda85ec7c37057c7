"""Writes through data_model.commands: validated, one transaction each, audited (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from dashboard.widgets.feedback import sentence
from data_model import commands, queries
from data_model.audit import set_actor
from data_model.db import read_session, run_write, write_session
from data_model.models import AuditEntry, Patient, Visit
from data_model.settings import DEFAULT_SETTINGS
from data_model.validation import ValidationFailed

TODAY = date(2026, 6, 1)


def _register(engine, mrn="A100"):
    def action(session):
        set_actor(session, "nurse1")
        patient = commands.register_patient(session, {"mrn": mrn, "display_name": "Ada Test", "sex": "female"})
        commands.add_surgery(session, patient.id, {"surgery_date": "2026-01-10", "procedure": "discectomy"}, TODAY)
        return patient.id

    return run_write(engine, action)


def test_a_saved_visit_is_read_back_with_decimals_and_audited_with_who_and_after(engine):
    pid = _register(engine)
    with write_session(engine) as s:
        set_actor(s, "nurse1")
        commands.add_visit(
            s, pid, {"visit_date": "2026-03-01", "back_pain": "3.5", "leg_pain": 6, "numbness": "1"}, TODAY
        )
    with read_session(engine) as s:
        visits = queries.visits_frame(s, [pid])
        assert visits.loc[0, "back_pain"] == 3.5 and visits.loc[0, "leg_pain"] == 6.0
        assert visits.loc[0, "numbness"] == 1.0
        entry = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "visits")).one()
        assert entry.actor == "nurse1" and entry.action == "insert" and entry.patient_id == pid
        assert json.loads(entry.after)["leg_pain"] == 6.0


def test_bad_visit_names_field_and_value_and_writes_nothing(engine):
    pid = _register(engine)
    with read_session(engine) as s:
        audit_before = s.scalar(select(func.count(AuditEntry.id)))
    with pytest.raises(ValidationFailed) as failure, write_session(engine) as s:
        set_actor(s, "nurse1")
        commands.add_visit(s, pid, {"visit_date": "2026-03-01", "back_pain": "eleven"}, TODAY)
    assert "back_pain" in str(failure.value) and "eleven" in str(failure.value)
    with read_session(engine) as s:
        assert s.scalar(select(func.count(Visit.id))) == 0
        assert s.scalar(select(func.count(AuditEntry.id))) == audit_before


def test_second_visit_on_the_same_day_needs_confirmation(engine):
    pid = _register(engine)
    visit = {"visit_date": "2026-03-01", "back_pain": 5}
    run_write(engine, lambda s: commands.add_visit(set_actor(s, "n"), pid, visit, TODAY))
    with pytest.raises(commands.SameDayVisitExists) as same_day:
        run_write(engine, lambda s: commands.add_visit(set_actor(s, "n"), pid, visit, TODAY))
    assert sentence(same_day.value.errors[0]) == (
        "Visit date: “2026-03-01” is a day this patient already has a visit on — open that visit to change it."
    )
    run_write(engine, lambda s: commands.add_visit(set_actor(s, "n"), pid, visit, TODAY, allow_same_day=True))
    with read_session(engine) as s:
        assert s.scalar(select(func.count(Visit.id))) == 2


def test_duplicate_mrn_is_refused(engine):
    _register(engine, "DUP1")
    with pytest.raises(ValidationFailed, match="mrn"):
        _register(engine, "DUP1")
    with read_session(engine) as s:
        assert s.scalar(select(func.count(Patient.id))) == 1


def test_a_clinical_write_marks_the_patient_data_as_changed(engine):
    pid = _register(engine)
    with read_session(engine) as s:
        before = s.get(Patient, pid).data_changed_at
    run_write(
        engine, lambda s: commands.add_visit(set_actor(s, "n"), pid, {"visit_date": "2026-03-02", "odi": 30}, TODAY)
    )
    with read_session(engine) as s:
        assert s.get(Patient, pid).data_changed_at > before


def test_voiding_keeps_the_visit_and_records_the_before(engine):
    pid = _register(engine)
    vid = run_write(
        engine, lambda s: commands.add_visit(set_actor(s, "n"), pid, {"visit_date": "2026-03-02", "odi": 30}, TODAY).id
    )
    run_write(engine, lambda s: commands.void_visit(set_actor(s, "n"), vid, "wrong patient"))
    with read_session(engine) as s:
        assert queries.visits_frame(s, [pid]).empty
        assert s.get(Visit, vid) is not None
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "void")).one()
        assert json.loads(entry.before)["voided_at"] is None


def test_settings_round_trip_and_only_changes_are_stored(engine):
    changed = replace(DEFAULT_SETTINGS, persistent_pain_threshold=5.0)
    run_write(engine, lambda s: commands.save_settings(set_actor(s, "admin"), changed))
    with read_session(engine) as s:
        loaded = queries.load_settings(s)
    assert loaded.persistent_pain_threshold == 5.0 and loaded.window_weeks == DEFAULT_SETTINGS.window_weeks


def test_write_without_an_actor_is_refused(engine):
    with pytest.raises(RuntimeError, match="unaudited"), write_session(engine) as s:
        commands.register_patient(s, {"mrn": "X1"})
