"""The pages' only door to the store: one cached engine, reads cached by data version, audited writes."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from typing import TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from dashboard import state
from dashboard.signin import browser_session
from dashboard.store import database_url, engine, engine_for
from data_model import clock, odi, queries
from data_model.access import accounts
from data_model.audit import record_event, set_actor
from data_model.changes import Version
from data_model.db import read_session, run_write
from data_model.exchange import deidentify
from data_model.exchange.csv_folder.export import export_csv, zip_bytes
from data_model.exchange.pseudonyms import ensure_site_key
from data_model.flags.clinic_curve import Curve
from data_model.outreach.contacts import contacts_frame
from data_model.services import incremental
from data_model.services import patient as patient_service
from data_model.services.cohort import CohortFilter, CohortView, cohort_view
from data_model.services.evaluation import Evaluation
from data_model.services.follow_ups import cohort_follow_up, follow_up_list
from data_model.services.patient import PatientRecord
from data_model.services.worklist import worklist_of
from data_model.settings import Settings

T = TypeVar("T")


def data_version() -> Version:
    """Grows with every audited write; part of every cache key so a save shows on the next rerun."""
    with read_session(engine()) as session:
        return queries.data_version(session)


def _read(fn: Callable[[Session], T]) -> T:
    with read_session(engine()) as session:
        return fn(session)


@st.cache_data(max_entries=16, show_spinner="Loading settings…")
def _settings(url: str, version: Version) -> Settings:
    return _read(queries.load_settings)


def settings() -> Settings:
    return _settings(database_url(), data_version())


def today() -> date:
    """The site's date now (data_model.clock.site_today): every page's as-of date and default date. Not
    cached: the evaluation caches are keyed by it, so the site's new day starts a new evaluation."""
    return clock.site_today(settings())


class _HeldEvaluation:
    """The latest evaluation of the clinic for one date, shared by every session of this server."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: Evaluation | None = None
        self.rereading = False  # a daily read of every row is under way (one at a time)


# cache_resource, not cache_data: the evaluation holds every visit of the clinic, and cache_data
# would copy it on every read. Nothing mutates an Evaluation; refresh() returns a new one.
@st.cache_resource(max_entries=2, show_spinner=False)  # today and one other date: each holds every visit
def _held(url: str, as_of: date) -> _HeldEvaluation:
    return _HeldEvaluation()


# The evaluation last made for any date: a new day (or a look back) starts from its rows.
@st.cache_resource(max_entries=4, show_spinner=False)
def _latest(url: str) -> _HeldEvaluation:
    return _HeldEvaluation()


def evaluation(as_of: date) -> Evaluation:
    """The evaluation of the data as it is now: after a write only the patients it touched are
    evaluated again, and a new date starts from the rows held for another (incremental.py); only the
    first evaluation of a server reads every row (made when the server starts: see warm_up)."""
    return _evaluation(as_of, lambda text: st.spinner(text, show_time=True))


def _evaluation(as_of: date, spinner: Callable[[str], AbstractContextManager[object]]) -> Evaluation:
    url = database_url()
    version, held, latest = data_version(), _held(url, as_of), _latest(url)
    with held.lock:
        current = held.current
        # != and not <: after a restore the version can go back
        if current is None or current.version != version:
            base = latest.current if current is None else None
            wait_text = (
                "Updating the flags…" if current is not None or base is not None else "Evaluating every patient…"
            )
            with spinner(wait_text):
                held.current = current = _read(lambda s: incremental.refresh(s, held.current, as_of, base))
            latest.current = current
            # "once a day" is the site's day: its new day reads every row again behind the held rows
            stale = current.read_at is not None and clock.site_day_of(current.read_at, current.settings) < today()
            if stale and not held.rereading:
                _read_again_in_background(held, as_of)
        return current


def warm_up(as_of: date) -> None:
    """Evaluate every patient and make the worklist for this date, as a page would, before anyone asks:
    run once when the server starts (dashboard/server_start.py), so the first clinician after a start
    finds the worklist ready instead of waiting for every row to be read. A page that asks meanwhile
    waits for this evaluation (held.lock) instead of making a second one."""
    settings()
    ev = _evaluation(as_of, lambda _text: nullcontext())
    _worklist(database_url(), _key(ev), as_of, ev)


def _read_again_in_background(held: _HeldEvaluation, as_of: date) -> None:
    """Every row read again, once a day, behind the evaluation a new day started from the held rows:
    the audit log is trusted for the day, not for ever (a fix made outside PainTrail shows by the next
    day). The page does not wait; the fresh evaluation replaces the held one when it is ready."""
    eng = engine()  # taken here: the thread has no Streamlit script context
    held.rereading = True  # the caller holds held.lock

    def work() -> None:
        try:
            with read_session(eng) as session:
                fresh = incremental.refresh(session, None, as_of)
        except Exception:  # the held evaluation stays; the next update of it tries again
            logging.getLogger(__name__).exception("the daily read of every row failed")
            with held.lock:
                held.rereading = False
            return
        with held.lock:
            held.rereading = False
            if held.current is not None and held.current.as_of == fresh.as_of:
                held.current = fresh  # a write during the read is applied at the next rerun (version differs)

    threading.Thread(target=work, name="paintrail-daily-read", daemon=True).start()


def _key(ev: Evaluation) -> tuple:
    """What names an evaluation's content: its data version and when its rows were read."""
    return (ev.version, ev.read_at)


# Figures derived from an evaluation are cached by its _key; the evaluation itself is passed
# unhashed (the leading underscore): hashing every visit of the clinic on each rerun would cost more
# than the figures.
@st.cache_data(max_entries=8, show_spinner="Computing the worklist…")
def _worklist(url: str, key: tuple, as_of: date, _evaluation: Evaluation) -> pd.DataFrame:
    return _read(lambda s: worklist_of(s, _evaluation))


@st.cache_data(max_entries=16, show_spinner="Computing the cohort figures…")
def _cohort(url: str, key: tuple, as_of: date, chosen: CohortFilter, _evaluation: Evaluation) -> CohortView:
    return cohort_view(_evaluation, chosen)


def cohort(as_of: date, chosen: CohortFilter) -> CohortView:
    ev = evaluation(as_of)
    return _cohort(database_url(), _key(ev), as_of, chosen, ev)


def worklist(as_of: date) -> pd.DataFrame:
    ev = evaluation(as_of)
    return _worklist(database_url(), _key(ev), as_of, ev)


@st.cache_data(max_entries=64, show_spinner=False)
def _patient_record(
    url: str, version: Version, patient_id: int, as_of: date, key: tuple | None, _curve: Curve | None
) -> PatientRecord | None:
    return _read(lambda s: patient_service.patient_record(s, patient_id, as_of, clinic_curve=_curve))


def patient_record(patient_id: int, as_of: date, against_clinic: bool = False) -> PatientRecord | None:
    """The patient's record. against_clinic (the patient page): judged with the clinic curve of the held
    evaluation of everyone (made once per date and server, never per patient), so OFF_TRACK reads as on
    the worklist and the chart gets its expected-recovery band. Without it (a form that needs the
    patient's visits only), nothing of the rest of the clinic is read."""
    if not against_clinic:
        return _patient_record(database_url(), data_version(), patient_id, as_of, None, None)
    ev = evaluation(as_of)
    return _patient_record(database_url(), data_version(), patient_id, as_of, _key(ev), ev.curve)


@st.cache_data(max_entries=2, show_spinner=False)
def _odi_wording(path: str) -> odi.Wording:
    return odi.load_wording(path)


def odi_wording() -> odi.Wording:
    """The site's ODI statements (odi.load_wording); odi.WordingError when its file cannot be used."""
    return _odi_wording(os.environ.get(odi.WORDING_ENV, "").strip())


def find_patients(text: str) -> pd.DataFrame:
    return _read(lambda s: queries.find_patients(s, text))


@st.cache_data(max_entries=4, show_spinner=False)
def _surgeons(url: str, version: Version) -> list[str]:
    return _read(queries.surgeons)


def surgeons() -> list[str]:
    return _surgeons(database_url(), data_version())


def write(action: Callable[[Session], T]) -> T:
    """Run one user action as the signed-in user: one transaction, audited, retried while busy. The sign-in
    is checked again first: a widget callback runs before the check at the top of the script."""
    user = browser_session.require_signed_in()
    return run_write(engine(), lambda session: action(set_actor(session, user.username)))


def users() -> pd.DataFrame:
    return _read(queries.users_frame)


def audit(actor: str | None, table: str | None, patient_id: int | None, limit: int) -> pd.DataFrame:
    return _read(lambda s: queries.audit_frame(s, actor, table, patient_id, limit))


def count_users() -> int:
    return _read(accounts.count_users)


@st.cache_data(max_entries=8, show_spinner="Listing follow-ups…")
def _follow_ups(url: str, key: tuple, as_of: date, days_ahead: int, _evaluation: Evaluation) -> pd.DataFrame:
    return _read(lambda s: follow_up_list(s, _evaluation, days_ahead))


def follow_ups(as_of: date, days_ahead: int = 7) -> pd.DataFrame:
    ev = evaluation(as_of)
    return _follow_ups(database_url(), _key(ev), as_of, days_ahead, ev)


# --- exports: the pseudonym key, de-identified reads, and downloads made on click and audited ---------


def _actor() -> str:
    user = state.current_user()
    return user.username if user else "anonymous"


# Created once per database, the first time anyone needs it (an audited write), then read from memory.
@st.cache_resource(max_entries=4, show_spinner=False)
def _site_key(url: str, _actor_name: str) -> str:
    return run_write(engine_for(url), lambda session: ensure_site_key(set_actor(session, _actor_name)))


def site_key() -> str:
    """The pseudonym key; raises pseudonyms.PseudonymKeyMissing when $PAINTRAIL_PSEUDONYM_KEY is unusable."""
    return _site_key(database_url(), _actor())


def deidentified_worklist_maker(as_of: date, patient_ids: list[int]) -> Callable[[], pd.DataFrame]:
    """A maker of the worklist of these patients by pseudonym: no MRN, name, surgeon or dates
    (deidentify.py). The worklist and the key are taken now; the pseudonyms are made when called."""
    frame, key = worklist(as_of), site_key()
    return lambda: deidentify.deidentified_worklist(frame[frame["patient_id"].isin(list(patient_ids))], key)


def audited(event: str, detail: dict, make: Callable[[], bytes], patient_id: int | None = None) -> Callable[[], bytes]:
    """make() for a deferred download button, recorded in the audit trail as the signed-in user when the
    file is made. The engine and user are taken now: the click runs outside the page script."""
    eng, actor = engine(), _actor()

    def run() -> bytes:
        content = make()
        run_write(eng, lambda session: record_event(set_actor(session, actor), event, detail, patient_id))
        return content

    return run


def deidentified_csv_zip(patient_ids: list[int]) -> Callable[[], bytes]:
    """A maker of the de-identified CSV import folder of these patients as one zip (read on click)."""
    eng, key, ids = engine(), site_key(), [int(i) for i in patient_ids]

    def make() -> bytes:
        with read_session(eng) as session:
            return zip_bytes(export_csv(session, ids, deidentify=True, key=key))

    return make


# --- follow-up outreach: the contact log, the cohort's share seen and lost, letters audited per patient -----


@st.cache_data(max_entries=16, show_spinner=False)
def _contact_log(url: str, version: Version, patient_ids: tuple[int, ...]) -> pd.DataFrame:
    return _read(lambda s: contacts_frame(s, list(patient_ids), with_voided=True))


def contact_log(patient_ids: list[int]) -> pd.DataFrame:
    """Every contact attempt logged for these patients (outreach.contacts.CONTACT_COLUMNS), oldest first;
    voided ones too (voided_at set), for the log staff read."""
    return _contact_log(database_url(), data_version(), tuple(sorted(set(patient_ids))))


@st.cache_data(max_entries=16, show_spinner="Counting who was seen and lost…")
def _cohort_follow_up(url: str, key: tuple, as_of: date, chosen: CohortFilter, _evaluation: Evaluation) -> pd.DataFrame:
    view = _cohort(url, key, as_of, chosen, _evaluation)
    ids = [int(i) for i in view.patients["patient_id"]]
    return _read(lambda s: cohort_follow_up(s, _evaluation, ids))


def cohort_follow_up_shares(as_of: date, chosen: CohortFilter) -> pd.DataFrame:
    """Per time point, the cohort's patients past its window: seen, lost (declined, unreachable), not seen."""
    ev = evaluation(as_of)
    return _cohort_follow_up(database_url(), _key(ev), as_of, chosen, ev)


def audited_per_patient(event: str, details: list[tuple[int, dict]], make: Callable[[], bytes]) -> Callable[[], bytes]:
    """make() for a deferred download about several patients (reminder letters): when the file is made, one
    audit entry per (patient, detail), all in one transaction, so each patient's trail shows it."""
    eng, actor = engine(), _actor()

    def run() -> bytes:
        content = make()

        def record(session: Session) -> None:
            set_actor(session, actor)
            for patient_id, detail in details:
                record_event(session, event, detail, patient_id)

        run_write(eng, record)
        return content

    return run
