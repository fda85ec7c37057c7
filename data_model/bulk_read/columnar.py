"""The whole-table reads of the rules' input through connectorx, a columnar reader made for this.

A read of many patients (the whole clinic, or more than SMALL_PATIENT_SET of them) of a big clinic comes
back from the database as Arrow columns and becomes the same numpy arrays bulk_read.read returns
(dtypes, NaN, NaT, None, order; tests/integration/test_bulk_read.py holds them to the ORM's frames). The
result is always the data the session's own snapshot holds, so what the session reads besides (names,
reviews, diagnoses) agrees with it; where that cannot be had, read_tables returns None and the caller
reads on the session (bulk_read.read).

- PostgreSQL: in this process, on connections of connectorx's own that join the session's snapshot
  (pg_export_snapshot, then SET TRANSACTION SNAPSHOT before each query) — for a read-only session in
  REPEATABLE READ, which the app's read_session is; the partitions' patient range is found by the session.
  The session's search_path goes along.
- SQLite: in a process of its own (reader_process.py; connectorx's copy of SQLite must not share a
  process with the sqlite3 module's). Each query sees the data as it was when it began; the newest
  audit entry and the newest finished import, read by the session and by the reader before and after
  its queries, say whether the reader saw the session's data (every PainTrail write is audited, in the
  same transaction, and SQLite commits one writer at a time in id order). A write since the session's
  snapshot began means None. A change made outside PainTrail without an audit entry is not seen by this
  check, as by the rest of PainTrail (services/incremental.py; the app reads everything again daily).

Each table is read in two halves at once (ranges of patients; the machine PainTrail is sized for has
two cores), whose batches arrive interleaved: they are put back in each half's order (_by_half), so rows
stored in patient order stay so, and bulk_read.ordered sorts only what the table did not hold in order.
docs/PERFORMANCE.md has the figures.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import subprocess
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from sqlalchemy import Connection

from ..import_runs import VISIBLE_SQL
from . import TABLES, Arrays, Table, ordered, where_clause

log = logging.getLogger(__name__)

# Below this many visits the session's own reader (bulk_read.read) is quicker than starting connectorx's
# connections, and on SQLite a process (a few tenths of a second): a clinic of some thousand patients.
COLUMNAR_ROWS = 200_000
PARTITION_ON = "patient_id"  # every table is read in two halves at once, by patient
READ_TIMEOUT = 600.0  # seconds: a reader process still reading then is stopped (the caller falls back)
_READER = Path(__file__).with_name("reader_process.py")
_MAX_TABLE_BYTES = 1 << 36  # a length past this is not a table but a broken pipe's garbage
# the data a reader is shown: the newest audit entry outside unfinished imports (every write is audited)
# and the newest finished import (an import's rows appear when it turns done)
_VERSION_SQL = (
    f"SELECT coalesce(max(id), 0) AS last_id, "
    f"(SELECT coalesce(max(id), 0) FROM imports WHERE state = 'done') AS last_import "
    f"FROM audit_log WHERE {VISIBLE_SQL}"
)


def source_url(conn: Connection) -> str | None:
    """The database as connectorx names it; None for one it cannot open on its own (SQLite in memory,
    another engine). PostgreSQL: the session's search_path goes along (a connect hook may have set it)."""
    url = conn.engine.url
    if url.get_backend_name() == "sqlite" and conn.dialect.driver == "pysqlite":
        if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
            return None
        return "sqlite://" + quote(str(Path(url.database).resolve()))
    if url.get_backend_name() == "postgresql" and conn.dialect.driver == "psycopg":
        # quoted as identifiers (a schema "Clinic A" is not clinic_a), then escaped for libpq's options
        schemas = conn.exec_driver_sql(
            "SELECT string_agg(quote_ident(name), ',') FROM unnest(current_schemas(false)) AS name"
        ).scalar()
        target = url.set(drivername="postgresql")
        if schemas:
            escaped = schemas.replace("\\", "\\\\").replace(" ", "\\ ")
            given = url.query.get("options")  # a site's own (a statement timeout, say) stay
            given_text = " ".join(given) if isinstance(given, tuple) else given
            options = " ".join(o for o in (given_text, f"-csearch_path={escaped}") if o)
            target = target.update_query_dict({"options": options})
        rendered = target.render_as_string(hide_password=False)
        if "?" not in rendered:
            return rendered
        # SQLAlchemy writes a space in the query as "+", which connectorx reads as a plus sign
        address, query = rendered.split("?", 1)
        return address + "?" + query.replace("+", "%20")
    return None


def sql(table: Table, as_of: date | None, patient_ids: list[int] | None = None, sqlite: bool = True) -> str:
    """One table's rules' columns, filtered as bulk_read.read filters them (where_clause, its values
    written into the text: connectorx takes no parameters)."""
    where, _ = where_clause(table, patient_ids, as_of, sqlite, inline=True)
    select = ", ".join(f"{c.sql} AS {c.name}" for c in table.columns)
    return f"SELECT {select} FROM {table.name} WHERE {where}"


def read_tables(conn: Connection, as_of: date | None, patient_ids: list[int] | None = None) -> dict[str, Arrays] | None:
    """Surgeries, visits and treatments (bulk_read.TABLES) as bulk_read.read returns them, or None when
    this database cannot be read so (SQLite in memory, another driver; SQLite while writes keep coming)."""
    source = source_url(conn)
    if source is None or not _big(conn):
        return None
    sqlite = conn.dialect.name == "sqlite"
    if sqlite and not Path(conn.engine.url.database or "").is_file():
        return None  # connectorx would make an empty database there
    queries = {name: sql(table, as_of, patient_ids, sqlite) for name, table in TABLES.items()}
    arrow = _sqlite_process(conn, source, queries) if sqlite else _postgres(conn, source, queries)
    if arrow is None:
        return None
    out = {}
    for name, table in TABLES.items():
        halves = _by_half(arrow[name])
        out[name] = ordered(table, {c.name: numpy_column(c.kind, halves.column(c.name)) for c in table.columns})
    return out


def _by_half(table: Any) -> Any:  # a pyarrow Table
    """The batches of a read in two halves, the first half's first. Each half covers its own range of
    patients and comes in order, so a stable sort of the batches by their first patient does it."""
    import pyarrow as pa

    batches = [b for b in table.to_batches() if b.num_rows]
    if len(batches) < 2:
        return table
    batches.sort(key=lambda batch: batch.column(PARTITION_ON)[0].as_py())
    return pa.Table.from_batches(batches, schema=table.schema)


def _big(conn: Connection) -> bool:
    """Whether the visits table has grown to about COLUMNAR_ROWS rows (its largest id: one index look-up)."""
    return (conn.exec_driver_sql("SELECT max(id) FROM visits").scalar() or 0) >= COLUMNAR_ROWS


def _postgres(conn: Connection, source: str, queries: dict[str, str]) -> dict[str, Any] | None:
    import connectorx as cx

    # Joining the session's snapshot gives the session's data only for a read-only session in one snapshot
    # for the whole transaction (its own uncommitted writes would be missing): otherwise the session reads.
    isolation, written = conn.exec_driver_sql(
        "SELECT current_setting('transaction_isolation'), txid_current_if_assigned()"
    ).one()
    if isolation not in ("repeatable read", "serializable") or written is not None or conn.in_nested_transaction():
        return None
    out = {}
    try:
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        join = ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", f"SET TRANSACTION SNAPSHOT '{snapshot}'"]
        # The halves' patient range, from the session: connectorx would ask for it outside the snapshot
        # (a patient removed since would cut their rows off). Every row's patient is a patient.
        low, high = conn.exec_driver_sql("SELECT min(id), max(id) FROM patients").one()
        for name, query in queries.items():
            if low is None:  # no patient: nothing to halve
                out[name] = cx.read_sql(source, query, return_type="arrow", pre_execution_query=join)
                continue
            out[name] = cx.read_sql(
                source,
                query,
                return_type="arrow",
                pre_execution_query=join,
                partition_on=PARTITION_ON,
                partition_range=(int(low), int(high)),
                partition_num=2,
            )
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # connectorx's own panics are BaseExceptions; a server it cannot reach as the app does
        log.warning("column read with connectorx failed (%s); reading on the session's connection instead", exc)
        return None
    return out


def _sqlite_process(conn: Connection, source: str, queries: dict[str, str]) -> dict[str, Any] | None:
    request = {
        "source": source,
        "check": _VERSION_SQL,
        "expect": list(conn.exec_driver_sql(_VERSION_SQL).one()),  # what the session's snapshot holds
        "queries": queries,
        "partition_on": PARTITION_ON,
    }
    try:
        return _run_reader(request)
    except (OSError, ValueError, MemoryError, OverflowError, struct.error, EOFError) as exc:
        log.warning("the column reader failed (%s); reading on the session's connection instead", exc)
        return None


def _run_reader(request: dict[str, Any]) -> dict[str, Any] | None:
    import pyarrow as pa

    # -P: the reader's folder is not put on the import path (its neighbours are this package's modules).
    # The reader needs no PainTrail setting, and gets none (a password among them).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAINTRAIL_")}
    # its complaints go to a file: a full stderr pipe nobody reads yet would stall the reader
    with (
        tempfile.TemporaryFile() as complaints,
        subprocess.Popen(
            [sys.executable, "-P", str(_READER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=complaints,
            env=env,
        ) as reader,
    ):
        assert reader.stdin is not None and reader.stdout is not None
        watchdog = threading.Timer(READ_TIMEOUT, reader.kill)  # a stuck reader must not hold every page
        watchdog.start()
        try:
            reader.stdin.write(json.dumps(request).encode())
            reader.stdin.close()
            header = reader.stdout.readline()
            seen = bool(header) and bool(json.loads(header)["consistent"])
            out = {}
            for name in request["queries"] if seen else ():
                (size,) = struct.unpack("<Q", _exactly(reader.stdout, 8))
                if size > _MAX_TABLE_BYTES:
                    raise ValueError(f"the column reader announced {size} bytes for {name}")
                out[name] = pa.ipc.open_stream(pa.py_buffer(_exactly(reader.stdout, size))).read_all()
        finally:
            reader.stdout.close()
            failed = reader.wait() != 0
            watchdog.cancel()
        complaints.seek(0)
        problem = complaints.read().decode(errors="replace").strip()
    if failed or not header:
        log.warning("the column reader failed (%s); reading on the session's connection instead", problem[-2000:])
        return None
    if not seen:
        log.info("column read: the data changed since the session's snapshot; reading on the session instead")
        return None
    return out


def _exactly(stream: Any, size: int) -> bytearray:
    """size bytes from the pipe, read straight into one buffer (the visits are about 150 MB)."""
    buffer = bytearray(size)
    view, at = memoryview(buffer), 0
    while at < size:
        got = stream.readinto(view[at:])
        if not got:
            raise EOFError(f"the column reader stopped after {at} of {size} bytes")
        at += got
    return buffer


def numpy_column(kind: str, column: Any) -> np.ndarray:  # column: a pyarrow ChunkedArray
    """One Arrow column as bulk_read.read gives it: ids int64, floats and flags float64 with NaN,
    dates datetime64[ns] with NaT, text object with None."""
    import pyarrow as pa

    if kind == "id":
        return column.cast(pa.int64()).to_numpy()
    if kind in ("float", "flag"):
        return column.cast(pa.float64()).to_numpy(zero_copy_only=False)  # null -> NaN; True/False -> 1.0/0.0
    if kind in ("date", "date_or_null"):
        if not pa.types.is_date32(column.type):
            column = column.cast(pa.date32())  # ISO text; anything else fails loudly rather than as NaT
        # days since 1970 as int64, the NULLs as numpy's NaT (the smallest int64): no Python object per row
        days = column.cast(pa.int32()).cast(pa.int64()).fill_null(np.iinfo(np.int64).min).to_numpy()
        return days.view("datetime64[D]").astype("datetime64[ns]")
    return column.to_numpy(zero_copy_only=False).astype(object)
