"""Whole processes, timed from the outside: `paintrail flags` beside one lean process that reads the
rules' columns with connectorx (the floor a command could reach: interpreter, reader, the read).

Both are fresh processes each run, so imports, connecting and the interpreter's start count, as they
do for a clinician typing the command. The lean process imports connectorx alone and runs the same
three queries columnar.py runs (the rules' columns of surgeries, visits and treatments).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from datetime import date
from typing import Any

from data_model import bulk_read
from data_model.db import make_engine, run_write

from . import columnar
from .measures import summary
from .progress import say

ACCOUNT = "bench-clinician"
# The floor process: argv = connectorx URL, then one query per table.
_LEAN = "import sys, connectorx as cx\nfor q in sys.argv[2:]:\n    cx.read_sql(sys.argv[1], q, return_type='arrow')\n"


def add_account(url: str, username: str = ACCOUNT) -> str:
    """A clinician account to run the command (or the browser) as; its password, made up for this run."""
    from data_model.access.accounts import add_user
    from data_model.audit import set_actor

    password = secrets.token_urlsafe(16)
    engine = make_engine(url)
    try:

        def action(session) -> None:
            set_actor(session, "bench")
            add_user(session, username, "clinician", password, "Benchmark Clinician")

        run_write(engine, action)
    finally:
        engine.dispose()
    return password


def _queries(url: str, as_of: date) -> tuple[str, list[str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            source = columnar.source_url(conn)
    finally:
        engine.dispose()
    if source is None:
        raise RuntimeError("connectorx cannot open this database")
    return source, [columnar.sql(table, as_of) for table in bulk_read.TABLES.values()]


def _timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def measure(url: str, kind: str, as_of: date, runs: int) -> dict[str, Any]:
    """`paintrail flags` and the lean columnar read, each a fresh process, alternating, runs times each
    (after one untimed run of each: the files in the page cache, as on a machine in use)."""
    password = add_account(url)
    env = {**os.environ, "PAINTRAIL_PASSWORD": password}
    paintrail = os.path.join(os.path.dirname(sys.executable), "paintrail")
    flags_argv = [
        paintrail,
        "flags",
        "--db",
        url,
        "--as-user",
        ACCOUNT,
        "--as-of",
        as_of.isoformat(),
        "--format",
        "csv",
    ]
    source, queries = _queries(url, as_of)
    lean_argv = [sys.executable, "-c", _LEAN, source, *queries]
    _timed(flags_argv, env), _timed(lean_argv, env)
    flags, lean = [], []
    for run in range(1, runs + 1):
        flags.append(_timed(flags_argv, env))
        lean.append(_timed(lean_argv, env))
        say(f"  [{kind}] run {run}/{runs}: paintrail flags {flags[-1]:.2f} s, columnar read process {lean[-1]:.2f} s")
    return {
        "flags_process": summary(flags),
        "columnar_process": summary(lean),
        "flags_process_over_columnar": summary([f / c for f, c in zip(flags, lean, strict=True)], "ratio"),
    }
