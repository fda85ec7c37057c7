"""Tiny builders for the rules' input frames, dated relative to one surgery day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from data_model.flags.engine import compute_flags
from data_model.recovery import patient_status
from data_model.settings import DEFAULT_SETTINGS, Settings

SURGERY_DAY = date(2024, 1, 15)


def day(n: int) -> date:
    """The date n days after the surgery day (negative: before)."""
    return SURGERY_DAY + timedelta(days=n)


def week(n: float) -> date:
    return day(round(n * 7))


SURGERY_COLUMNS = {
    "patient_id": "int64",
    "surgery_id": "int64",
    "surgery_date": "datetime64[ns]",
    "procedure": "object",
}
VISIT_COLUMNS = {
    "patient_id": "int64",
    "visit_id": "int64",
    "visit_date": "datetime64[ns]",
    "back_pain": "float64",
    "leg_pain": "float64",
    "pain_unspecified": "float64",
    "odi": "float64",
    "numbness": "float64",
    "tingling": "float64",
    "weakness": "float64",
    "mme_per_day": "float64",
}
TREATMENT_COLUMNS = {
    "patient_id": "int64",
    "treatment_id": "int64",
    "code": "object",
    "start_date": "datetime64[ns]",
    "end_date": "datetime64[ns]",
}


def frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """Rows as the queries deliver them: every column present, dates datetime64[ns], NaN = unknown."""
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


@dataclass
class Cohort:
    """Chainable: Cohort().surgery(1).visit(1, week(14), leg=6).flags(as_of=week(15))."""

    surgeries: list[dict] = field(default_factory=list)
    visits: list[dict] = field(default_factory=list)
    treatments: list[dict] = field(default_factory=list)
    diagnoses: list[dict] = field(default_factory=list)

    def surgery(self, patient_id: int, on: date = SURGERY_DAY, procedure: str = "discectomy") -> Cohort:
        self.surgeries.append(
            {
                "patient_id": patient_id,
                "surgery_id": len(self.surgeries) + 1,
                "surgery_date": on,
                "procedure": procedure,
            }
        )
        return self

    def visit(
        self,
        patient_id: int,
        on: date,
        *,
        back: float | None = None,
        leg: float | None = None,
        pain: float | None = None,
        odi: float | None = None,
        numbness: float | None = None,
        tingling: float | None = None,
        weakness: float | None = None,
        mme: float | None = None,
    ) -> Cohort:
        self.visits.append(
            {
                "patient_id": patient_id,
                "visit_id": len(self.visits) + 1,
                "visit_date": on,
                "back_pain": back,
                "leg_pain": leg,
                "pain_unspecified": pain,
                "odi": odi,
                "numbness": numbness,
                "tingling": tingling,
                "weakness": weakness,
                "mme_per_day": mme,
            }
        )
        return self

    def treatment(self, patient_id: int, code: str, start: date, end: date | None = None) -> Cohort:
        self.treatments.append(
            {
                "patient_id": patient_id,
                "treatment_id": len(self.treatments) + 1,
                "code": code,
                "start_date": start,
                "end_date": end,
            }
        )
        return self

    def fbss(self, patient_id: int, on: date | None) -> Cohort:
        """Post-laminectomy syndrome (FBSS) diagnosed on that day (None: date not recorded)."""
        self.diagnoses.append({"patient_id": patient_id, "diagnosed_on": on})
        return self

    def diagnosis_frame(self) -> pd.DataFrame:
        return frame(self.diagnoses, {"patient_id": "int64", "diagnosed_on": "datetime64[ns]"})

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        return (
            frame(self.surgeries, SURGERY_COLUMNS),
            frame(self.visits, VISIT_COLUMNS),
            frame(self.treatments, TREATMENT_COLUMNS),
        )

    def status(self, as_of: date, settings: Settings = DEFAULT_SETTINGS) -> pd.DataFrame:
        """Status indexed by patient_id, for row lookups in assertions."""
        return patient_status(*self.frames(), settings, as_of, self.diagnosis_frame()).set_index("patient_id")

    def flags(self, as_of: date, settings: Settings = DEFAULT_SETTINGS) -> pd.DataFrame:
        return compute_flags(*self.frames(), settings, as_of, self.diagnosis_frame())[1]


def codes(flags: pd.DataFrame, patient_id: int) -> list[str]:
    return flags.loc[flags["patient_id"] == patient_id, "code"].tolist()


def flag(flags: pd.DataFrame, patient_id: int, code: str) -> pd.Series:
    """The one flag row of that code for that patient (fails the test if absent)."""
    rows = flags[(flags["patient_id"] == patient_id) & (flags["code"] == code)]
    assert len(rows) == 1, f"expected one {code} flag for patient {patient_id}, got {len(rows)}"
    return rows.iloc[0]
