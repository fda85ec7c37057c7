"""Write a synthetic cohort into a migrated database: bulk inserts in one audited transaction.

Not data_model.commands' write path, for scale: a demo or benchmark cohort of 100,000 patients is
written with driver-level bulk inserts and recorded as one 'seed' audit event; it refuses MRNs already
held, so it never touches rows entered by staff."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select

from data_model.audit import record_event, set_actor
from data_model.db import driver_connection, read_session, write_session
from data_model.models import AuditEntry, Patient, Surgery, Treatment, User, Visit, utcnow

from .generator import (
    PATIENT_COLUMNS,
    SURGERY_COLUMNS,
    TREATMENT_COLUMNS,
    VISIT_COLUMNS,
    CohortFrames,
)

CHUNK_ROWS = 100_000
MRN_CHECK_CHUNK = 5_000
SOURCE = "seed"
SQLITE_BULK_CACHE_KIB = -262_144  # negative: KiB, so 256 MiB for the write
# SQLAlchemy's SQLite DateTime storage format (Date is 'YYYY-MM-DD'): raw rows must read back through
# the ORM exactly as rows it wrote itself.
SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def foreign_contents(engine: Engine, actor: str, own_accounts: set[str]) -> list[str]:
    """What the database holds besides a synthetic cohort and accounts that `actor` wrote: empty when it is
    new, or holds only what that actor made (its 'seed' event or its accounts mark it as the maker).

    The demo publishes its accounts' passwords, so it must never add them where real data lives.
    """
    own = {name.lower() for name in own_accounts}
    with read_session(engine) as session:
        patients = session.scalar(select(func.count(Patient.id)))
        other_sources = session.scalar(select(func.count(Patient.id)).where(Patient.source != SOURCE))
        accounts = list(session.scalars(select(User.username)))
        made_by_actor = session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.actor == actor,
                (AuditEntry.action == "seed") | ((AuditEntry.action == "insert") & (AuditEntry.table_name == "users")),
            )
        )
    found = []
    if other_sources:
        found.append(f"{other_sources} patients that are not synthetic (imported or entered)")
    strangers = [name for name in accounts if name.lower() not in own]
    if strangers:
        found.append(f"{len(strangers)} accounts of its own")
    if (patients or accounts) and not made_by_actor and not found:
        found.append(f"{patients} patients and {len(accounts)} accounts made by something else than {actor}")
    return found


def write_cohort(engine: Engine, frames: CohortFrames, actor: str = "seed") -> dict[str, int]:
    """Insert the cohort (source='seed') and one audit row, all or nothing; returns the row counts.

    Raises ValueError naming the MRNs when any of them is already in the database, is repeated in the
    frames, or has rows but no patient; nothing is written then. SQLite gets plain-tuple executemany
    through the driver, PostgreSQL (psycopg) COPY, any other database Core executemany.
    """
    _check_columns(frames)
    counts = frames.counts()
    now = utcnow()
    with write_session(engine) as session:
        set_actor(session, actor)
        conn = session.connection()
        _refuse_existing(conn, frames.patients["mrn"])
        bulk = _bulk_writer(conn)
        dates = _date_converter(conn)
        stamp = _timestamp(conn, now)
        seeded = {"source": Same(SOURCE), "created_at": Same(stamp)}
        p = frames.patients
        first_id = conn.scalar(select(func.coalesce(func.max(Patient.id), 0)))
        bulk(
            "patients",
            {
                "mrn": (_text, p["mrn"]),
                "display_name": (_text, p["display_name"]),
                "birth_year": (_ints, p["birth_year"]),
                "sex": (_text, p["sex"]),
                **seeded,
                "data_changed_at": Same(stamp),
            },
            len(p),
        )
        inserted = conn.execute(select(Patient.mrn, Patient.id).where(Patient.id > first_id)).all()
        new_ids = pd.DataFrame(inserted, columns=["mrn", "id"])
        id_of = pd.Series(new_ids["id"].to_numpy(), index=new_ids["mrn"].to_numpy())

        def patient_ids(frame: pd.DataFrame) -> tuple[Callable, pd.Series]:
            return _ints, frame["mrn"].map(id_of)

        s = frames.surgeries
        bulk(
            "surgeries",
            {
                "patient_id": patient_ids(s),
                "surgery_date": (dates, s["surgery_date"]),
                **{c: (_text, s[c]) for c in ("procedure", "spinal_levels", "surgeon", "notes")},
                **seeded,
            },
            len(s),
        )
        v = frames.visits
        bulk(
            "visits",
            {
                "patient_id": patient_ids(v),
                "visit_date": (dates, v["visit_date"]),
                **{c: (_floats, v[c]) for c in ("back_pain", "leg_pain", "odi")},
                **{c: (_bools, v[c]) for c in ("numbness", "tingling", "weakness")},
                "mme_per_day": (_floats, v["mme_per_day"]),
                "notes": (_text, v["notes"]),
                "pain_instrument": Same("NRS"),
                **seeded,
                "created_by": Same(actor),
            },
            len(v),
        )
        t = frames.treatments
        bulk(
            "treatments",
            {
                "patient_id": patient_ids(t),
                "code": (_text, t["code"]),
                "start_date": (dates, t["start_date"]),
                "end_date": (dates, t["end_date"]),
                "notes": (_text, t["notes"]),
                **seeded,
            },
            len(t),
        )
        record_event(session, "seed", counts)
    return counts


def _check_columns(frames: CohortFrames) -> None:
    for name, columns in (
        ("patients", PATIENT_COLUMNS),
        ("surgeries", SURGERY_COLUMNS),
        ("visits", VISIT_COLUMNS),
        ("treatments", TREATMENT_COLUMNS),
    ):
        missing = [c for c in columns if c not in getattr(frames, name).columns]
        if missing:
            raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")
    mrns = frames.patients["mrn"]
    repeated = mrns[mrns.duplicated()]
    if len(repeated):
        raise ValueError(f"mrn: repeated in the cohort: {_some(repeated.tolist())}; nothing was written")
    for name in ("surgeries", "visits", "treatments"):
        orphans = getattr(frames, name)["mrn"]
        orphans = orphans[~orphans.isin(mrns)].unique().tolist()
        if orphans:
            raise ValueError(f"{name}.mrn: not among the patients: {_some(orphans)}; nothing was written")


def _refuse_existing(conn: Connection, mrns: pd.Series) -> None:
    if conn.scalar(select(Patient.id).limit(1)) is None:
        return
    clashes: list[str] = []
    values = mrns.tolist()
    for i in range(0, len(values), MRN_CHECK_CHUNK):
        chunk = values[i : i + MRN_CHECK_CHUNK]
        clashes += conn.scalars(select(Patient.mrn).where(Patient.mrn.in_(chunk))).all()
    if clashes:
        raise ValueError(f"mrn: {len(clashes)} already in the database ({_some(sorted(clashes))}); nothing was written")


def _some(values: list[str], limit: int = 10) -> str:
    return ", ".join(values[:limit]) + (", …" if len(values) > limit else "")


# --- Column conversion: NaN/NaT -> None, numpy scalars -> Python values ------------------------------


def _text(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype=object, na_value=None)


def _ints(column: pd.Series) -> list[int | None]:
    if not column.hasnans:
        return column.astype(np.int64).tolist()
    return [None if pd.isna(x) else int(x) for x in column.tolist()]


def _floats(column: pd.Series) -> np.ndarray:
    values = column.to_numpy(dtype=float)
    out = values.astype(object)
    out[np.isnan(values)] = None
    return out


def _bools(column: pd.Series) -> np.ndarray:
    values = column.to_numpy(dtype=float)
    out = np.where(values > 0, True, False).astype(object)
    out[np.isnan(values)] = None
    return out


def _iso_dates(column: pd.Series) -> np.ndarray:
    days = column.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    # A cohort spans a few thousand distinct days: format each once.
    unique, inverse = np.unique(days, return_inverse=True)
    text = np.datetime_as_string(unique).astype(object)
    text[np.isnat(unique)] = None
    return text[inverse]


def _date_objects(column: pd.Series) -> np.ndarray:
    return np.array([None if pd.isna(x) else x.date() for x in column], dtype=object)


def _date_converter(conn: Connection) -> Callable[[pd.Series], np.ndarray]:
    # SQLite's Date is stored as 'YYYY-MM-DD' text and PostgreSQL's COPY parses the same text;
    # the portable Core path needs date objects.
    return _iso_dates if _fast_path(conn) else _date_objects


def _timestamp(conn: Connection, now: datetime) -> Any:
    if not _fast_path(conn):
        return now
    if conn.dialect.name == "sqlite":
        return now.strftime(SQLITE_DATETIME_FORMAT)  # UTC wall clock, as the ORM stores it
    return now.isoformat()


# --- Bulk writers --------------------------------------------------------------------------------------


def _fast_path(conn: Connection) -> bool:
    dialect = conn.dialect
    return dialect.name == "sqlite" or (dialect.name == "postgresql" and dialect.driver == "psycopg")


@dataclass(frozen=True)
class Same:
    """The same value on every row."""

    value: Any


def _chunks(columns: Sequence[Column], n_rows: int) -> Iterator[list[tuple]]:
    """Rows as tuples, converted a chunk at a time to keep memory flat."""
    for start in range(0, n_rows, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n_rows)
        parts = [[c.value] * (stop - start) if isinstance(c, Same) else c[0](c[1].iloc[start:stop]) for c in columns]
        yield list(zip(*parts, strict=True))


def _sqlite_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    text = str(value)
    if "\x00" in text:
        raise ValueError(f"{text!r}: a NUL character cannot be stored")
    return "'" + text.replace("'", "''") + "'"


Column = Same | tuple[Callable[[pd.Series], Any], pd.Series]
Bulk = Callable[[str, dict[str, Column], int], None]


def _bulk_writer(conn: Connection) -> Bulk:
    driver = driver_connection(conn.connection)
    if conn.dialect.name == "sqlite":

        def sqlite_bulk(table: str, spec: dict[str, Column], n_rows: int) -> None:
            # Constants go into the statement as literals: binding them on every row costs time.
            values = [_sqlite_literal(c.value) if isinstance(c, Same) else "?" for c in spec.values()]
            varying = [c for c in spec.values() if not isinstance(c, Same)]
            sql = f"INSERT INTO {table} ({', '.join(spec)}) VALUES ({', '.join(values)})"
            (previous,) = driver.execute("PRAGMA cache_size").fetchone()
            # A big page cache keeps the index pages of a large transaction in memory.
            driver.execute(f"PRAGMA cache_size={SQLITE_BULK_CACHE_KIB}")
            try:
                for rows in _chunks(varying, n_rows):
                    driver.executemany(sql, rows)
            finally:
                driver.execute(f"PRAGMA cache_size={int(previous)}")

        return sqlite_bulk
    if _fast_path(conn):

        def copy_bulk(table: str, spec: dict[str, Column], n_rows: int) -> None:
            with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(spec)}) FROM STDIN") as copy:
                for rows in _chunks(list(spec.values()), n_rows):
                    for row in rows:
                        copy.write_row(row)

        return copy_bulk
    tables = {m.__tablename__: m.__table__ for m in (Patient, Surgery, Visit, Treatment)}

    def core_bulk(table: str, spec: dict[str, Column], n_rows: int) -> None:
        for rows in _chunks(list(spec.values()), n_rows):
            conn.execute(insert(tables[table]), [dict(zip(spec, row, strict=True)) for row in rows])

    return core_bulk
