"""The rules' columns read by connectorx (a columnar reader made for this), for the benchmark alone.

The benchmark holds the field's own reader beside the app's (data_model/bulk_read.py): the same
tables, columns, filters (not voided, not in an unfinished import, dated on or before as_of) and
row order, so the two figures compare like with like, and its lean process gives the floor a whole
`paintrail flags` process is held against. The app does not use it; docs/PERFORMANCE.md says why:
connectorx carries its own copy of SQLite, and two copies in one process break each other's locks
(reads missed commits; the app's connection then met "disk I/O error"). So on SQLite it runs only in
a process where no sqlite3 connection is open: measure() runs in a process of its own.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from sqlalchemy import Connection

from data_model.bulk_read import TABLES, Arrays, Table, ordered
from data_model.db import make_engine
from data_model.import_runs import VISIBLE_SQL


def source_url(conn: Connection) -> str | None:
    """The database as connectorx names it; None for one it cannot open on its own (SQLite in memory,
    another engine). PostgreSQL: the session's search_path goes along (a connect hook may have set it)."""
    url = conn.engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
            return None
        return "sqlite://" + quote(str(Path(url.database).resolve()))
    if url.get_backend_name() == "postgresql":
        schemas = conn.exec_driver_sql("SELECT array_to_string(current_schemas(false), ',')").scalar()
        target = url.set(drivername="postgresql")
        if schemas:
            target = target.update_query_dict({"options": f"-csearch_path={schemas}"})
        return target.render_as_string(hide_password=False)
    return None


def sql(table: Table, as_of: date | None) -> str:
    """One table's rules' columns, as data_model.bulk_read selects them. The date is written into the
    text (connectorx takes no parameters): ISO digits, nothing to quote."""
    clauses = ["voided_at IS NULL", VISIBLE_SQL]
    if as_of is not None:
        clauses.append(f"{table.date_column} <= '{as_of.isoformat()}'")
    select = ", ".join(f"{c.sql} AS {c.name}" for c in table.columns)
    return f"SELECT {select} FROM {table.name} WHERE {' AND '.join(clauses)}"


def read(source: str, table: Table, as_of: date | None) -> Arrays:
    """The whole table as bulk_read.read returns it (same dtypes, NaN/NaT/None, order)."""
    import connectorx as cx  # paintrail bench alone needs it (the test extra, which `make bench` installs)

    arrow = cx.read_sql(source, sql(table, as_of), return_type="arrow")
    return ordered(table, {c.name: _numpy(c.kind, arrow.column(c.name)) for c in table.columns})


def _numpy(kind: str, column: Any) -> np.ndarray:  # column: a pyarrow ChunkedArray
    if kind == "id":
        return column.to_numpy().astype("int64", copy=False)
    if kind in ("float", "flag"):
        import pyarrow as pa

        return column.cast(pa.float64()).to_numpy(zero_copy_only=False)  # null -> NaN; True/False -> 1.0/0.0
    if kind in ("date", "date_or_null"):
        return column.to_numpy(zero_copy_only=False).astype("datetime64[D]").astype("datetime64[ns]")
    return column.to_numpy(zero_copy_only=False).astype(object)


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
