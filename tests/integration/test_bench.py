"""`paintrail bench` end to end on a tiny cohort: every figure on SQLite and PostgreSQL, a table and JSON."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from sqlalchemy import create_engine, text

from dashboard.benchmark.report import MEASURES, ROWS
from tests.conftest import POSTGRES_URL, require_or_skip
from tests.helpers.processes import REPO, clean_env, paintrail

# The measures that also report a traced memory peak (a compute-only split and a ratio have none).
TRACED = [key for key in MEASURES if key not in ("seed", "compute_only", "flags_over_raw")]
IMPORT_ROWS = 1500  # the import staff save beside: small here, a million in the real benchmark


def _bench_schemas() -> set[str]:
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'paintrail_bench_%'")))
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_bench_prints_every_figure_on_both_databases_and_writes_them_as_json(tmp_path, _postgres_ok):
    # Like every PostgreSQL test: skipped without one outside CI, failed in CI (tests/conftest.py).
    require_or_skip(_postgres_ok, "PostgreSQL at " + POSTGRES_URL)
    before = _bench_schemas()
    out = tmp_path / "bench.json"
    done = subprocess.run(
        paintrail(
            "bench",
            "--patients",
            300,
            "--runs",
            1,
            "--no-dense",
            "--json",
            out,
            "--postgres-url",
            POSTGRES_URL,
            "--import-rows",
            IMPORT_ROWS,
        ),
        cwd=REPO,
        env=clean_env(COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    result = json.loads(out.read_text())
    assert set(result["databases"]) == {"sqlite", "postgresql"}
    for kind, db in result["databases"].items():
        assert db["counts"]["patients"] == 300, kind
        for key in MEASURES:
            measure = db["measures"][key]
            assert measure["n"] >= 1 and measure["median"] > 0, (kind, key)
            assert all(value > 0 for value in measure["runs"]), (kind, key)
        for key in TRACED:
            assert db["measures"][key]["peak_traced_bytes"] > 0, (kind, key)
        assert db["max_rss_bytes"]["seed_process"] > 0 and db["max_rss_bytes"]["measure_process"] > 0, kind
        assert db["measures"]["refresh_after_visit"]["flags_differing_from_full_evaluation"] == 0, kind
        # staff saving while the import ran: every save went through, and the import wrote every row
        saves, failed = db["measures"]["save_during_import"], db["measures"]["failed_saves_during_import"]
        assert saves["n"] >= 1 and saves["max"] >= saves["p95"] >= saves["median"] > 0, kind
        assert failed["median"] == 0, (kind, failed["errors"])
        imported = db["measures"]["import_under_load"]
        assert imported["rows"] == imported["imported_rows"] == IMPORT_ROWS and imported["median"] > 0, kind
        assert db["measures"]["import_peak_rss"]["median"] > 0, kind
    assert result["machine"]["cpu_count"] >= 1 and result["machine"]["postgresql_server"]
    assert result["parameters"]["patients"] == 300 and result["postgresql_problem"] is None
    assert [row["key"] for row in result["table"]] == [row.key for row in ROWS]
    assert all(row["sqlite"] > 0 and row["postgresql"] > 0 for row in result["table"] if row["unit"] != "count")
    assert all(row["sqlite"] == row["postgresql"] == 0 for row in result["table"] if row["unit"] == "count")
    assert all(row["status"] for row in result["table"])

    for header in ("measure", "SQLite", "PostgreSQL", "PG/SQLite", "target", "status"):
        assert header in done.stdout
    for row in ROWS:
        assert row.label in done.stdout, row.label
    assert "[sqlite] seeding" in done.stderr and "[postgresql] seeding" in done.stderr  # progress on stderr
    assert _bench_schemas() <= before  # the throwaway schema is dropped


def test_server_memory_reads_the_resident_and_peak_memory_of_a_process():
    from dashboard.benchmark.server_memory import server_memory_mb

    ballast = bytearray(64 * 1024 * 1024)  # 64 MB touched: RSS must see at least that much
    ballast[::4096] = b"x" * len(ballast[::4096])
    memory = server_memory_mb(os.getpid())
    assert 64 <= memory["rss_mb"] <= memory["peak_mb"]
    del ballast
