"""What the benchmark ran on: CPUs, memory, Python and the database engines' versions."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path


def machine_info() -> dict:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name"),
        "ram_bytes": _ram_bytes(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite_library": sqlite3.sqlite_version,  # the library the stdlib driver (and so the app) uses
    }


def _proc_field(path: str, name: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == name:
                return value.strip()
    except OSError:  # not Linux
        return platform.processor() or None
    return None


def _ram_bytes() -> int | None:
    total = _proc_field("/proc/meminfo", "MemTotal")  # "23974312 kB"
    if total and total.endswith("kB"):
        return int(total.split()[0]) * 1024
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return None
