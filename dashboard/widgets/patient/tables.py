"""The patient page's tables in clinic language: labels with units, dates as dates, '–' for missing,
no internal ids or column names."""

from __future__ import annotations

import pandas as pd

from dashboard.formatting import MISSING, day, procedure_label, treatment_label
from data_model.catalog import TREATMENTS

SOURCES = {"form": "Entered", "csv": "CSV import", "fhir": "FHIR import", "seed": "Sample data"}
CODE_SYSTEMS = {
    "http://snomed.info/sct": "SNOMED CT",
    "http://hl7.org/fhir/sid/icd-10": "ICD-10",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
    "http://id.who.int/icd/release/11/mms": "ICD-11",
}


def number(value: float | None, unit: str = "") -> str:
    if value is None or pd.isna(value):
        return MISSING
    return f"{float(value):g}{unit}"


def yes_no(value: object) -> str:
    if value is None or pd.isna(value):
        return MISSING
    return "yes" if bool(value) else "no"


def text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING
    return str(value) if str(value).strip() else MISSING  # as typed: user text is shown unchanged


def ended(code: str, end: object) -> str:
    """When a treatment ended: 'single day' for a procedure (an injection, a block, an ablation), 'ongoing'
    for a course without an end date."""
    known = TREATMENTS.get(code)
    if known is not None and known.single_day:
        return "single day"
    return "ongoing" if end is None or pd.isna(end) else day(end)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series([None] * len(frame), index=frame.index, dtype=object)


def visits_table(visits: pd.DataFrame) -> pd.DataFrame:
    v = visits
    out = pd.DataFrame(
        {
            "Visit date": _column(v, "visit_date").map(day),
            "Back pain (0–10)": _column(v, "back_pain").map(number),
            "Leg pain (0–10)": _column(v, "leg_pain").map(number),
            "Pain, site not recorded (0–10)": _column(v, "pain_unspecified").map(number),
            "Scale": _column(v, "instrument").map(text),
            "ODI (0–100)": _column(v, "odi").map(number),
            "Numbness": _column(v, "numbness").map(yes_no),
            "Tingling": _column(v, "tingling").map(yes_no),
            "Weakness": _column(v, "weakness").map(yes_no),
            "Opioid dose (MME/day)": _column(v, "mme_per_day").map(number),
            "Notes": _column(v, "notes").map(text),
            "Recorded by": [
                f"{SOURCES.get(s, text(s))}" + (f" by {b}" if isinstance(b, str) and b else "")
                for s, b in zip(_column(v, "source"), _column(v, "entered_by"), strict=True)
            ],
            "Voided": _column(v, "voided_at").map(lambda d: "" if d is None or pd.isna(d) else f"voided {day(d)}"),
        }
    )
    return out.reset_index(drop=True)


def treatments_table(treatments: pd.DataFrame) -> pd.DataFrame:
    t = treatments
    return pd.DataFrame(
        {
            "Treatment": _column(t, "code").map(treatment_label),
            "Started": _column(t, "start_date").map(day),
            "Ended": [ended(c, d) for c, d in zip(_column(t, "code"), _column(t, "end_date"), strict=True)],
            "Drug": _column(t, "drug").map(text),
            "Opioid dose (MME/day)": _column(t, "mme_per_day").map(number),
            "Notes": _column(t, "notes").map(text),
            "Recorded by": _column(t, "source").map(lambda s: SOURCES.get(s, text(s))),
        }
    ).reset_index(drop=True)


def surgeries_table(surgeries: pd.DataFrame) -> pd.DataFrame:
    s = surgeries
    return pd.DataFrame(
        {
            "Surgery date": _column(s, "surgery_date").map(day),
            "Procedure": _column(s, "procedure").map(procedure_label),
            "Spinal levels": _column(s, "spinal_levels").map(text),
            "Surgeon": _column(s, "surgeon").map(text),
            "Recorded as": _column(s, "source_code").map(text),
            "Notes": _column(s, "notes").map(text),
        }
    ).reset_index(drop=True)


def conditions_table(conditions: pd.DataFrame) -> pd.DataFrame:
    c = conditions
    return pd.DataFrame(
        {
            "Diagnosis": _column(c, "display").map(text),
            "Code": [
                MISSING if text(code) == MISSING else f"{CODE_SYSTEMS.get(system, text(system))} {code}"
                for system, code in zip(_column(c, "system"), _column(c, "code"), strict=True)
            ],
            "Onset": _column(c, "onset_date").map(day),
        }
    ).reset_index(drop=True)
