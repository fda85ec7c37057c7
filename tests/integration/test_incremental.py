"""After a write, refreshing the held evaluation gives what a full evaluation of the clinic gives."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import text

from data_model import commands, queries
from data_model.audit import record_event, set_actor
from data_model.db import read_session, run_write, write_session
from data_model.flags.engine import flags_with_curve
from data_model.models import AuditEntry
from data_model.services import incremental
from data_model.services.evaluation import evaluate_clinic
from data_model.settings import DEFAULT_SETTINGS
from sample_data.generator import generate_cohort
from sample_data.writer import write_cohort

TODAY = date(2026, 6, 30)


@pytest.fixture
def clinic(engine):
    write_cohort(engine, generate_cohort(150, seed=21, today=TODAY))
    with read_session(engine) as session:
        held = evaluate_clinic(session, TODAY)
    return engine, held


def _write(engine, action):
    return run_write(engine, lambda session: action(set_actor(session, "tester")))


def _refresh(engine, held):
    with read_session(engine) as session:
        return incremental.refresh(session, held, TODAY), evaluate_clinic(session, TODAY)


def _assert_same_data(got, full):
    for name in ("surgeries", "visits", "treatments"):
        pd.testing.assert_frame_equal(getattr(got.data, name), getattr(full.data, name))
    pd.testing.assert_frame_equal(got.status, full.status)
    assert got.version == full.version


def _patients_with_visits(held, n):
    return [int(p) for p in held.data.visits["patient_id"].drop_duplicates().sample(n, random_state=1)]


def test_a_new_visit_updates_that_patient_exactly_as_a_full_evaluation(clinic):
    engine, held = clinic
    pid = _patients_with_visits(held, 1)[0]
    _write(engine, lambda s: commands.add_visit(s, pid, {"visit_date": TODAY, "back_pain": 9, "leg_pain": 9.5}))
    got, full = _refresh(engine, held)
    _assert_same_data(got, full)
    assert got.curve is held.curve  # the clinic curve is held, not rebuilt from one patient
    # every flag as in the full evaluation, OFF_TRACK judged against the held curve
    expected = flags_with_curve(
        full.data.surgeries, full.data.visits, full.data.treatments, full.settings, TODAY, held_curve=held.curve
    )[1]
    pd.testing.assert_frame_equal(got.flags, expected)
    assert 9.5 in got.data.visits.loc[got.data.visits["patient_id"] == pid, "leg_pain"].tolist()


def test_voids_treatments_and_several_patients_at_once(clinic):
    engine, held = clinic
    first, second, third = _patients_with_visits(held, 3)
    visit_id = int(held.data.visits.loc[held.data.visits["patient_id"] == first, "visit_id"].iloc[-1])
    _write(engine, lambda s: commands.void_visit(s, visit_id, "entered on the wrong patient"))
    _write(
        engine,
        lambda s: commands.add_treatment(
            s, second, {"treatment": "physical_therapy", "start_date": TODAY - timedelta(30)}
        ),
    )
    _write(engine, lambda s: commands.add_visit(s, third, {"visit_date": TODAY, "back_pain": 0, "leg_pain": 0}))
    got, full = _refresh(engine, held)
    _assert_same_data(got, full)
    assert visit_id not in got.data.visits["visit_id"].tolist()


def test_nothing_clinical_changed_keeps_the_evaluation(clinic):
    engine, held = clinic
    _write(engine, lambda s: record_event(s, "login", {"username": "doc"}))
    got, _ = _refresh(engine, held)
    assert got.version > held.version
    assert got.status is held.status and got.flags is held.flags


@pytest.mark.parametrize("change", ["settings", "bulk import"])
def test_settings_and_bulk_writes_evaluate_everyone_again(clinic, change):
    engine, held = clinic
    if change == "settings":
        stricter = replace(DEFAULT_SETTINGS, off_track_percentile=60.0)
        _write(engine, lambda s: commands.save_settings(s, stricter))
    else:
        _write(engine, lambda s: record_event(s, "import_csv", {"rows": {"visits": 0}}))
    got, full = _refresh(engine, held)
    _assert_same_data(got, full)
    pd.testing.assert_frame_equal(got.flags, full.flags)
    assert got.curve is not held.curve
    if change == "settings":
        assert got.settings.off_track_percentile == 60.0


def test_a_new_day_evaluates_everyone(clinic):
    engine, held = clinic
    with read_session(engine) as session:
        tomorrow = incremental.refresh(session, held, TODAY + timedelta(days=1))
    assert tomorrow.as_of == TODAY + timedelta(days=1) and tomorrow.curve is not held.curve


def test_splice_keeps_order_and_dtypes_when_a_patient_is_new_or_gone():
    old = pd.DataFrame(
        {
            "patient_id": [1, 2, 2, 4],
            "v": [1.0, 2.0, 2.5, 4.0],
            "t": ["a", None, "b", "d"],
            "m": pd.array([True, None, False, True], dtype="boolean"),
        }
    )
    new = pd.DataFrame(
        {
            "patient_id": [3, 4, 4],
            "v": [3.0, 4.5, 4.6],
            "t": [None, "x", "y"],
            "m": pd.array([None, True, False], dtype="boolean"),
        }
    )
    got = incremental.splice(old, new, pd.array([2, 3, 4]).to_numpy("int64"))
    assert got["patient_id"].tolist() == [1, 3, 4, 4]
    assert got["v"].tolist() == [1.0, 3.0, 4.5, 4.6]
    pd.testing.assert_series_equal(got.dtypes, old.dtypes)


def _same_as_full(got, full):
    _assert_same_data(got, full)
    pd.testing.assert_frame_equal(got.flags, full.flags)


def test_the_next_day_is_evaluated_from_the_held_rows_without_reading_them(clinic, monkeypatch):
    engine, held = clinic
    tomorrow = TODAY + timedelta(days=1)
    with read_session(engine) as session:
        full = evaluate_clinic(session, tomorrow)
        monkeypatch.setattr(incremental, "load_clinical_data", _no_reads)
        monkeypatch.setattr(incremental, "evaluate_clinic", _no_reads)
        got = incremental.refresh(session, None, tomorrow, base=held)
    _same_as_full(got, full)
    assert got.data.visits is held.data.visits  # the same rows, not a copy


def test_a_look_back_is_evaluated_from_the_held_rows_up_to_that_date(clinic, monkeypatch):
    engine, held = clinic
    earlier = TODAY - timedelta(days=120)
    with read_session(engine) as session:
        full = evaluate_clinic(session, earlier)
        monkeypatch.setattr(incremental, "evaluate_clinic", _no_reads)
        got = incremental.refresh(session, None, earlier, base=held)
    _same_as_full(got, full)
    assert (got.data.visits["visit_date"] <= pd.Timestamp(earlier)).all()


def test_rows_dated_after_the_held_date_make_the_new_date_read_everything(clinic):
    engine, held = clinic
    later = TODAY + timedelta(days=10)
    pid = _patients_with_visits(held, 1)[0]
    # dated after the held evaluation's date: a row the held data cannot have
    _write(
        engine,
        lambda s: commands.add_visit(s, pid, {"visit_date": TODAY + timedelta(days=3), "back_pain": 7}, today=later),
    )
    with read_session(engine) as session:
        assert incremental.redate(session, held, later) is None
        got = incremental.refresh(session, None, later, base=held)
        full = evaluate_clinic(session, later)
    _same_as_full(got, full)


def test_a_write_after_the_held_evaluation_is_applied_on_the_new_date_too(clinic):
    engine, held = clinic
    pid = _patients_with_visits(held, 1)[0]
    _write(engine, lambda s: commands.add_visit(s, pid, {"visit_date": TODAY, "back_pain": 9, "leg_pain": 9}))
    tomorrow = TODAY + timedelta(days=1)
    with read_session(engine) as session:
        got = incremental.refresh(session, None, tomorrow, base=held)
        full = evaluate_clinic(session, tomorrow)
    _assert_same_data(got, full)


def _no_reads(*args, **kwargs):
    raise AssertionError("the rows were read again")


def test_a_restored_log_at_the_same_version_is_evaluated_afresh(clinic):
    """A restore can bring the audit log back to an id the app has seen, with other data behind it."""
    engine, held = clinic
    pid = _patients_with_visits(held, 1)[0]
    visit = _write(engine, lambda s: commands.add_visit(s, pid, {"visit_date": TODAY, "back_pain": 10, "leg_pain": 10}))
    visit_id = visit.id
    with read_session(engine) as session:
        seen = incremental.refresh(session, held, TODAY)
    # what a restore of the backup taken before that visit leaves: the visit and its entry gone, and the
    # restore's own entry at the very id the app saw last
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM visits WHERE id = :id"), {"id": visit_id})
        conn.execute(text("DELETE FROM audit_log WHERE id > :v"), {"v": held.version.last_id})
    # (neither SQLite's AUTOINCREMENT nor PostgreSQL's sequence reuses a freed id: it is given)
    _write(engine, lambda s: s.add(AuditEntry(id=seen.version.last_id, actor="tester", action="restore", detail="{}")))
    with read_session(engine) as session:
        assert queries.data_version(session).last_id == seen.version.last_id  # the same number, another log
        got = incremental.refresh(session, seen, TODAY)
        full = evaluate_clinic(session, TODAY)
    _same_as_full(got, full)
    assert visit_id not in got.data.visits["visit_id"].tolist()


POSTGRES_ONLY = [pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("engine", POSTGRES_ONLY, indirect=True)
def test_a_save_committed_after_a_later_one_was_seen_is_not_missed(engine):
    """PostgreSQL writers no longer queue on one lock, so audit ids commit out of order: a save whose
    id came first but which commits after another's later id was seen must still reach the flags.
    (SQLite has one writer: its ids commit in order, and there is no such interleaving to test.)"""
    write_cohort(engine, generate_cohort(20, seed=2, today=TODAY))
    with read_session(engine) as session:
        held = evaluate_clinic(session, TODAY)
    early_patient, late_patient = _patients_with_visits(held, 2)
    late_done = threading.Event()
    ids = {}

    def late_writer():
        ids["late"] = _write(
            engine, lambda s: commands.add_visit(s, late_patient, {"visit_date": TODAY, "back_pain": 2, "leg_pain": 1})
        ).id
        late_done.set()

    with write_session(engine) as early:
        set_actor(early, "tester")
        ids["early"] = commands.add_visit(early, early_patient, {"visit_date": TODAY, "back_pain": 9, "leg_pain": 8}).id
        early.flush()  # its audit entry, and so its audit id, is written: the smaller id
        worker = threading.Thread(target=late_writer)
        worker.start()
        # the other save goes through while this one is still open (a global lock would hold it here)
        worker.join(120)
        assert late_done.is_set(), "a save waited for another writer's open transaction"
        with read_session(engine) as session:
            middle = incremental.refresh(session, held, TODAY)
        assert ids["late"] in middle.data.visits["visit_id"].tolist()
        assert ids["early"] not in middle.data.visits["visit_id"].tolist()
    with read_session(engine) as session:
        order = (
            session.execute(
                text("SELECT row_id FROM audit_log WHERE table_name = 'visits' AND action = 'insert' ORDER BY id")
            )
            .scalars()
            .all()
        )
    assert order[-2:] == [ids["early"], ids["late"]], "the early save holds the smaller audit id"

    with read_session(engine) as session:
        assert queries.data_version(session) != middle.version  # a cache keyed on it sees the late commit
    got, full = _refresh(engine, middle)
    _assert_same_data(got, full)
    assert ids["early"] in got.data.visits["visit_id"].tolist()


def test_saves_from_many_writers_at_once_all_reach_a_refreshed_evaluation(clinic) -> None:
    """Writers saving side by side while a reader keeps refreshing: the last refresh holds every save."""
    engine, held = clinic
    patients = _patients_with_visits(held, 4)
    saved: list[int] = []
    stop = threading.Event()

    def writer(pid):
        for day in range(8):
            saved.append(
                _write(
                    engine,
                    lambda s, day=day: commands.add_visit(
                        s, pid, {"visit_date": TODAY - timedelta(days=day), "back_pain": day % 11}, allow_same_day=True
                    ),
                ).id
            )

    def reader():
        current = held
        while not stop.is_set():
            with read_session(engine) as session:
                current = incremental.refresh(session, current, TODAY)
        refreshed.append(current)

    refreshed: list = []
    watcher = threading.Thread(target=reader)
    watcher.start()
    writers = [threading.Thread(target=writer, args=(pid,)) for pid in patients]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
    stop.set()
    watcher.join(120)
    got, full = _refresh(engine, refreshed[0])
    _assert_same_data(got, full)
    assert set(saved) <= set(got.data.visits["visit_id"].tolist()) and len(saved) == 32
