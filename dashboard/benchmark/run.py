"""Orchestration: per database, seed in one process and measure in another, then the table and the JSON."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

from . import cohort, columnar, import_load, machine, measures, report, server_memory, whole_process
from .progress import say

T = TypeVar("T")
PATIENT_SAMPLE = 20  # patients whose page reads are timed, each run


@dataclass(frozen=True)
class Params:
    patients: int
    visits_per_patient: float | None  # None: the calibrated clinic; DENSE_VISITS_PER_PATIENT: --dense
    runs: int
    seed: int
    as_of: date  # the cohort's today and every measure's as-of date (the app's pages use today)
    postgres_url: str | None  # None: --skip-postgres
    json_path: Path
    import_rows: int = 1_000_000  # the CSV import staff keep saving beside (import_load.py)


def run(params: Params) -> int:
    """Benchmark SQLite, then PostgreSQL; print the table, write the JSON. 1 when PostgreSQL was asked
    for and could not be reached, else 0 (a missed target is a finding, not a failure)."""
    started = datetime.now(UTC)
    problem = None
    if params.postgres_url is None:
        say("PostgreSQL skipped (--skip-postgres).")
    else:  # say at once, not after the SQLite half, when PostgreSQL cannot be used
        try:
            cohort.check_postgres(params.postgres_url)
        except cohort.PostgresUnreachable as exc:
            problem = f"PostgreSQL at {_hidden(params.postgres_url)} could not be used: {exc}"
            say(problem + " (benchmarking SQLite alone; the command will exit 1)")
    databases: dict[str, dict] = {}
    with cohort.sqlite_database() as db:
        databases[db.kind] = _bench(db, params)
    if params.postgres_url is not None and problem is None:
        with cohort.postgres_database(params.postgres_url) as db:
            databases[db.kind] = _bench(db, params)
    rows = report.table_rows(databases)
    notes = _notes(params, databases, problem)
    report.print_table(rows, _title(params, databases), notes)
    report.write_json(
        params.json_path,
        {
            "benchmark": "paintrail bench",
            "command": sys.argv,
            "started_at": started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "machine": {
                **machine.machine_info(),
                **{f"{kind}_server": db["server_version"] for kind, db in databases.items()},
            },
            "parameters": {
                **asdict(params),
                "postgres_url": params.postgres_url and _hidden(params.postgres_url),
                "patient_sample": PATIENT_SAMPLE,
            },
            "targets": {row["key"]: row["target"] for row in rows if row["target"] is not None},
            "postgresql_factor": report.PG_FACTOR,
            "databases": databases,
            "table": rows,
            "postgresql_problem": problem,
            "notes": notes,
        },
    )
    say(f"Wrote {params.json_path}.")
    return 1 if problem else 0


def _bench(db: cohort.BenchDatabase, params: Params) -> dict[str, Any]:
    dense = "dense" if params.visits_per_patient else "calibrated"
    say(
        f"[{db.kind}] seeding {params.patients:,} patients ({dense} follow-up, seed {params.seed}, "
        f"as of {params.as_of.isoformat()}), once..."
    )
    seeded = _in_own_process(cohort.seed, db.url, params.patients, params.seed, params.as_of, params.visits_per_patient)
    say(
        f"[{db.kind}] seeded in {seeded['seconds']:.1f} s: "
        + ", ".join(f"{n:,} {name}" for name, n in seeded["counts"].items())
    )
    timed = _in_own_process(measure_database, db.url, db.kind, params, False)
    traced = _in_own_process(measure_database, db.url, db.kind, params, True)
    # connectorx's read, in processes of their own (its SQLite must not share a process with sqlite3's)
    say(f"[{db.kind}] raw column read with connectorx (columnar.py): {params.runs} timed runs, then traced...")
    timed["measures"] |= _in_own_process(columnar.measure, db.url, params.as_of, params.runs, False)
    traced["measures"] |= _in_own_process(columnar.measure, db.url, params.as_of, params.runs, True)
    say(f"[{db.kind}] whole processes: paintrail flags beside a lean columnar read, {params.runs} runs each...")
    timed["measures"] |= _in_own_process(whole_process.measure, db.url, db.kind, params.as_of, params.runs)
    say(f"[{db.kind}] the server in a real browser (server_memory.py): {params.runs} server starts...")
    timed["measures"] |= _in_own_process(server_memory.measure, db.url, params.runs)
    # last: the import adds its rows to the cohort every other measure read as seeded
    timed["measures"] |= _in_own_process(
        import_load.measure, db.url, db.kind, params.import_rows, params.seed, params.as_of
    )
    return {
        "server_version": cohort.server_version(db),
        "counts": seeded["counts"],
        "measures": {
            "seed": measures.summary([seeded["seconds"]]),
            **{key: {**value, **traced["measures"].get(key, {})} for key, value in timed["measures"].items()},
        },
        "max_rss_bytes": {"seed_process": seeded["max_rss_bytes"], "measure_process": timed["max_rss_bytes"]},
        "measure_process_max_rss_after": timed["max_rss_after"],
    }


def measure_database(url: str, kind: str, params: Params, traced: bool) -> dict[str, Any]:
    """Every measure on one seeded database, timed or traced (measures.py says why apart), in a process
    of its own: clean Streamlit caches, and a peak RSS that is the timed work's alone."""
    from data_model.db import make_engine

    from . import pages

    plural = "s" if params.runs > 1 else ""
    what = "memory peaks (tracemalloc), one run each" if traced else f"{params.runs} timed run{plural} each"
    rss_after: dict[str, int] = {}  # the process's peak RSS after each step: which step raised it
    engine = make_engine(url)
    try:
        patient_ids = measures.sample_patients(engine, PATIENT_SAMPLE, params.seed)
        say(f"[{kind}] raw column read beside the full flags: {what}...")
        out = measures.clinic(engine, params.as_of, params.runs, traced)
        rss_after["flags"] = cohort.max_rss_bytes()
        say(f"[{kind}] one patient's reads ({len(patient_ids)} patients): {what}...")
        out |= measures.one_patient(engine, params.as_of, patient_ids, params.runs, traced)
        rss_after["patient_reads"] = cohort.max_rss_bytes()
        pages.use_database(url)
        for name in pages.PAGES:
            say(f"[{kind}] {name} page through AppTest, cold and warm: {what}...")
            out |= pages.page(name, patient_ids, params.runs, traced)
            rss_after[f"{name}_page"] = cohort.max_rss_bytes()
        # last: it writes visits, and the measures before it should see the seeded cohort as it was
        say(f"[{kind}] flags after one new visit: {what}...")
        out |= measures.after_one_visit(engine, params.as_of, patient_ids, params.runs, traced)
        rss_after["refresh_after_visit"] = cohort.max_rss_bytes()
    finally:
        engine.dispose()
    return {"measures": out, "max_rss_bytes": cohort.max_rss_bytes(), "max_rss_after": rss_after}


def _in_own_process(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in a fresh spawned process: its memory peak and Streamlit caches are its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _hidden(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _title(params: Params, databases: dict[str, dict]) -> str:
    counts = next(iter(databases.values()))["counts"]
    return (
        f"PainTrail benchmark: {counts['patients']:,} patients, {counts['visits']:,} visits, as of "
        f"{params.as_of.isoformat()}; median of {params.runs} run(s)"
    )


def _notes(params: Params, databases: dict[str, dict], problem: str | None) -> list[str]:
    notes = [
        "seed: generated and written once per database (n=1); seeding this many patients several times is "
        "too slow to repeat.",
        "raw column read: services.load_clinical_data, the same column reader (data_model.bulk_read: "
        "connectorx for a big clinic, SQLite in a reader process) the app's flags use, so it is the floor any "
        "evaluation pays; flags/raw is the median of per-run ratios.",
        "cold page: every Streamlit cache cleared (engine, settings, evaluation) after an untimed first "
        "render that imports the page's modules (its time is first_render_seconds in the JSON); warm: the "
        "same session rerun.",
        "peak memory (traced): tracemalloc's peak of Python and numpy allocations in one untimed run, in a "
        "process of its own; peak RSS (VmHWM on Linux): the whole seeding process, and the whole process of the "
        "timed runs (every measure, one after the other, with Streamlit's caches as the app keeps them).",
        f"status: SQLite against the target, and PostgreSQL within {report.PG_FACTOR:g}× of SQLite (or its own "
        "target where the row has one).",
        f"saves during the import: {import_load.WRITERS} writers (threads of one process, as the app's sessions), "
        f"each saving a visit every {import_load.SAVE_EVERY:g} s through the app's write path, while the CSV import "
        f"of {params.import_rows:,} rows runs in a process of its own; only saves under way at some moment of it count. "
        "Peak RSS of the import: that process's VmHWM.",
        "the app's pages evaluate as of today; the data measures as of the cohort's date (the same unless "
        "--as-of says otherwise).",
    ]
    for kind, db in databases.items():
        wrong = db["measures"]["refresh_after_visit"]["flags_differing_from_full_evaluation"]
        if wrong:
            notes.append(
                f"{kind}: the flags after the new visits differ from a full evaluation's in {wrong} "
                "(patient, flag) pairs, OFF_TRACK aside."
            )
    if problem:
        notes.append(problem)
    return notes
