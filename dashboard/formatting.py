"""Display helpers shared by pages and charts: labels, icons, number formats."""

from __future__ import annotations

import math

from data_model.catalog import FLAG_CODES, PROCEDURES, TREATMENTS

# Plain words for tables (emoji need a font the clinic's browser may lack); badges for markdown.
SEVERITY_TEXT = {"high": "HIGH", "medium": "medium", "low": "low"}
SEVERITY_BADGE = {"high": ":red-badge[High]", "medium": ":orange-badge[Medium]", "low": ":gray-badge[Low]"}


def procedure_label(code: str) -> str:
    return PROCEDURES[code].label if code in PROCEDURES else str(code)


def treatment_label(code: str) -> str:
    return TREATMENTS[code].label if code in TREATMENTS else str(code)


def flag_label(code: str) -> str:
    return FLAG_CODES[code].label if code in FLAG_CODES else str(code)


def score(value: float | None, unit: str = "") -> str:
    """6 not 6.0, 5.5 stays, missing says so."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


_MARKDOWN_SPECIALS = "\\`*_{}[]()<>#+-.!|~$"


def plain(text: object) -> str:
    """User-entered text shown through markdown as the literal characters typed, never as markup."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in str(text))


def birth_year(value: object) -> str:
    """1975, never 1975.0 (a column with a missing year reads back as floats); unknown when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    return str(int(value))  # type: ignore[call-overload]


def patient_label(patient: dict) -> str:
    """How a patient is named wherever one is chosen: MRN, name and birth year (same names are common)."""
    name = patient.get("display_name")
    name = "(no name)" if name is None or (isinstance(name, float) and math.isnan(name)) or not str(name) else name
    return f"{patient['mrn']} · {name} · born {birth_year(patient.get('birth_year'))}"
