"""Import a folder of clinic CSV files (format in DESIGN.md): every row validated, then all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..db import read_session
from ..models import Patient
from ..validation import (
    FieldError,
    Fields,
    check_patient,
    check_surgery,
    check_treatment,
    check_visit,
)
from .csv_files import CsvTable, FileSpec, Problem, read_table
from .csv_stage import Progress, Staging

PATIENTS, SURGERIES, VISITS, TREATMENTS = "patients.csv", "surgeries.csv", "visits.csv", "treatments.csv"

SPECS: dict[str, FileSpec] = {
    s.name: s
    for s in (
        FileSpec(PATIENTS, ("mrn", "display_name", "birth_year", "sex"), ("mrn",)),
        FileSpec(
            SURGERIES,
            ("mrn", "surgery_date", "procedure", "spinal_levels", "surgeon", "notes"),
            ("mrn", "surgery_date", "procedure"),
        ),
        FileSpec(
            VISITS,
            (
                "mrn", "visit_date", "back_pain", "leg_pain", "odi", "numbness", "tingling", "weakness",
                "mme_per_day", "notes",
            ),
            ("mrn", "visit_date"),
        ),
        FileSpec(
            TREATMENTS, ("mrn", "treatment", "start_date", "end_date", "notes"), ("mrn", "treatment", "start_date")
        ),
    )
}
# Patients first: the other files refer to them by MRN.
FILE_ORDER: tuple[str, ...] = (PATIENTS, SURGERIES, VISITS, TREATMENTS)

CHECKERS: dict[str, Callable[[dict[str, Any], date | None], tuple[Any, list[FieldError]]]] = {
    PATIENTS: check_patient,
    SURGERIES: check_surgery,
    VISITS: check_visit,
    TREATMENTS: check_treatment,
}
_MRN_LOOKUP_CHUNK = 500  # keeps IN (...) lists well under SQLite's and PostgreSQL's parameter limits


@dataclass
class ImportReport:
    """What an import read (rows per file) and, when it failed, every problem found."""

    folder: str
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    def format(self) -> str:
        """Human-readable, one line per file when it worked, one line per problem when it did not."""
        if self.problems:
            noun = "problem" if len(self.problems) == 1 else "problems"
            lines = [f"Nothing was imported from {self.folder}: {len(self.problems)} {noun} found."]
            lines += [str(p) for p in self.problems]
            return "\n".join(lines)
        lines = [f"Imported {self.total_rows} rows from {self.folder}:"]
        lines += [f"  {name}: {count} rows" for name, count in self.counts.items()]
        return "\n".join(lines)


class CsvImportFailed(ValueError):
    """The folder had problems; nothing was written. The report lists every one."""

    def __init__(self, report: ImportReport):
        self.report = report
        noun = "problem" if len(report.problems) == 1 else "problems"
        super().__init__(f"{len(report.problems)} {noun} in {report.folder}; nothing was imported")


def _read_folder(folder: Path, problems: list[Problem]) -> dict[str, CsvTable]:
    if not folder.is_dir():
        problems.append(Problem(str(folder), None, None, None, "is not a folder"))
        return {}
    tables: dict[str, CsvTable] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv" or not path.is_file():
            continue  # a README or notes beside the data are fine
        name = path.name.lower()
        if name not in SPECS:
            problems.append(
                Problem(path.name, None, None, None, f"is not a file this import reads (expected {', '.join(FILE_ORDER)})")
            )
            continue
        tables[name] = read_table(SPECS[name], path, problems)
    if not tables and not problems:
        problems.append(Problem(folder.name, None, None, None, f"holds none of {', '.join(FILE_ORDER)}"))
    return {name: tables[name] for name in FILE_ORDER if name in tables}


def _field_problems(name: str, line: int, errors: Iterable[FieldError]) -> list[Problem]:
    # "measurements" (a visit with no measurement at all) is about the row, not one column.
    columns = SPECS[name].columns
    return [Problem(name, line, e.field if e.field in columns else None, e.value, e.message) for e in errors]


def _existing_mrns(session: Session, mrns: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(mrns)
    for start in range(0, len(ordered), _MRN_LOOKUP_CHUNK):
        chunk = ordered[start : start + _MRN_LOOKUP_CHUNK]
        found.update({mrn: pid for mrn, pid in session.execute(select(Patient.mrn, Patient.id).where(Patient.mrn.in_(chunk)))})
    return found


def _referenced_mrns(tables: dict[str, CsvTable]) -> set[str]:
    return {row.get("mrn", "").strip() for t in tables.values() for _, row in t.rows} - {""}


def _validate(
    tables: dict[str, CsvTable], existing: dict[str, int], today: date | None, problems: list[Problem],
    plan: Staging,
) -> None:
    """Check every row, appending each problem to problems and each valid row to plan's batches (which
    write nothing once a problem is known)."""
    patients_table = tables.get(PATIENTS)
    # Child rows may name any MRN written in patients.csv, even on a row that is itself wrong:
    # that row's own problem is reported once, not again on every visit that refers to it.
    in_file = {row.get("mrn", "").strip() for _, row in patients_table.rows} if patients_table else set()
    first_line: dict[str, int] = {}
    for name, table in tables.items():
        if not table.rows_checkable:
            continue
        for line, row in table.rows:
            record, errors = CHECKERS[name](row, today)
            row_problems = _field_problems(name, line, errors)
            if name == PATIENTS:
                # Duplicates are found on the MRN as written, even on rows wrong in other ways.
                mrn = row.get("mrn", "").strip() or None
                if mrn in first_line:
                    row_problems.insert(0, Problem(name, line, "mrn", mrn, f"is a duplicate of line {first_line[mrn]}"))
                elif mrn in existing:
                    row_problems.insert(
                        0, Problem(name, line, "mrn", mrn, "is already in the database (this import only adds new patients)")
                    )
                if mrn is not None:
                    first_line.setdefault(mrn, line)
            else:
                fields = Fields(row, today)
                mrn = fields.mrn()
                mrn_problems = _field_problems(name, line, fields.errors)
                if mrn is not None and mrn not in in_file and mrn not in existing:
                    mrn_problems.append(Problem(name, line, "mrn", mrn, "is not in patients.csv or the database"))
                row_problems = mrn_problems + row_problems
            problems.extend(row_problems)
            if row_problems:
                continue
            if name == PATIENTS:
                plan.patients.append((line, record))
            else:
                getattr(plan, name.removesuffix(".csv")).append((mrn, record))


def _problem_order(problem: Problem) -> tuple[int, int]:
    rank = FILE_ORDER.index(problem.file) if problem.file in FILE_ORDER else -1
    return rank, problem.line or 0


def import_csv_folder(
    engine: Engine, folder: Path, actor: str, today: date | None = None, progress: Progress | None = None
) -> ImportReport:
    """Validate every row of every CSV in folder and import all of it, or nothing.

    Valid rows are written as they are checked, in short batches hidden from every reader (csv_stage.py),
    and all show at once at the end, with one audit event for the import; staff saving meanwhile wait
    for one batch at most. Raises CsvImportFailed (with the full report) when anything is wrong: what
    was written is then cleared, and no reader ever saw it. progress(rows written, rows in the files)
    is called after each batch. Same-day duplicate visits are written as given: the CSV is the source
    of truth.
    """
    folder = Path(folder)
    report = ImportReport(folder.name or str(folder))
    problems: list[Problem] = []
    tables = _read_folder(folder, problems)
    report.counts = {name: len(t.rows) for name, t in tables.items()}
    with read_session(engine) as session:
        existing = _existing_mrns(session, _referenced_mrns(tables))
    with Staging(engine, actor, report.folder, existing, problems, report.total_rows, progress) as plan:
        _validate(tables, existing, today, problems, plan)
        plan.finish({"folder": report.folder, "rows": report.counts})
        if problems:
            report.problems = sorted(problems, key=_problem_order)
            raise CsvImportFailed(report)
    return report
