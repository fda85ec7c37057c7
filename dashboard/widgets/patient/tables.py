"""The patient page's tables in clinic language: labels with units, dates as dates, '–' for missing,
no internal ids or column names."""

from __future__ import annotations

import pandas as pd

from dashboard.formatting import MISSING, day, procedure_label, treatment_label
from data_model import odi
from data_model.catalog import TREATMENTS

SOURCES = {
    "form": "Entered",
    "patient": "Patient self-report",
    "csv": "CSV import",
    "fhir": "FHIR import",
    "seed": "Sample data",
}
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


def odi_total(value: float | None) -> str:
    """An ODI total to one decimal, as a clinic writes it: 44.4, not 44.4444 (nine sections give ninths)."""
    return number(value if value is None or pd.isna(value) else round(float(value), 1))


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
            "ODI (0–100)": _column(v, "odi").map(odi_total),
            "ODI from": [odi_from(row) for _, row in v.iterrows()],
            "Numbness": _column(v, "numbness").map(yes_no),
            "Tingling": _column(v, "tingling").map(yes_no),
            "Weakness": _column(v, "weakness").map(yes_no),
            "Opioid dose (MME/day)": _column(v, "mme_per_day").map(number),
            "Notes": _column(v, "notes").map(text),
            "Recorded by": [
                recorded_by(s, b) for s, b in zip(_column(v, "source"), _column(v, "entered_by"), strict=True)
            ],
            "Voided": _column(v, "voided_at").map(lambda d: "" if d is None or pd.isna(d) else f"voided {day(d)}"),
        }
    )
    return out.reset_index(drop=True)


def recorded_by(source: object, who: object) -> str:
    """'Entered by mia'; a self-report says who handed the tablet over, not that they gave the answers."""
    said = SOURCES.get(source, text(source)) if isinstance(source, str) else text(source)
    if not isinstance(who, str) or not who:
        return said
    return f"{said}, tablet handed over by {who}" if source == "patient" else f"{said} by {who}"


def _sections_answered(row: pd.Series) -> int:
    return sum(1 for column in odi.COLUMNS if column in row.index and pd.notna(row[column]))


def odi_from(row: pd.Series) -> str:
    """How a visit's ODI came about: 'computed from 9 of 10 sections', 'entered as a total', or that its
    sections were too few to score."""
    answered = _sections_answered(row)
    has_total = "odi" in row.index and pd.notna(row["odi"])
    from_sections = row.get("odi_source") == odi.FROM_SECTIONS
    if from_sections and has_total:
        return f"computed from {answered} of 10 sections"
    if from_sections or (answered and not has_total):
        return f"{answered} of 10 sections answered: too few to score"
    return "entered as a total" if has_total else MISSING


def odi_sections_table(visits: pd.DataFrame) -> pd.DataFrame:
    """The visits that hold ODI section scores, one row each (newest first), a column per section (0–5)."""
    v = visits[[_sections_answered(row) > 0 for _, row in visits.iterrows()]] if not visits.empty else visits
    columns: dict[str, object] = {"Visit date": _column(v, "visit_date").map(day)}
    for key, label in odi.SECTIONS:
        columns[f"{label} (0–5)"] = _column(v, odi.column(key)).map(lambda x: MISSING if pd.isna(x) else f"{x:.0f}")
    columns["ODI (0–100)"] = _column(v, "odi").map(odi_total)
    columns["ODI from"] = [odi_from(row) for _, row in v.iterrows()]
    return pd.DataFrame(columns).reset_index(drop=True)


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
