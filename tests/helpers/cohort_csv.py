"""Write a synthetic cohort (sample_data.generator) as an import folder in the README's CSV format."""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from sample_data.generator import CohortFrames, generate_cohort

PATIENT_COLUMNS = ["mrn", "display_name", "birth_year", "sex"]
SURGERY_COLUMNS = ["mrn", "surgery_date", "procedure", "spinal_levels", "surgeon", "notes"]
VISIT_COLUMNS = [
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
]
TREATMENT_COLUMNS = ["mrn", "treatment", "start_date", "end_date", "notes"]
FLAGS = ("numbness", "tingling", "weakness")


def _cell(column: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if column in FLAGS:
        return "1" if float(value) > 0 else "0"
    if column == "birth_year":
        return str(int(value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _write(path: Path, columns: list[str], frame: pd.DataFrame, rename: dict[str, str] | None = None) -> int:
    frame = frame.rename(columns=rename or {})
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in frame[columns].itertuples(index=False, name=None):
            writer.writerow([_cell(c, v) for c, v in zip(columns, row, strict=True)])
    return len(frame)


def write_frames(frames: CohortFrames, folder: Path) -> dict[str, int]:
    """The four files into folder (created); returns the rows per file."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "patients.csv": _write(folder / "patients.csv", PATIENT_COLUMNS, frames.patients),
        "surgeries.csv": _write(folder / "surgeries.csv", SURGERY_COLUMNS, frames.surgeries),
        "visits.csv": _write(folder / "visits.csv", VISIT_COLUMNS, frames.visits),
        "treatments.csv": _write(
            folder / "treatments.csv", TREATMENT_COLUMNS, frames.treatments, {"code": "treatment"}
        ),
    }


def write_cohort_folder(folder: Path, n_patients: int, seed: int = 7, today: date | None = None) -> dict[str, int]:
    """A generated cohort of n_patients as an import folder; returns the rows per file."""
    return write_frames(generate_cohort(n_patients, seed, today), folder)
