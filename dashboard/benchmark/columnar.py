"""The floor: the rules' columns read by connectorx alone, in one thread, with nothing else done.

The app reads through connectorx too (data_model/bulk_read/columnar.py: both halves of each table at
once, SQLite in a process of its own); this is the plain read a whole `paintrail flags` process is held
against (whole_process.py), with the same tables, columns, filters and row order. On SQLite it runs only
in a process where no sqlite3 connection is open (connectorx's own copy of SQLite must not share a
process with the sqlite3 module's): measure() runs in a process of its own.
"""

from __future__ import annotations

from datetime import date

from data_model.bulk_read import TABLES, Arrays, Table, ordered
from data_model.bulk_read.columnar import numpy_column, source_url, sql
from data_model.db import make_engine


def read(source: str, table: Table, as_of: date | None) -> Arrays:
    """The whole table as bulk_read.read returns it (same dtypes, NaN/NaT/None, order), in one thread."""
    import connectorx as cx

    arrow = cx.read_sql(source, sql(table, as_of), return_type="arrow")
    return ordered(table, {c.name: numpy_column(c.kind, arrow.column(c.name)) for c in table.columns})


def measure(url: str, as_of: date, runs: int, traced: bool) -> dict[str, dict]:
    """The three tables read with connectorx: an untimed warm-up, then `runs` timed reads (or one under
    tracemalloc). Call it in a process of its own; the engine that names the source is closed first,
    so no sqlite3 connection shares the process with connectorx's SQLite."""
    from .measures import peak, stopwatch, summary

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            source = source_url(conn)
    finally:
        engine.dispose()
    if source is None:
        return {}

    def read_all() -> None:
        for table in TABLES.values():
            read(source, table, as_of)

    if traced:
        return {"columnar_read": peak(read_all)}
    read_all()
    return {"columnar_read": summary([stopwatch(read_all)[0] for _ in range(runs)])}
