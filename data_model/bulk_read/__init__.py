"""Fast, exact column reads of the rules' input (surgeries, visits, treatments) straight from the driver.

A big clinic (visits past columnar.COLUMNAR_ROWS) is read through connectorx, a columnar reader made for
this (bulk_read/columnar.py; queries.clinic_frames). This module is the session's own reader: for a
small clinic, a few patients, and the fallback where connectorx cannot read (SQLite while writes keep
coming in between its queries; a PostgreSQL server it cannot reach as the app does).

queries.surgeries_frame / visits_frame / treatments_frame build their frames from these arrays; the ORM
path (a Python tuple per row, then pandas) costs ~16 s for two million visits, almost all of it in
creating Python objects. Here each column crosses the driver as ONE value instead:

- SQLite (the stdlib sqlite3 driver): one query with one group_concat per column (or per pack of
  columns), so SQLite formats the column into a single string and numpy parses it in C.
  - decimal columns travel as whole hundredths, up to three packed in one integer (_hundredths): a
    value exactly the double of k/100 (0 <= k/100 < 10,000) comes back as k / 100.0, bit for bit (an
    IEEE division is correctly rounded); any other value (say 1/3 from an import) marks its column to
    be read again exactly, a Python float per row. Nerve symptoms travel as one base-3 number.
  - text travels with the unit separator (0x1f) between values and 0x1e for NULL; validation keeps
    control characters out of text, and the query counts both bytes: a column holding either is
    read again per row.
  - dates are 'YYYY-MM-DD' text (SQLAlchemy's SQLite Date); the digits are parsed as a fixed-width
    byte matrix, and anything else falls back to numpy's ISO parser.
  - a full read of a big table runs as two halves at once, the second on its own read-only
    connection in a thread, when both connections see the same last audit entry (the same data).
- PostgreSQL (psycopg, bulk_read/postgres.py): one query whose string_agg builds the rows as CSV
  lines server-side, parsed by pyarrow's multi-threaded CSV reader (pyarrow ships with Streamlit).
  Floats are printed with extra_float_digits = 3 (shortest exact text on PostgreSQL 12+), dates as
  whole days since 1970, text quoted (an unquoted empty field is NULL).
- Small patient sets (the patient page, incremental updates) are plain row fetches on the same driver.
- Rows come back in (patient_id, date, id) order, as the ORM queries order them; the big reads sort in
  numpy (cheaper than SQLite's ORDER BY through the index).

read() returns None for any other database or driver: the caller then uses the ORM path.
This module runs on the session's own connection, so the three tables are read in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import Connection

from ..import_runs import VISIBLE_SQL
from ..sorting import in_order

SMALL_PATIENT_SET = 2000  # up to this many patient ids: plain row fetch (index look-ups, no full scan)
_FIELD, _NULL = "\x1f", "\x1e"


@dataclass(frozen=True)
class Column:
    name: str  # the frame's column name
    sql: str  # the table's column
    kind: str  # id | float | flag | date | date_or_null | text


@dataclass(frozen=True)
class Table:
    name: str
    date_column: str  # the as_of filter and the second sort key
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


SURGERIES = Table(
    "surgeries",
    "surgery_date",
    (
        Column("patient_id", "patient_id", "id"),
        Column("surgery_id", "id", "id"),
        Column("surgery_date", "surgery_date", "date"),
        Column("procedure", "procedure", "text"),
        Column("spinal_levels", "spinal_levels", "text"),
        Column("surgeon", "surgeon", "text"),
        Column("notes", "notes", "text"),
        Column("source_code", "source_code", "text"),
    ),
)
VISITS = Table(
    "visits",
    "visit_date",
    (
        Column("patient_id", "patient_id", "id"),
        Column("visit_id", "id", "id"),
        Column("visit_date", "visit_date", "date"),
        *(Column(c, c, "float") for c in ("back_pain", "leg_pain", "pain_unspecified", "odi")),
        *(Column(c, c, "flag") for c in ("numbness", "tingling", "weakness")),
        Column("mme_per_day", "mme_per_day", "float"),
    ),
)
TREATMENTS = Table(
    "treatments",
    "start_date",
    (
        Column("patient_id", "patient_id", "id"),
        Column("treatment_id", "id", "id"),
        Column("code", "code", "text"),
        Column("start_date", "start_date", "date"),
        Column("end_date", "end_date", "date_or_null"),
    ),
)
TABLES = {t.name: t for t in (SURGERIES, VISITS, TREATMENTS)}

Arrays = dict[str, np.ndarray]


def supported(conn: Connection) -> bool:
    dialect = conn.dialect
    return (
        dialect.name == "sqlite"
        and dialect.driver == "pysqlite"
        or (dialect.name == "postgresql" and dialect.driver == "psycopg")
    )


def read(
    conn: Connection, table: Table, patient_ids: list[int] | None = None, as_of: date | None = None
) -> Arrays | None:
    """The table's non-voided rows (dated on or before as_of; of these patients) as numpy arrays:
    ids int64, floats and nerve-symptom flags float64 (NaN: unknown; flags 1.0 / 0.0), dates
    datetime64[ns] (NaT), text object (None); ordered by patient_id, date, id. None: unsupported driver."""
    if not supported(conn):
        return None
    ids = None if patient_ids is None else sorted({int(p) for p in patient_ids})
    raw = conn.connection.driver_connection
    sqlite = conn.dialect.name == "sqlite"
    if ids is not None and len(ids) <= SMALL_PATIENT_SET:
        return _row_read(raw, table, ids, as_of, sqlite)
    if not sqlite:
        from .postgres import postgres_bulk  # it needs this module's tables: imported here, once

        return postgres_bulk(raw, table, ids, as_of)
    return _sqlite_bulk(raw, table, ids, as_of)


# --- The WHERE clause ----------------------------------------------------------------------------------


def where_clause(
    table: Table, ids: list[int] | None, as_of: date | None, sqlite: bool, inline: bool = False
) -> tuple[str, list]:
    """The rows every reader reads: not voided, not in an unfinished import, dated on or before as_of, of
    these patients. inline: the values written into the text, for a reader that takes no parameters
    (connectorx): the date as ISO digits, the ids as integers, so nothing else can reach the SQL."""
    mark = "?" if sqlite else "%s"
    clauses = ["voided_at IS NULL", VISIBLE_SQL]
    params: list[object] = []
    if as_of is not None:
        # SQLAlchemy stores a SQLite Date as 'YYYY-MM-DD' text, compared as text
        clauses.append(f"{table.date_column} <= " + (f"'{as_of.isoformat()}'" if inline else mark))
        params.append(as_of.isoformat() if sqlite else as_of)
    if ids is not None:
        listed = ",".join(str(int(p)) for p in ids)
        if sqlite:
            clauses.append("patient_id IN (SELECT value FROM json_each(" + (f"'[{listed}]'" if inline else "?") + "))")
            params.append(json.dumps(ids))
        else:
            clauses.append("patient_id = ANY(" + (f"'{{{listed}}}'" if inline else "%s") + ")")
            params.append(ids)
    return " AND ".join(clauses), [] if inline else params


# --- Plain row fetch (few patients) --------------------------------------------------------------------


def _row_read(raw, table: Table, ids: list[int], as_of: date | None, sqlite: bool) -> Arrays:
    where, params = where_clause(table, ids, as_of, sqlite)
    select = ", ".join(c.sql for c in table.columns)
    sql = f"SELECT {select} FROM {table.name} WHERE {where} ORDER BY patient_id, {table.date_column}, id"
    cursor = raw.cursor()
    try:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    values = list(zip(*rows, strict=True)) if rows else [()] * len(table.columns)
    return {c.name: from_python(c.kind, v) for c, v in zip(table.columns, values, strict=True)}


def from_python(kind: str, values: tuple) -> np.ndarray:
    if kind == "id":
        return np.array(values, dtype="int64")
    if kind in ("float", "flag"):
        # None -> NaN; booleans (PostgreSQL) and 0/1 (SQLite) -> 0.0 / 1.0
        return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")
    if kind in ("date", "date_or_null"):
        return _dates_from_objects(values)
    return np.array(values, dtype=object)


def _dates_from_objects(values) -> np.ndarray:
    """date objects (psycopg) or ISO text (SQLite), None -> NaT, as datetime64[ns]."""
    out = np.array(
        [
            np.datetime64("NaT") if v is None else np.datetime64(v if isinstance(v, str) else v.isoformat(), "D")
            for v in values
        ],
        dtype="datetime64[D]",
    )
    return out.astype("datetime64[ns]")


# --- SQLite: a few group_concats, on two connections at once --------------------------------------------

# Up to three decimal columns travel packed in one integer, 20 bits each: 0 = NULL, 1 = "not exactly
# k/100 in 0..10,000, read again", else 2 + k (the value is k / 100.0, bit for bit). Three nerve
# symptoms travel as one base-3 digit each (0, 1, 2 = NULL). Fewer, larger strings for SQLite to build.
_SLOT_BITS, _PACK = 20, 3
_PARALLEL_ROWS = 200_000  # a full read of a table this big splits its rows over two connections


def _hundredths(x: str) -> str:
    return (
        f"CASE WHEN {x} IS NULL THEN 0 WHEN {x} >= 0 AND {x} < 10000 AND {x} = round({x} * 100) / 100.0 "
        f"THEN CAST(round({x} * 100) AS INTEGER) + 2 ELSE 1 END"
    )


def _sqlite_plan(table: Table) -> list[tuple[str, str, tuple[Column, ...]]]:
    """(decoder, SQL aggregate, columns) per value the query returns, after count(*)."""
    floats = [c for c in table.columns if c.kind == "float"]
    flags = [c for c in table.columns if c.kind == "flag"]
    plan: list[tuple[str, str, tuple[Column, ...]]] = []
    for c in table.columns:
        x = c.sql
        if c.kind in ("id", "date"):
            plan.append((c.kind, f"group_concat({x})", (c,)))
        elif c.kind == "date_or_null":
            plan.append(("date", f"group_concat(ifnull({x}, '0000-00-00'))", (c,)))
        elif c.kind == "text":
            plan.append(
                (
                    "text",
                    f"group_concat(ifnull({x}, char(30)), char(31)) || char(31) || sum({x} IS NULL) "
                    f"|| char(31) || total(instr({x}, char(31)) > 0 OR instr({x}, char(30)) > 0)",
                    (c,),
                )
            )
    for i in range(0, len(floats), _PACK):
        pack = tuple(floats[i : i + _PACK])
        expr = " + ".join(f"({_hundredths(c.sql)}) * {1 << (_SLOT_BITS * k)}" for k, c in enumerate(pack))
        plan.append(("floats", f"group_concat({expr})", pack))
    if flags:
        expr = " + ".join(f"ifnull({c.sql}, 2) * {3**k}" for k, c in enumerate(flags))
        plan.append(("flags", f"group_concat({expr})", tuple(flags)))
    return plan


def _sqlite_bulk(raw, table: Table, ids: list[int] | None, as_of: date | None) -> Arrays:
    where, params = where_clause(table, ids, as_of, sqlite=True)
    plan = _sqlite_plan(table)
    sql = f"SELECT count(*), {', '.join(agg for _, agg, _ in plan)} FROM {table.name} WHERE {where}"
    rows = _parallel_rows(raw, table, sql, params) if ids is None else None
    if rows is None:
        rows = [raw.execute(sql, params).fetchone()]
    parts = [_decode(plan, row) for row in rows if row[0]]
    again = [c for c in table.columns if any(p[c.name] is None for p in parts)]
    out: Arrays = {
        c.name: np.concatenate([p[c.name] for p in parts]) if parts else from_python(c.kind, ())
        for c in table.columns
        if c not in again
    }
    if again:  # values the fast path cannot carry exactly: one plain read of those columns, by id
        cursor = raw.cursor()
        try:
            _read_again(cursor, table, again, where, params, out)
        finally:
            cursor.close()
    return ordered(table, out)


def _parallel_rows(raw, table: Table, sql: str, params: list) -> list[tuple] | None:
    """The query over two halves of the rows, one on this connection and one on a second read-only
    connection in a thread (SQLite releases the GIL while it works), when both see the same data.
    None: a small table, a database in memory, or a write came between the two snapshots."""
    path = next((row[2] for row in raw.execute("PRAGMA database_list") if row[1] == "main"), "")
    # the session's snapshot starts at its first read; the audit log's last id names it (every write is audited)
    version = raw.execute("SELECT max(id), (SELECT max(rowid) FROM " + table.name + ") FROM audit_log").fetchone()
    if not path or not version[1] or version[1] < _PARALLEL_ROWS:
        return None
    import sqlite3
    import threading

    try:
        other = sqlite3.connect(
            Path(path).as_uri() + "?mode=ro", uri=True, check_same_thread=False, isolation_level=None
        )
    except sqlite3.Error:
        return None  # one connection will do
    worker = None
    try:
        other.execute("BEGIN")
        if other.execute("SELECT max(id) FROM audit_log").fetchone()[0] != version[0]:
            return None
        # '+rowid' keeps SQLite on the table scan (an index range would fetch row by row)
        middle = version[1] // 2
        halves: dict[int, tuple] = {}

        def second() -> None:
            halves[1] = other.execute(sql + f" AND +{table.name}.rowid > {middle}", params).fetchone()

        worker = threading.Thread(target=second, name="paintrail-read")
        worker.start()
        halves[0] = raw.execute(sql + f" AND +{table.name}.rowid <= {middle}", params).fetchone()
        worker.join()
        return [halves[0], halves[1]] if 1 in halves else None
    finally:
        if worker is not None:
            worker.join()  # never close the connection under the thread still reading on it
        other.close()


def _decode(plan: list[tuple[str, str, tuple[Column, ...]]], row: tuple) -> dict[str, np.ndarray | None]:
    """One result row's strings as arrays; None for a column that must be read again exactly."""
    n = int(row[0])
    out: dict[str, np.ndarray | None] = {}
    for (kind, _, columns), text in zip(plan, row[1:], strict=True):
        c = columns[0]
        if kind == "id":
            out[c.name] = _ints(text, n)
        elif kind == "date":
            out[c.name] = _iso_dates(text, n)
        elif kind == "text":
            values = text.split(_FIELD)
            nulls, odd = int(values[-2]), float(values[-1])
            values = values[:-2]
            clean = len(values) == n and not odd and sum(1 for v in values if v == _NULL) == nulls
            out[c.name] = np.array([None if v == _NULL else v for v in values], dtype=object) if clean else None
        elif kind == "floats":
            packed = _ints(text, n)
            for k, col in enumerate(columns):
                code = (packed >> (_SLOT_BITS * k)) & ((1 << _SLOT_BITS) - 1)
                values = (code - 2) / 100.0
                values[code == 0] = np.nan
                out[col.name] = None if (code == 1).any() else values
        else:  # flags
            packed = _ints(text, n)
            for k, col in enumerate(columns):
                digit = (packed // 3**k) % 3
                out[col.name] = np.where(digit == 2, np.nan, digit.astype("float64"))
    return out


def _read_again(cursor, table: Table, columns: list[Column], where: str, params: list, out: Arrays) -> None:
    select = ", ".join(c.sql for c in columns)
    rows = cursor.execute(f"SELECT id, {select} FROM {table.name} WHERE {where}", params).fetchall()
    row_id = np.array([r[0] for r in rows], dtype="int64")
    key = table.columns[1].name  # the row's own id (surgery_id, visit_id, treatment_id)
    sorter = np.argsort(row_id)
    at = sorter[np.searchsorted(row_id, out[key], sorter=sorter)]
    for j, c in enumerate(columns, start=1):
        values = [r[j] for r in rows]
        converted = from_python(c.kind, tuple(values))
        out[c.name] = converted[at]


def _ints(text: str, n: int) -> np.ndarray:
    if n == 0:
        return np.array([], dtype="int64")
    values = np.fromstring(text, dtype="int64", sep=",")
    if len(values) != n:
        raise RuntimeError(f"bulk read: {len(values)} integers parsed, {n} rows")
    return values


def _iso_dates(text: str, n: int) -> np.ndarray:
    """'YYYY-MM-DD,YYYY-MM-DD,...' ('0000-00-00': NULL) as datetime64[ns], digits parsed column-wise."""
    if n == 0:
        return np.array([], dtype="datetime64[ns]")
    raw = np.frombuffer((text + ",").encode("ascii", "replace"), dtype=np.uint8)
    if len(raw) == 11 * n:
        grid = raw.reshape(n, 11)
        digits = grid[:, [0, 1, 2, 3, 5, 6, 8, 9]].astype("int32") - 48  # int32: half the memory of int64
        shaped = (grid[:, 4] == 45).all() and (grid[:, 7] == 45).all() and (grid[:, 10] == 44).all()
        if shaped and ((digits >= 0) & (digits <= 9)).all():
            year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
            month = digits[:, 4] * 10 + digits[:, 5]
            day = digits[:, 6] * 10 + digits[:, 7]
            null = year == 0
            if ((month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) | null).all():
                months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
                out = months.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
                # a day past the month's end (2026-02-30) would roll over silently: let numpy refuse it
                if (out.astype("datetime64[M]") == months)[~null].all():
                    out[null] = np.datetime64("NaT")
                    return out.astype("datetime64[ns]")
    values = text.split(",")
    return _dates_from_objects(tuple(None if v == "0000-00-00" else v for v in values))


# --- Order ------------------------------------------------------------------------------------------------


def ordered(table: Table, out: Arrays) -> Arrays:
    """Rows in (patient_id, date, id) order; already so (a freshly seeded table), nothing moves."""
    pid = out["patient_id"]
    if len(pid) < 2:
        return out
    day = out[table.date_column].view("int64")
    row_id = out[table.columns[1].name]
    if in_order(pid, day, row_id):
        return out
    order = np.lexsort((row_id, day, pid))
    return {name: values[order] for name, values in out.items()}
