"""Import a folder of clinic CSV files (format in DESIGN.md): every row validated, then all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ...clock import site_today
from ...db import in_chunks, read_session
from ...models import Patient
from ...queries import load_settings
from ...validation import FieldError, Fields, before_birth, check_patient, check_surgery, check_treatment, check_visit
from .files import CsvTable, FileSpec, Problem, read_table, same_file_clashes
from .staging import Progress, Staging

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
                "mrn",
                "visit_date",
                "back_pain",
                "leg_pain",
                "odi",
                "numbness",
                "tingling",
                "weakness",
                "mme_per_day",
                "notes",
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
    # a README or notes beside the data are fine
    paths = [p for p in sorted(folder.iterdir()) if p.suffix.lower() == ".csv" and p.is_file()]
    clashes = same_file_clashes(p.name for p in paths)
    if clashes:
        # Which of the two is meant cannot be known: rows checked against either would mislead.
        problems.extend(clashes)
        return {}
    for path in paths:
        name = path.name.lower()
        if name not in SPECS:
            problems.append(
                Problem(
                    path.name, None, None, None, f"is not a file this import reads (expected {', '.join(FILE_ORDER)})"
                )
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
    """MRN as stored -> patient id, for every MRN in mrns whatever its case (MRNs are unique so)."""
    found: dict[str, int] = {}
    ordered = sorted({m.lower() for m in mrns})
    for chunk in in_chunks(ordered):
        stmt = select(Patient.mrn, Patient.id).where(func.lower(Patient.mrn).in_(chunk))
        found.update({mrn: pid for mrn, pid in session.execute(stmt)})
    return found


def _birth_years(session: Session, mrns: Iterable[str]) -> dict[str, int]:
    """MRN as stored -> birth year, where known: no visit, surgery or treatment can come before it."""
    years: dict[str, int] = {}
    ordered = sorted(mrns)
    for chunk in in_chunks(ordered):
        stmt = select(Patient.mrn, Patient.birth_year).where(Patient.mrn.in_(chunk), Patient.birth_year.is_not(None))
        years.update({mrn: year for mrn, year in session.execute(stmt).all() if year is not None})
    return years


def _referenced_mrns(tables: dict[str, CsvTable]) -> set[str]:
    return {row.get("mrn", "").strip() for t in tables.values() for _, row in t.rows} - {""}


_DATE_FIELD = {SURGERIES: "surgery_date", VISITS: "visit_date", TREATMENTS: "start_date"}


def _validate(
    tables: dict[str, CsvTable],
    existing: dict[str, int],
    today: date | None,
    problems: list[Problem],
    plan: Staging,
    born: dict[str, int] | None = None,
) -> None:
    """Check every row, appending each problem to problems and each valid row to plan's batches (which
    write nothing once a problem is known). born: the birth years already stored, by MRN."""
    patients_table = tables.get(PATIENTS)
    # An MRN is the same whatever its case: each is known by its lower-case key, and the rows of the
    # plan carry the spelling first written in patients.csv, else the one stored in the database.
    stored = {mrn.lower(): mrn for mrn in existing}
    # Child rows may name any MRN written in patients.csv, even on a row that is itself wrong:
    # that row's own problem is reported once, not again on every visit that refers to it.
    in_file: dict[str, str] = {}
    if patients_table:
        for _, row in patients_table.rows:
            in_file.setdefault(row.get("mrn", "").strip().lower(), row.get("mrn", "").strip())
    birth_years = dict(born or {})
    first_line: dict[str, tuple[int, str]] = {}
    for name, table in tables.items():
        if not table.rows_checkable:
            continue
        for line, row in table.rows:
            record, errors = CHECKERS[name](row, today)
            row_problems = _field_problems(name, line, errors)
            if name == PATIENTS:
                # Duplicates are found on the MRN as written, even on rows wrong in other ways.
                mrn = row.get("mrn", "").strip() or None
                key = mrn.lower() if mrn is not None else None
                if key in first_line:
                    first, spelled = first_line[key]
                    said = "" if spelled == mrn else f" ({spelled}: case does not make an MRN different)"
                    row_problems.insert(0, Problem(name, line, "mrn", mrn, f"is a duplicate of line {first}{said}"))
                elif key in stored:
                    said = "" if stored[key] == mrn else f" as {stored[key]}"
                    row_problems.insert(
                        0,
                        Problem(
                            name,
                            line,
                            "mrn",
                            mrn,
                            f"is already in the database{said} (this import only adds new patients)",
                        ),
                    )
                if key is not None and mrn is not None:
                    first_line.setdefault(key, (line, mrn))
                if record is not None and record.birth_year is not None:
                    birth_years.setdefault(record.mrn, record.birth_year)
            else:
                fields = Fields(row, today)
                mrn = fields.mrn()
                mrn_problems = _field_problems(name, line, fields.errors)
                if mrn is not None:
                    mrn = in_file.get(mrn.lower()) or stored.get(mrn.lower()) or mrn
                    if mrn.lower() not in in_file and mrn.lower() not in stored:
                        mrn_problems.append(Problem(name, line, "mrn", mrn, "is not in patients.csv or the database"))
                    elif record is not None:
                        day = getattr(record, _DATE_FIELD[name])
                        mrn_problems += _field_problems(
                            name, line, before_birth(_DATE_FIELD[name], day, birth_years.get(mrn))
                        )
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

    Valid rows are written as they are checked, in short batches hidden from every reader (staging.py),
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
        born = _birth_years(session, existing)
        today = today or site_today(load_settings(session))
    with Staging(engine, actor, report.folder, existing, problems, report.total_rows, progress) as plan:
        _validate(tables, existing, today, problems, plan, born)
        plan.finish({"folder": report.folder, "rows": report.counts})
        if problems:
            report.problems = sorted(problems, key=_problem_order)
            raise CsvImportFailed(report)
    return report
