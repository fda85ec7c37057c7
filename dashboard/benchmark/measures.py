"""The data measures: raw column read beside the full flags, one patient's reads, flags after one new visit.

Each measure runs in one of two modes, in two processes: timed (an untimed warm-up, then `runs` timed
runs) or traced (one run under tracemalloc for its memory peak; tracing slows allocation-heavy code
several times over, and its own bookkeeping would swell the timed process's peak RSS).
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from data_model import commands, queries
from data_model.audit import set_actor
from data_model.db import read_session, run_write
from data_model.models import Patient
from data_model.services.evaluation import ClinicalData, Evaluation, evaluate_clinic, load_clinical_data
from data_model.services.evaluation import evaluate as evaluate_rules
from data_model.services.patient import patient_record

from .progress import say

NEW_VISIT = {"back_pain": 6, "leg_pain": 5}  # a plausible score: the point is the write, not its value


def summary(values: list[float], unit: str = "s") -> dict[str, Any]:
    """One measure as the report and the JSON take it: the median of the timed runs, and each run."""
    return {"unit": unit, "median": statistics.median(values), "runs": values, "n": len(values)}


def peak(fn: Callable[[], Any]) -> dict[str, int]:
    """Peak bytes Python and numpy allocated while fn ran (numpy reports to tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return {"peak_traced_bytes": tracemalloc.get_traced_memory()[1]}
    finally:
        tracemalloc.stop()


def stopwatch(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds fn took, its result). Collects garbage first, untimed: what an earlier measure left
    (AppTest's pages make millions of objects) must not fall due inside this one."""
    gc.collect()
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def sample_patients(engine: Engine, k: int, seed: int) -> list[int]:
    """k patient ids drawn at random (the same for the same cohort and seed)."""
    with read_session(engine) as session:
        ids = np.array(session.scalars(select(Patient.id).order_by(Patient.id)).all())
    rng = np.random.default_rng([seed, 6])
    return [int(i) for i in rng.choice(ids, size=min(k, len(ids)), replace=False)]


def clinic(engine: Engine, as_of: date, runs: int, traced: bool) -> dict[str, dict]:
    """raw read (load_clinical_data: the app's own column reader, the floor any evaluation pays), the
    compute on what it read, and the full flags (evaluate_clinic: read + compute), all in each run."""

    def read() -> ClinicalData:
        with read_session(engine) as session:
            return load_clinical_data(session, as_of)

    def evaluate() -> Evaluation:
        with read_session(engine) as session:
            return evaluate_clinic(session, as_of)

    if traced:
        return {"raw_read": peak(read), "flags": peak(evaluate), **next_day(engine, evaluate(), runs, traced)}
    # warm-up (one-time costs, lazy imports and the first connection, off the timed runs), then the
    # next day from it; dropped before the runs, as the app would not hold it beside theirs
    next_days = next_day(engine, evaluate(), runs, traced)
    with read_session(engine) as session:
        settings = queries.load_settings(session)
    raw, compute, flags = [], [], []
    for run in range(1, runs + 1):
        seconds, data = stopwatch(read)
        raw.append(seconds)
        compute.append(stopwatch(partial(evaluate_rules, data, settings, as_of))[0])
        del data
        flags.append(stopwatch(evaluate)[0])
        say(f"  run {run}/{runs}: raw read {raw[-1]:.3f} s, compute {compute[-1]:.3f} s, flags {flags[-1]:.3f} s")
    return {
        **next_days,
        "raw_read": summary(raw),
        "flags": summary(flags),
        "compute_only": summary(compute),
        # per run, since both ran side by side
        "flags_over_raw": summary([f / r for f, r in zip(flags, raw, strict=True)], unit="ratio"),
    }


def next_day(engine: Engine, today: Evaluation, runs: int, traced: bool) -> dict[str, dict]:
    """The first evaluation of the next day, from the rows held for today (incremental.redate), as the
    app makes it when the date turns: the rules for everyone, without the read."""
    from data_model.services import incremental

    def evaluate_next_day() -> Evaluation:
        with read_session(engine) as session:
            return incremental.refresh(session, None, today.as_of + timedelta(days=1), base=today)

    if traced:
        return {"next_day": peak(evaluate_next_day)}
    samples = [stopwatch(evaluate_next_day)[0] for _ in range(runs)]
    say(f"  next day from the held rows: median {statistics.median(samples):.3f} s")
    return {"next_day": summary(samples)}


def one_patient(engine: Engine, as_of: date, patient_ids: list[int], runs: int, traced: bool) -> dict[str, dict]:
    """patient_record (every read the patient page makes) for each sampled patient, each run."""

    def read(patient_id: int) -> None:
        with read_session(engine) as session:
            if patient_record(session, patient_id, as_of) is None:
                raise RuntimeError(f"patient {patient_id} vanished from the benchmark database")

    if traced:
        return {"patient_reads": peak(lambda: read(patient_ids[0]))}
    read(patient_ids[-1])  # warm-up
    samples = [stopwatch(partial(read, pid))[0] for _ in range(runs) for pid in patient_ids]
    say(
        f"  {len(samples)} patient reads: median {statistics.median(samples) * 1000:.1f} ms, "
        f"slowest {max(samples) * 1000:.1f} ms"
    )
    return {"patient_reads": summary(samples)}


def after_one_visit(engine: Engine, as_of: date, patient_ids: list[int], runs: int, traced: bool) -> dict[str, dict]:
    """Write one visit through the app's write path, then time data_model.services.incremental.refresh on it."""
    from data_model.services import incremental  # another engineer's module: imported only where it is measured

    with read_session(engine) as session:
        current = evaluate_clinic(session, as_of)

    def add_one(patient_id: int) -> None:
        run_write(
            engine,
            lambda session: commands.add_visit(
                set_actor(session, "bench"),
                patient_id,
                {"visit_date": as_of, **NEW_VISIT},
                today=as_of,
                allow_same_day=True,
                actor="bench",
            ),
        )

    def refresh(previous: Evaluation) -> Evaluation:
        with read_session(engine) as session:
            return incremental.refresh(session, previous, as_of)

    add_one(patient_ids[-1])
    if traced:
        return {"refresh_after_visit": peak(lambda: refresh(current))}
    current = refresh(current)  # warm-up
    samples = []
    for run in range(runs):
        add_one(patient_ids[run % len(patient_ids)])
        seconds, current = stopwatch(partial(refresh, current))
        samples.append(seconds)
        say(f"  run {run + 1}/{runs}: flags after one new visit {seconds * 1000:.1f} ms")
    wrong = _differences(current, engine, as_of)
    return {"refresh_after_visit": {**summary(samples), "flags_differing_from_full_evaluation": wrong}}


def _differences(refreshed: Evaluation, engine: Engine, as_of: date) -> int:
    """How many (patient, flag) pairs the refreshed evaluation gets wrong against a full one: a fast
    wrong answer is no answer. OFF_TRACK is left out: refresh holds the clinic curve by design."""
    with read_session(engine) as session:
        full = evaluate_clinic(session, as_of)

    def pairs(evaluation: Evaluation) -> set[tuple[int, str]]:
        flags = evaluation.flags[evaluation.flags["code"] != "OFF_TRACK"]
        return set(zip(flags["patient_id"].astype(int), flags["code"], strict=True))

    return len(pairs(refreshed) ^ pairs(full)) + abs(len(refreshed.status) - len(full.status))
