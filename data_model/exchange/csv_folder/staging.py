"""The CSV import's writes: validated rows go in batches behind the import gate, then show all at once.

Not commands.py's write path, for scale: a folder of a million rows written one ORM object at a time
would hold SQLite's one writer for minutes. The rows are checked by the same validation.check_* functions
(folder_import.py), and the audit entries are written in the same batches as the rows."""

# Each batch is one short write transaction (its rows, with ids taken for them, and their audit
# entries, all marked with the import run's id), so staff saving visits meanwhile wait at most for
# one batch, never for the whole import (on SQLite, whose one writer holds every other save back).
# Everything a batch needs is prepared before its transaction begins (the rows, their audit text with
# a stand-in for the id not yet known); inside, SQLite takes the ids, the stand-ins are filled, and the
# driver inserts plain tuples: SQLAlchemy's per-row parameter handling alone would hold the lock for
# several times as long. Nothing is written once any problem is known: the run is then cleared
# (import_runs.import_run), and readers never saw any of it.

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import ColumnDefault, Date, Engine, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ... import import_runs
from ...audit import after_texts, record_event, set_actor
from ...db import driver_connection, in_chunks, is_sqlite, run_write
from ...models import AuditEntry, Base, Import, Patient, Surgery, Treatment, UTCDateTime, Visit, utcnow
from .files import Problem

BATCH_ROWS = 5_000  # one batch holds SQLite's write lock for about a tenth of a second
SOURCE = "csv"
# no row has this id: in an audit entry's text, '"id": <it>' marks where the id goes (inside a JSON
# string, as in a note, those quotes would be escaped: the mark cannot be met anywhere else)
_ID_STAND_IN = -7_272_727_272_727
_ID_MARK = f'"id": {_ID_STAND_IN}'
# SQLAlchemy's SQLite storage of a UTC timestamp (naive, microseconds): the rows read back through the
# ORM exactly as rows it wrote itself
_SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"
AUDIT_COLUMNS = ("at", "actor", "action", "table_name", "row_id", "patient_id", "before", "after", "import_id")

Progress = Callable[[int, int], None]  # (rows written so far, rows in the files)


def _values(record: Any) -> dict[str, Any]:
    # A shallow dataclasses.asdict: the validated records hold only plain values, and asdict's deep
    # copy is a third of the import time on a 5,000-row file.
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime(_SQLITE_TIMESTAMP)


class _Shape:
    """One table's columns in order, their defaults, and the values SQLite's driver needs converted."""

    def __init__(self, model: type[Base]):
        self.model, self.table = model, model.__table__
        self.columns = [c.key for c in self.table.columns]
        self.defaults: dict[str, Any] = {}
        for column in self.table.columns:
            default = column.default
            if default is None:
                self.defaults[column.key] = None
            elif isinstance(default, ColumnDefault) and default.is_scalar:
                self.defaults[column.key] = default.arg
        self.sqlite_converters = [
            (i, _sqlite_timestamp if isinstance(c.type, UTCDateTime) else _sqlite_date)
            for i, c in enumerate(self.table.columns)
            if isinstance(c.type, UTCDateTime | Date)
        ]

    def row(self, values: dict[str, Any]) -> dict[str, Any]:
        """Every column, as the ORM would insert it (its scalar defaults filled in), so that the row and
        its audit entry are what a save through a session writes."""
        try:
            return {key: values[key] if key in values else self.defaults[key] for key in self.columns}
        except KeyError as missing:
            raise ValueError(f"{self.table.name}.{missing.args[0]}: give a value (its default is computed)") from None


_SHAPES: dict[type[Base], _Shape] = {model: _Shape(model) for model in (Patient, Surgery, Visit, Treatment)}


@dataclass
class _Batch:
    """One batch made ready outside any transaction: rows (id not yet known) and their audit text cut
    where the id goes."""

    model: type[Base]
    rows: list[list[Any]]  # column values in table order; the id (and a patient's own id) filled in later
    audit_parts: list[list[str]]
    patient_ids: list[int | None]  # a row's patient (None for patients: their own new id)
    mrns: list[str]  # patients: the MRN of each row
    ids: list[int] | None = None


class Batches:
    """Validated rows of one file, written a batch at a time as they come (list-like: append)."""

    def __init__(self, stage: Staging, model: type[Base]):
        self.stage, self.model = stage, model
        self.pending: list[Any] = []

    def append(self, item: Any) -> None:
        self.pending.append(item)
        if len(self.pending) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        items, self.pending = self.pending, []
        if items and not self.stage.problems:
            self.stage.write(self.model, items)


@dataclass
class Staging:
    """One import's writer: batches per file, the new patients' ids, and the run that hides them."""

    engine: Engine
    actor: str
    label: str
    existing: dict[str, int]  # MRN -> id of patients already in the database that rows may refer to
    problems: list[Problem]  # shared with validation: once it holds anything, nothing more is written
    total_rows: int
    progress: Progress | None = None

    def __post_init__(self) -> None:
        self.new_ids: dict[str, int] = {}
        self.touched: set[int] = set()  # patients already in the database that get rows
        self.written = 0
        self.run: import_runs.ImportRun | None = None
        self.stack = ExitStack()
        self.sqlite = is_sqlite(self.engine)
        self.patients = Batches(self, Patient)
        self.surgeries = Batches(self, Surgery)
        self.visits = Batches(self, Visit)
        self.treatments = Batches(self, Treatment)

    def __enter__(self) -> Staging:
        self.stack.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> bool | None:
        return self.stack.__exit__(kind, error, trace)

    def flush(self) -> None:
        for batches in (self.patients, self.surgeries, self.visits, self.treatments):
            batches.flush()

    def _start(self) -> import_runs.ImportRun:
        if self.run is None:  # the first batch starts the run: a folder refused at once writes nothing
            self.run = self.stack.enter_context(import_runs.import_run(self.engine, SOURCE, self.label, self.actor))
        return self.run

    # --- one batch ----------------------------------------------------------------------------------

    def write(self, model: type[Base], items: list[Any]) -> None:
        if model is not Patient:
            self.patients.flush()  # a row may belong to a patient still waiting in the last batch
        run = self._start()
        batch = self._prepare(model, items, run.id)
        if not self.sqlite:  # a sequence hands out ids outside any transaction, and never twice
            batch.ids = _sequence_ids(self.engine, model, len(items))
        try:
            run_write(self.engine, lambda session: self._insert(session, batch, run.id))
        except (IntegrityError, self.engine.dialect.loaded_dbapi.IntegrityError):  # from SQLAlchemy, or the driver
            if model is not Patient or not self._refuse_taken_mrns(items):
                raise
            return
        if model is Patient:
            assert batch.ids is not None  # _insert gave every row its id
            self.new_ids.update(zip(batch.mrns, batch.ids, strict=True))
        if self.sqlite:
            _checkpoint(self.engine)
        self.written += len(items)
        if self.progress is not None:
            self.progress(self.written, self.total_rows)

    def _prepare(self, model: type[Base], items: list[Any], run_id: int) -> _Batch:
        shape, now = _SHAPES[model], utcnow()
        common = {"id": _ID_STAND_IN, "source": SOURCE, "created_at": now, "import_id": run_id}
        if model is Patient:
            values = [{**_values(record), **common, "data_changed_at": now} for _line, record in items]
            patient_ids: list[int | None] = [None] * len(values)
        else:
            patient_ids = [self._patient_id(mrn) for mrn, _record in items]
            extra = self._extra(model)
            values = [
                {**_values(record), **common, "patient_id": pid, **extra(record)}
                for (_mrn, record), pid in zip(items, patient_ids, strict=True)
            ]
        rows = [shape.row(v) for v in values]
        audit_parts = [text.split(_ID_MARK) for text in after_texts(model, rows)]
        table_rows = [list(row.values()) for row in rows]
        if self.sqlite:
            for row in table_rows:
                for i, convert in shape.sqlite_converters:
                    row[i] = convert(row[i])
        return _Batch(
            model, table_rows, audit_parts, patient_ids, [v["mrn"] for v in values] if model is Patient else []
        )

    def _insert(self, session: Session, batch: _Batch, run_id: int) -> None:
        shape = _SHAPES[batch.model]
        ids = batch.ids
        if ids is None:  # SQLite: this transaction holds the write lock, so no one takes ids meanwhile
            table = shape.table
            first = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
            ids = batch.ids = list(range(first, first + len(batch.rows)))
        id_column = shape.columns.index("id")
        rows = []
        for row, new_id in zip(batch.rows, ids, strict=True):
            row[id_column] = new_id
            rows.append(tuple(row))
        now = utcnow()
        at = _sqlite_timestamp(now) if self.sqlite else now
        audit = [
            (
                at,
                self.actor,
                "insert",
                shape.table.name,
                new_id,
                new_id if pid is None else pid,
                None,
                f'"id": {new_id}'.join(parts),
                run_id,
            )
            for new_id, pid, parts in zip(ids, batch.patient_ids, batch.audit_parts, strict=True)
        ]
        driver = driver_connection(session.connection().connection)
        _insert_rows(driver, shape.table.name, shape.columns, rows, self.sqlite)
        _insert_rows(driver, AuditEntry.__tablename__, AUDIT_COLUMNS, audit, self.sqlite)

    def _patient_id(self, mrn: str) -> int:
        if mrn in self.new_ids:
            return self.new_ids[mrn]
        patient_id = self.existing[mrn]
        self.touched.add(patient_id)
        return patient_id

    def _extra(self, model: type[Base]) -> Callable[[Any], dict[str, Any]]:
        if model is Visit:
            return lambda record: {
                "created_by": self.actor,
                "mme_source": "entered" if record.mme_per_day is not None else None,
            }
        return lambda record: {}

    def _refuse_taken_mrns(self, items: list[Any]) -> bool:
        """A batch of new patients met MRNs taken since they were checked (by a save, or another import
        still under way): each is reported on its line. False when no MRN explains the refusal."""
        line_of = {record.mrn.lower(): line for line, record in items}
        with Session(self.engine) as session:
            import_runs.show_staged(session)
            taken = session.execute(
                select(Patient.mrn, Patient.import_id).where(func.lower(Patient.mrn).in_(list(line_of)))
            ).all()
            assert self.run is not None  # write() started it
            other_runs = {row.import_id for row in taken if row.import_id not in (None, self.run.id)}
            staging = set(
                session.scalars(select(Import.id).where(Import.id.in_(other_runs), Import.state == import_runs.STAGING))
            )
        for mrn, import_id in taken:
            message = (
                "is being imported by another import right now: import this file again once it is done"
                if import_id in staging
                else "is already in the database (this import only adds new patients)"
            )
            self.problems.append(Problem("patients.csv", line_of[mrn.lower()], "mrn", mrn, message))
        return bool(taken)

    # --- the end: everything shows at once ---------------------------------------------------------

    def finish(self, event: dict[str, Any]) -> None:
        """Show every row written (one short transaction) and audit the import as one event."""
        self.flush()
        if self.problems:
            return
        run, touched = self._start(), sorted(self.touched)

        def show(session: Session) -> None:
            set_actor(session, self.actor)
            import_runs.finish(session, run)
            # the patients' data changed with the import: flag reviews older than it no longer hold
            now = utcnow()
            for chunk in in_chunks(touched):
                session.execute(
                    update(Patient.__table__).where(Patient.__table__.c.id.in_(chunk)).values(data_changed_at=now)
                )
            record_event(session, "import_csv", event)

        run_write(self.engine, show)


def _insert_rows(driver: Any, table: str, columns: Any, rows: list[tuple], sqlite: bool) -> None:
    if sqlite:
        driver.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
        return
    with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _checkpoint(engine: Engine) -> None:
    """Copy the batch from SQLite's write-ahead log into the database now, in the import's own time:
    else the next save to commit past the log's limit does it, and waits for it."""
    raw = engine.raw_connection()
    try:
        driver_connection(raw).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        raw.close()


def _sequence_ids(engine: Engine, model: type[Base], n: int) -> list[int]:
    with engine.connect() as conn:
        ids = list(
            conn.execute(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": model.__tablename__, "n": n},
            ).scalars()
        )
        conn.commit()
    return ids
