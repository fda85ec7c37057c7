"""The worklist, patient and cohort pages rendered through Streamlit's AppTest, cold and warm."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.logger
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.signin import browser_session
from data_model.access.accounts import SignedIn
from data_model.db import URL_ENV

from .measures import peak, stopwatch, summary
from .progress import say

APP = Path(__file__).resolve().parents[1] / "app.py"
TIMEOUT = 120  # seconds: a cold page on 100,000 patients on a slow machine must not time out
READER = SignedIn("bench", "clinician", "Benchmark")  # the worklist is a clinician's landing page
PAGES = {"worklist": None, "patient": "pages/patient.py", "cohort": "pages/cohort.py"}


class PageFailed(RuntimeError):
    """A page raised or showed an error: its timing would measure the wrong thing."""


def _reader_signed_in() -> SignedIn:
    state.sign_in(READER, None)
    return READER


def use_database(url: str) -> None:
    """Point the app under test at the benchmark database (AppTest runs it in this process), read by
    READER. AppTest sends no cookie, and signing in is not what is measured: the benchmark's reader is
    signed in without one, and no timer watches the sign-in."""
    browser_session.signed_in = _reader_signed_in
    browser_session.watch = lambda: None
    os.environ[URL_ENV] = url
    os.environ.pop("PAINTRAIL_DEMO", None)
    # AppTest outside `streamlit run` warns about the missing runtime on every cache call: noise here.
    st.config.set_option("logger.level", "error")
    streamlit.logger.set_log_level("error")


def _clear_caches() -> None:
    """A cold page: nothing cached, as in a freshly started server (engine, settings, evaluation)."""
    st.cache_data.clear()
    st.cache_resource.clear()


def _app(page: str | None, patient_id: int) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state[state.USER] = READER  # AppTest may run a requested page without the entrypoint
    at.session_state[state.PATIENT_ID] = patient_id
    if page is not None:
        # Before the first run AppTest finds a page by its file name, which is how navigation.py names them.
        at.switch_page(page)
    return at


def _render(at: AppTest, name: str) -> AppTest:
    at.run()
    problems = [e.value for e in at.exception] + [e.value for e in at.error]
    if problems:
        raise PageFailed(f"the {name} page failed: " + " | ".join(str(p) for p in problems))
    if name == "patient" and not at.get("plotly_chart"):  # not the "find a patient" prompt instead
        raise PageFailed("the patient page did not open the patient")
    return at


def _cold(name: str, patient_id: int) -> AppTest:
    _clear_caches()
    return _render(_app(PAGES[name], patient_id), name)


def page(name: str, patient_ids: list[int], runs: int, traced: bool) -> dict[str, dict[str, Any]]:
    """name_cold: the page rendered with every cache empty; name_warm: the same session rerun, caches full.

    An untimed first render loads the modules the page imports (plotly, lifelines, ...): cold measures
    the data work of an empty cache, not Python importing code, and that first render is reported apart.
    Traced: one cold and one warm render under tracemalloc, for their memory peaks.
    """
    first, _ = stopwatch(lambda: _cold(name, patient_ids[0]))
    if traced:
        ready: list[AppTest] = []
        cold_peak = peak(lambda: ready.append(_cold(name, patient_ids[0])))
        warm_peak = peak(lambda: _render(ready[0], name))
        _clear_caches()
        return {f"{name}_page_cold": cold_peak, f"{name}_page_warm": warm_peak}
    cold, warm = [], []
    for run in range(runs):
        patient_id = patient_ids[run % len(patient_ids)]
        seconds, at = stopwatch(partial(_cold, name, patient_id))
        cold.append(seconds)
        warm.append(stopwatch(partial(_render, at, name))[0])
        say(f"  run {run + 1}/{runs}: {name} page cold {cold[-1]:.3f} s, warm {warm[-1]:.3f} s")
    _clear_caches()  # the next measure should not share memory with this page's cached evaluation
    return {
        f"{name}_page_cold": {**summary(cold), "first_render_seconds": first},
        f"{name}_page_warm": summary(warm),
    }
