"""The benchmark's table (measure | SQLite | PostgreSQL | PG/SQLite | target | status) and its JSON file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GB = 1024**3
PG_FACTOR = 2.0  # the issue: PostgreSQL within 2x of SQLite on each figure
MEMORY_TARGET = 1.5 * GB
WIDE_OUTPUT = 150  # columns when the output is a file or a pipe rather than a terminal


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    unit: str  # s | ratio | bytes | count
    target: float | None
    value: Callable[[dict], float | None]
    pg_target: float | None = None  # PostgreSQL's own bound, where it has one (instead of the factor)


def _median(key: str) -> Callable[[dict], float | None]:
    return lambda db: db["measures"].get(key, {}).get("median")


def _peak(key: str) -> Callable[[dict], float | None]:
    return lambda db: db["measures"].get(key, {}).get("peak_traced_bytes")


def _rss(process: str) -> Callable[[dict], float | None]:
    return lambda db: db["max_rss_bytes"].get(process)


def _field(key: str, field: str) -> Callable[[dict], float | None]:
    return lambda db: db["measures"].get(key, {}).get(field)


# Staff saving during a big import (import_load.py): a save waits at most about 3 s on SQLite and 1 s on
# PostgreSQL, none fails, and the import needs at most 1 GB.
IMPORT_LOAD = (
    Row("save_during_import", "save during the big import: median", "s", None, _median("save_during_import")),
    Row(
        "save_during_import.p95",
        "save during the big import: 95th percentile",
        "s",
        None,
        _field("save_during_import", "p95"),
    ),
    Row(
        "save_during_import.max",
        "save during the big import: longest",
        "s",
        3.0,
        _field("save_during_import", "max"),
        pg_target=1.0,
    ),
    Row(
        "failed_saves_during_import",
        "failed saves during the big import",
        "count",
        0,
        _median("failed_saves_during_import"),
        pg_target=0,
    ),
    Row("import_under_load", "the big import itself (beside the saves)", "s", None, _median("import_under_load")),
)


# The server in a real browser (server_memory.py): started, ready once every patient is evaluated, then
# a clinician signs in; the first worklist after a start comes in 3 s at most.
BROWSER = (
    Row("server_ready", "server start until every patient is evaluated", "s", None, _median("server_ready")),
    Row(
        "sign_in_page_browser",
        "the sign-in page, in a browser (address to form)",
        "s",
        None,
        _median("sign_in_page_browser"),
    ),
    Row(
        "first_worklist_browser",
        "first worklist after a start, in a browser (sign-in click to list)",
        "s",
        3.0,
        _median("first_worklist_browser"),
    ),
    Row("first_patient_browser", "then a patient, in a browser", "s", None, _median("first_patient_browser")),
    Row("cohort_browser", "then the cohort page, in a browser", "s", None, _median("cohort_browser")),
    Row("server_peak_rss", "peak RSS of the server process", "bytes", MEMORY_TARGET, _median("server_peak_rss")),
)


# (key, label, target): the figures, in its order
TIMED = (
    ("seed", "seed the cohort (generate + write; n=1)", 60.0),
    ("raw_read", "raw column read (the app's reader: connectorx, both halves at once)", None),
    ("flags", "flags: read + compute (evaluate_clinic)", 2.0),
    ("compute_only", "flags: compute alone, on what was read", None),
    ("columnar_read", "raw column read with connectorx, one thread (columnar.py)", None),
    ("next_day", "flags for the next day, from the held rows", None),
    ("patient_reads", "one patient's reads (patient_record)", 0.05),
    ("refresh_after_visit", "flags after one new visit (refresh)", 0.2),
    ("worklist_page_cold", "worklist page, cold", 3.0),
    ("worklist_page_warm", "worklist page, warm", 1.0),
    ("patient_page_cold", "patient page, cold", 0.3),
    ("patient_page_warm", "patient page, warm", 0.3),
    ("cohort_page_cold", "cohort page, cold", None),
    ("cohort_page_warm", "cohort page, warm", 2.0),
)
ROWS: tuple[Row, ...] = (
    *(Row(key, label, "s", target, _median(key)) for key, label, target in TIMED[:5]),
    Row("flags_over_raw", "flags / raw read, in the same run", "ratio", 1.5, _median("flags_over_raw")),
    # Whole processes (whole_process.py): the command as typed, beside the lean columnar floor
    Row("flags_process", "paintrail flags, the whole process", "s", None, _median("flags_process")),
    Row(
        "columnar_process",
        "one process reading the rules' columns (connectorx)",
        "s",
        None,
        _median("columnar_process"),
    ),
    Row(
        "flags_process_over_columnar",
        "paintrail flags / that process, same run",
        "ratio",
        1.5,
        _median("flags_process_over_columnar"),
    ),
    *(Row(key, label, "s", target, _median(key)) for key, label, target in TIMED[5:]),
    *BROWSER,
    *IMPORT_LOAD,
    *(
        Row(f"{key}.peak", f"peak memory (traced): {label.split(' (')[0]}", "bytes", MEMORY_TARGET, _peak(key))
        for key, label, _ in TIMED
        if key not in ("seed", "compute_only")
    ),
    Row("max_rss.seed_process", "peak RSS of the seeding process", "bytes", MEMORY_TARGET, _rss("seed_process")),
    Row(
        "max_rss.measure_process", "peak RSS of the timed-runs process", "bytes", MEMORY_TARGET, _rss("measure_process")
    ),
    Row(
        "import_peak_rss", "peak RSS of the big import's process", "bytes", GB, _median("import_peak_rss"), pg_target=GB
    ),
)
# every figure each database reports with a traced peak too (the whole-process figures have none)
MEASURES = (*(key for key, _, _ in TIMED), "flags_over_raw")


def shown(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{value:.2f}×"
    if unit == "bytes":
        return f"{value / GB:.2f} GB" if value >= GB else f"{value / 1024**2:.0f} MB"
    if unit == "count":
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f} s"
    return f"{value * 1000:.1f} ms" if value < 0.01 else f"{value * 1000:.0f} ms"


def status(row: Row, sqlite: float | None, postgres: float | None) -> str:
    """met, missed (saying which), or — when there is nothing to hold the figure against."""
    misses = []
    if row.target is not None and sqlite is not None and sqlite > row.target:
        misses.append(f"SQLite over {shown(row.target, row.unit)}")
    if row.pg_target is not None:
        if postgres is not None and postgres > row.pg_target:
            misses.append(f"PostgreSQL over {shown(row.pg_target, row.unit)}")
    elif sqlite and postgres is not None and postgres > PG_FACTOR * sqlite:
        misses.append(f"PostgreSQL {postgres / sqlite:.1f}× SQLite")
    if misses:
        return "missed: " + "; ".join(misses)
    return "met" if row.target is not None or postgres is not None else "—"


def table_rows(databases: dict[str, dict]) -> list[dict[str, Any]]:
    out = []
    for row in ROWS:
        sqlite = row.value(databases["sqlite"]) if "sqlite" in databases else None
        postgres = row.value(databases["postgresql"]) if "postgresql" in databases else None
        out.append(
            {
                "key": row.key,
                "measure": row.label,
                "unit": row.unit,
                "sqlite": sqlite,
                "postgresql": postgres,
                "pg_over_sqlite": postgres / sqlite if sqlite and postgres is not None else None,
                "target": row.target,
                "pg_target": row.pg_target,
                "status": status(row, sqlite, postgres),
            }
        )
    return out


def print_table(rows: list[dict[str, Any]], title: str, notes: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=WIDE_OUTPUT)
    table = Table(title=title)
    for header in ("measure", "SQLite", "PostgreSQL", "PG/SQLite", "target", "status"):
        table.add_column(header, justify="left" if header in ("measure", "status") else "right")
    previous_unit = None
    for row in rows:
        if row["unit"] == "bytes" != previous_unit and previous_unit is not None:
            table.add_section()  # memory apart from the timings
        previous_unit = row["unit"]
        ratio = row["pg_over_sqlite"]
        target = "—" if row["target"] is None else "≤ " + shown(row["target"], row["unit"])
        if row["pg_target"] is not None and row["pg_target"] != row["target"]:
            target += f" (PG ≤ {shown(row['pg_target'], row['unit'])})"
        table.add_row(
            row["measure"],
            shown(row["sqlite"], row["unit"]),
            shown(row["postgresql"], row["unit"]),
            "—" if ratio is None else f"{ratio:.2f}",
            target,
            row["status"],
        )
    console.print(table)
    for note in notes:
        console.print(f"- {note}", highlight=False)


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
