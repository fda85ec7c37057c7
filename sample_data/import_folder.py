"""A synthetic cohort as a CSV import folder of an exact size (the benchmark's big import), written fast."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .generator import CohortFrames, generate_cohort

ROWS_PER_PATIENT = 22  # about, in a dense cohort (20 visits a patient): a first guess at the patients needed
FILES = {  # file: (frame, {column in the file: column in the frame})
    "patients.csv": (
        "patients",
        {"mrn": "mrn", "display_name": "display_name", "birth_year": "birth_year", "sex": "sex"},
    ),
    "surgeries.csv": (
        "surgeries",
        {c: c for c in ("mrn", "surgery_date", "procedure", "spinal_levels", "surgeon", "notes")},
    ),
    "visits.csv": (
        "visits",
        {
            c: c
            for c in (
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
            )
        },
    ),
    "treatments.csv": (
        "treatments",
        {"mrn": "mrn", "treatment": "code", "start_date": "start_date", "end_date": "end_date", "notes": "notes"},
    ),
}


def write_import_folder(
    folder: Path, rows: int, seed: int, today: date, visits_per_patient: float = 20.0, mrn_prefix: str = "IMP"
) -> dict[str, int]:
    """Exactly `rows` rows over the four files (whole patients with their surgeries and treatments; the
    visits cut to fit), MRNs prefixed so they never meet a seeded cohort's. Returns rows per file."""
    patients = max(1, math.ceil(rows / ROWS_PER_PATIENT))
    while True:
        frames = generate_cohort(patients, seed, today, visits_per_patient)
        fixed = len(frames.patients) + len(frames.surgeries) + len(frames.treatments)
        if fixed <= rows and fixed + len(frames.visits) >= rows:
            break
        patients = max(1, patients * 2 if fixed + len(frames.visits) < rows else patients * 3 // 4)
    visits = frames.visits.iloc[: rows - fixed]
    frames = CohortFrames(frames.patients, frames.surgeries, visits, frames.treatments, frames.archetypes)
    folder.mkdir(parents=True, exist_ok=True)
    return {
        name: _write(folder / name, getattr(frames, frame), columns, mrn_prefix)
        for name, (frame, columns) in FILES.items()
    }


def _write(path: Path, frame: pd.DataFrame, columns: dict[str, str], mrn_prefix: str) -> int:
    out = pd.DataFrame({name: _cells(source, frame[source]) for name, source in columns.items()})
    out["mrn"] = mrn_prefix + out["mrn"]
    out.to_csv(path, index=False, lineterminator="\n")
    return len(out)


def _cells(column: str, values: pd.Series) -> pd.Series:
    """The cell text the import format wants: ISO dates, 0/1 flags, whole years, empty for unknown."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").fillna("")
    if column in ("numbness", "tingling", "weakness"):
        return pd.Series(np.where(values.isna(), "", np.where(values > 0, "1", "0")), index=values.index)
    if column == "birth_year":
        return values.map(lambda v: "" if pd.isna(v) else str(int(v)))
    if pd.api.types.is_float_dtype(values):
        return values.map(lambda v: "" if math.isnan(v) else f"{v:g}")
    return values.astype(object).where(values.notna(), "")
