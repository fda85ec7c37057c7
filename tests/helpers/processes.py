"""Starting PainTrail in other OS processes from a test: the CLI, helper workers, a clean environment."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without PAINTRAIL_DATABASE_URL (every command gets --db), plus extra."""
    env = {k: v for k, v in os.environ.items() if k != "PAINTRAIL_DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def paintrail(*args: object) -> list[str]:
    """The installed console script next to this interpreter (else `python -m dashboard.cli`)."""
    script = Path(sys.executable).parent / "paintrail"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dashboard.cli"]
    return command + [str(a) for a in args]


def helper(module: str, *args: object) -> list[str]:
    """`python -m tests.helpers.<module> args...`"""
    return [sys.executable, "-m", f"tests.helpers.{module}", *[str(a) for a in args]]


def start(command: Sequence[str], env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    """The command in its own process, from the repository, in clean_env() plus env."""
    return subprocess.Popen(list(command), cwd=REPO, env=clean_env(**(env or {})), text=True, **kwargs)


def wait_for(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.02) -> None:
    """Poll condition until it holds; fail with `what` when timeout seconds pass first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def sqlite_checks(path: Path) -> tuple[str, list[tuple]]:
    """(PRAGMA integrity_check, PRAGMA foreign_key_check rows) on a plain sqlite3 connection."""
    conn = sqlite3.connect(path)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()
    return integrity, orphans
