"""Staff saving visits while a big CSV import runs: how long each save takes, and what the import costs.

Eight writers (threads, as the app's sessions are in one server) save visits through the app's write
path, each a save every SAVE_EVERY seconds, while a CSV import of `import_rows` rows runs in a process
of its own (so its peak RSS is the import's alone). Only the saves under way at some moment of the
import count. Library calls in-process throughout: no command line, no sign-in.
"""

from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from data_model import commands
from data_model.audit import set_actor
from data_model.db import make_engine, run_write

from .cohort import max_rss_bytes
from .measures import sample_patients, summary
from .progress import say

WRITERS = 8
SAVE_EVERY = 0.5  # seconds between one writer's saves: a busy clinic, 16 saves a second in all
ACTOR = "bench-staff"


def measure(url: str, kind: str, import_rows: int, seed: int, as_of: date) -> dict[str, dict]:
    """The writers-during-import figures on a seeded database (it gains the import's rows)."""
    from sample_data.import_folder import write_import_folder

    engine = make_engine(url)
    try:
        patients = sample_patients(engine, WRITERS, seed)
        with tempfile.TemporaryDirectory(prefix="paintrail-bench-import-") as folder:
            say(f"[{kind}] writing a {import_rows:,}-row CSV import folder...")
            files = write_import_folder(Path(folder), import_rows, seed + 1, as_of)
            say(f"[{kind}] {WRITERS} writers saving visits while the {import_rows:,}-row import runs...")
            saves, imported = _saves_during_import(engine, patients, Path(folder), as_of)
    finally:
        engine.dispose()
    during = [
        s for s in saves if s["started"] <= imported["ended"] and s["started"] + s["seconds"] >= imported["started"]
    ]
    seconds = [s["seconds"] for s in during if s["error"] is None]
    errors = [s["error"] for s in during if s["error"] is not None]
    if not seconds:
        raise RuntimeError("no save completed during the import: the figure would say nothing")
    say(
        f"[{kind}] import {imported['seconds']:.1f} s, peak RSS {imported['max_rss_bytes'] / 2**20:.0f} MB; "
        f"{len(during)} saves during it: median {statistics.median(seconds):.3f} s, longest {max(seconds):.3f} s, "
        f"{len(errors)} failed"
    )
    return {
        "save_during_import": {**summary(seconds), "p95": float(np.percentile(seconds, 95)), "max": max(seconds)},
        "failed_saves_during_import": {
            "unit": "count",
            "median": len(errors),
            "n": len(during),
            "runs": [len(errors)],
            "errors": errors[:10],
        },
        "import_under_load": {
            **summary([imported["seconds"]]),
            "rows": sum(files.values()),
            "files": files,
            "imported_rows": imported["rows"],
        },
        "import_peak_rss": {
            "unit": "bytes",
            "median": imported["max_rss_bytes"],
            "n": 1,
            "runs": [imported["max_rss_bytes"]],
            "before_import": imported["max_rss_before_bytes"],
        },
    }


def _saves_during_import(engine, patients: list[int], folder: Path, as_of: date) -> tuple[list[dict], dict]:
    stop = threading.Event()
    saves: list[dict] = []

    def writer(patient_id: int, phase: float) -> None:
        next_at = time.monotonic() + phase  # the writers' saves spread over each interval, not all at once
        stop.wait(phase)
        while not stop.is_set():
            started, error = time.time(), None
            clock = time.perf_counter()
            try:
                run_write(
                    engine,
                    lambda session: commands.add_visit(
                        set_actor(session, ACTOR),
                        patient_id,
                        {"visit_date": as_of, "back_pain": 5, "leg_pain": 4},
                        today=as_of,
                        allow_same_day=True,
                        actor=ACTOR,
                    ),
                )
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
            saves.append({"started": started, "seconds": time.perf_counter() - clock, "error": error})
            next_at += SAVE_EVERY
            stop.wait(max(0.0, next_at - time.monotonic()))

    threads = [
        threading.Thread(target=writer, args=(p, SAVE_EVERY * i / len(patients)), name=f"bench-writer-{p}")
        for i, p in enumerate(patients)
    ]
    for thread in threads:
        thread.start()
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            imported = pool.submit(
                run_import, str(engine.url.render_as_string(hide_password=False)), str(folder), as_of
            ).result()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return saves, imported


def run_import(url: str, folder: str, as_of: date) -> dict[str, Any]:
    """The import, in a process of its own: its seconds, wall-clock start and end, and peak RSS."""
    from data_model.exchange.csv_folder.folder_import import import_csv_folder

    engine = make_engine(url)
    try:
        before = max_rss_bytes()  # the interpreter and its libraries, before the import reads a row
        started, clock = time.time(), time.perf_counter()
        report = import_csv_folder(engine, Path(folder), "bench-import", as_of)
        seconds, ended = time.perf_counter() - clock, time.time()
    finally:
        engine.dispose()
    return {
        "seconds": seconds,
        "started": started,
        "ended": ended,
        "rows": report.total_rows,
        "max_rss_bytes": max_rss_bytes(),
        "max_rss_before_bytes": before,
    }
