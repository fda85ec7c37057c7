"""Export patients as the CSV import folder (DESIGN.md format): identified, or de-identified by default.

The four files have exactly the import's columns (folder_import.SPECS), ISO dates and an empty
cell for unknown, so `paintrail import csv` reads them back. De-identified: the MRN becomes
pseudonym(mrn, site key); names, surgeons and free-text notes are left empty (a surgeon's name narrows a
small clinic's patients down; notes can name anyone); every date of a patient moves by the same
per-patient offset (pseudonyms.date_shift_days: 1-61 days earlier, so no date lands in the future and
the folder still imports); spinal levels are kept only in their clinical form (validation.spinal_levels:
"L4-L5", never free text); birth year and sex are kept, as in the FHIR export.

Every text cell that a spreadsheet would run as a formula (starting with = + - @ TAB or CR) gets a
leading apostrophe (OWASP "CSV injection"); numeric columns are written as numbers and never touched.
The apostrophe stays on re-import: a note "=1+1" comes back as "'=1+1".

Not in the format, so not exported: pain without a body site, the pain instrument, the drug and MME of a
treatment, diagnoses, voided rows. A visit whose only measurement is pain without a body site has no row
(the importer would refuse it): ExportedCsv.left_out counts such visits.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...atomic_files import replaced_atomically
from ...db import in_chunks
from ...models import Patient, Surgery, Treatment, Visit
from ...validation import clinical_levels
from ..pseudonyms import date_shift_days, pseudonym, shift, site_key
from .folder_import import FILE_ORDER, PATIENTS, SPECS, SURGERIES, TREATMENTS, VISITS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMERIC_COLUMNS = frozenset(
    {"birth_year", "back_pain", "leg_pain", "odi", "numbness", "tingling", "weakness", "mme_per_day"}
)
DATE_COLUMNS = frozenset({"surgery_date", "visit_date", "start_date", "end_date"})
IDENTIFYING_TEXT = frozenset({"display_name", "surgeon", "notes"})  # emptied when de-identified
COLUMNS: dict[str, tuple[str, ...]] = {name: SPECS[name].columns for name in FILE_ORDER}
NO_SITED_MEASURE = "visits with no measurement the CSV format holds (only pain without a body site)"


def neutralise(text: str) -> str:
    """A text cell a spreadsheet would evaluate, made inert with a leading apostrophe (OWASP)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return ""
    # repr keeps every digit, so a round trip gives back the same float; 7.0 is written 7
    return str(int(number)) if number.is_integer() else repr(number)


def cell(column: str, value: Any) -> str:
    """One value as the import format writes it: empty for unknown, ISO dates, numbers, inert text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column in DATE_COLUMNS:
        return value.isoformat() if isinstance(value, date) else str(value)
    if column in NUMERIC_COLUMNS:
        return _number(value)
    return neutralise(str(value))


@dataclass
class ExportedCsv:
    """The four files as rows of cells (header first), and what the format could not carry."""

    deidentified: bool
    files: dict[str, list[list[str]]]
    left_out: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {name: len(rows) - 1 for name, rows in self.files.items()}

    def text(self, name: str) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(self.files[name])
        return out.getvalue()


class _Patients:
    """Per patient: the MRN (or pseudonym) written in the files, and the day offset of its dates."""

    def __init__(self, patients: Sequence[Patient], deidentify: bool, key: str | None):
        if deidentify and key is None:
            raise ValueError("a de-identified export needs the site key (pseudonyms.site_key)")
        self.mrn: dict[int, str] = {}
        self.offset: dict[int, int] = {}
        for p in patients:
            self.mrn[p.id] = pseudonym(p.mrn, key) if deidentify and key is not None else p.mrn
            self.offset[p.id] = date_shift_days(p.mrn, key) if deidentify and key is not None else 0

    def day(self, patient_id: int, value: date | None) -> date | None:
        return shift(value, self.offset[patient_id])


def _rows(session: Session, model: Any, ids: list[int], order: Any) -> list[Any]:
    rows: list[Any] = []
    for chunk in in_chunks(ids):
        stmt = select(model).where(model.patient_id.in_(chunk), model.voided_at.is_(None))
        rows += session.scalars(stmt.order_by(model.patient_id, order, model.id))
    return rows


def _patients(session: Session, patient_ids: Iterable[int] | None) -> list[Patient]:
    if patient_ids is None:
        return list(session.scalars(select(Patient).order_by(Patient.id)))
    found: list[Patient] = []
    for chunk in in_chunks(sorted(set(int(i) for i in patient_ids))):
        found += session.scalars(select(Patient).where(Patient.id.in_(chunk)))
    return found


def export_csv(
    session: Session,
    patient_ids: Iterable[int] | None = None,
    deidentify: bool = True,
    *,
    key: str | None = None,
) -> ExportedCsv:
    """The patients named (or everyone) as the four import files; deidentify needs the site key
    (key, else pseudonyms.site_key(session), which raises PseudonymKeyMissing when there is none)."""
    if deidentify and not key:
        key = site_key(session)
    patients = _patients(session, patient_ids)
    people = _Patients(patients, deidentify, key)
    ids = sorted(people.mrn)
    blank = IDENTIFYING_TEXT if deidentify else frozenset()

    def row(name: str, patient_id: int, values: dict[str, Any]) -> tuple[str, list[str]]:
        values["mrn"] = people.mrn[patient_id]
        cells = [cell(c, None if c in blank else values.get(c)) for c in COLUMNS[name]]
        return people.mrn[patient_id], cells

    tables: dict[str, list[tuple[str, list[str]]]] = {name: [] for name in FILE_ORDER}
    for p in patients:
        tables[PATIENTS].append(
            row(PATIENTS, p.id, {"display_name": p.display_name, "birth_year": p.birth_year, "sex": p.sex})
        )
    for s in _rows(session, Surgery, ids, Surgery.surgery_date):
        tables[SURGERIES].append(
            row(
                SURGERIES,
                s.patient_id,
                {
                    "surgery_date": people.day(s.patient_id, s.surgery_date),
                    "procedure": s.procedure,
                    "spinal_levels": clinical_levels(s.spinal_levels) if deidentify else s.spinal_levels,
                    "surgeon": s.surgeon,
                    "notes": s.notes,
                },
            )
        )
    left_out = 0
    for v in _rows(session, Visit, ids, Visit.visit_date):
        measures = {
            m: getattr(v, m)
            for m in ("back_pain", "leg_pain", "odi", "numbness", "tingling", "weakness", "mme_per_day")
        }
        if all(value is None for value in measures.values()):
            left_out += 1
            continue
        tables[VISITS].append(
            row(
                VISITS,
                v.patient_id,
                {"visit_date": people.day(v.patient_id, v.visit_date), **measures, "notes": v.notes},
            )
        )
    for t in _rows(session, Treatment, ids, Treatment.start_date):
        tables[TREATMENTS].append(
            row(
                TREATMENTS,
                t.patient_id,
                {
                    "treatment": t.code,
                    "start_date": people.day(t.patient_id, t.start_date),
                    "end_date": people.day(t.patient_id, t.end_date),
                    "notes": t.notes,
                },
            )
        )
    files: dict[str, list[list[str]]] = {}
    for name in FILE_ORDER:
        rows = tables[name]
        if deidentify:  # by pseudonym, so the row order does not give away the order of registration
            rows = sorted(rows, key=lambda r: r[0])  # stable: each patient's rows keep their date order
        files[name] = [list(COLUMNS[name])] + [cells for _, cells in rows]
    return ExportedCsv(deidentify, files, {NO_SITED_MEASURE: left_out} if left_out else {})


def write_folder(exported: ExportedCsv, folder: Path) -> list[Path]:
    """The four files into folder (created when missing; its parent must exist); each file is written
    to a temporary name first and renamed, so a reader never sees half a file."""
    folder = Path(folder)
    folder.mkdir(exist_ok=True)
    # every file is written before any is renamed: a failure leaves the folder as it was
    with ExitStack() as files:
        for name in FILE_ORDER:
            partial = files.enter_context(replaced_atomically(folder / name))
            partial.write_text(exported.text(name), encoding="utf-8", newline="")
    return [folder / name for name in FILE_ORDER]


def zip_bytes(exported: ExportedCsv) -> bytes:
    """The four files in one zip, for a download button."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in FILE_ORDER:
            archive.writestr(name, exported.text(name).encode("utf-8"))
    return buffer.getvalue()
