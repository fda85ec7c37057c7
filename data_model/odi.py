"""The Oswestry Disability Index (ODI) as a questionnaire: its ten sections, each scored 0–5, and the total.

The total is the sum over the answered sections ÷ (5 × sections answered) × 100 (Fairbank & Pynsent 2000):
a skipped section lowers the denominator, it does not count as 0. Fewer than a clinic's minimum of answered
sections (settings.odi_min_sections, 8 by default) is not scored at all.

Only the section names and the scoring are built in. The statements a patient chooses from (0 to 5 in
each section) are the instrument's licensed wording: a site that holds a licence supplies them in a TOML
file named by PAINTRAIL_ODI_WORDING (see load_wording); without it the app shows section names and 0–5.

Pure: no database, no Streamlit, no validation import (validation imports this module)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The sections in the order of the paper form; the keys are stored (visits.odi_<key>) and exported
# (FHIR linkId), so they never change.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("pain_intensity", "Pain intensity"),
    ("personal_care", "Personal care"),
    ("lifting", "Lifting"),
    ("walking", "Walking"),
    ("sitting", "Sitting"),
    ("standing", "Standing"),
    ("sleeping", "Sleeping"),
    ("sex_life", "Sex life"),
    ("social_life", "Social life"),
    ("travelling", "Travelling"),
)
KEYS: tuple[str, ...] = tuple(key for key, _ in SECTIONS)
LABELS: dict[str, str] = dict(SECTIONS)
LOWEST, HIGHEST = 0, 5  # each section's score
DEFAULT_MIN_SECTIONS = 8

# How a visit's ODI total came about (visits.odi_source)
FROM_SECTIONS = "sections"  # computed here from the section scores stored with it
ENTERED_TOTAL = "total"  # entered or imported as a total alone

WORDING_ENV = "PAINTRAIL_ODI_WORDING"


def column(key: str) -> str:
    """The visit's column (and the form's field) holding one section's score."""
    return f"odi_{key}"


COLUMNS: tuple[str, ...] = tuple(column(key) for key in KEYS)


def answered(items: Mapping[str, int | None]) -> dict[str, int]:
    """The sections answered, by key, in the form's order (a None is a section skipped)."""
    return {key: int(value) for key in KEYS if (value := items.get(key)) is not None}


def score(items: Mapping[str, int | None], min_sections: int = DEFAULT_MIN_SECTIONS) -> float | None:
    """The ODI total (0–100) over the answered sections, or None with fewer than min_sections answered.

    Section scores must already be whole numbers 0–5 (validation.check_visit judges typed ones)."""
    given = answered(items)
    if not given or len(given) < min_sections:
        return None
    return sum(given.values()) / (HIGHEST * len(given)) * 100


def agrees(total: float, computed: float) -> bool:
    """A total copied from a paper form agrees with the sections when it is the same to the nearest whole
    point, as forms round it (44.4 and 44 both agree with 44.44)."""
    return abs(total - computed) < 0.5 + 1e-9


@dataclass(frozen=True)
class Wording:
    """A site's statements: for each section key, the six statements for scores 0 to 5."""

    statements: dict[str, tuple[str, ...]]

    def statement(self, key: str, value: int) -> str | None:
        options = self.statements.get(key)
        return options[value] if options is not None else None


NO_WORDING = Wording({})


class WordingError(ValueError):
    """The site's wording file cannot be used; the message names the file and what is wrong."""


def load_wording(path: str | Path | None = None) -> Wording:
    """The site's statements from a TOML file (path, or PAINTRAIL_ODI_WORDING); none when neither is set.

    The file holds one table per section key, each with `statements`, a list of six texts (score 0 to 5):

        [pain_intensity]
        statements = ["...", "...", "...", "...", "...", "..."]

    A section left out is shown with its scores alone."""
    where = path if path is not None else os.environ.get(WORDING_ENV, "").strip()
    if not where:
        return NO_WORDING
    try:
        with open(where, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise WordingError(f"ODI wording file {where}: {error}") from None
    statements: dict[str, tuple[str, ...]] = {}
    for key, table in data.items():
        if key not in LABELS:
            raise WordingError(f"ODI wording file {where}: “{key}” is not an ODI section ({', '.join(KEYS)})")
        texts = table.get("statements") if isinstance(table, dict) else None
        if (
            not isinstance(texts, list)
            or len(texts) != HIGHEST - LOWEST + 1
            or not all(isinstance(t, str) for t in texts)
        ):
            raise WordingError(f"ODI wording file {where}: section “{key}” needs `statements`, a list of six texts")
        statements[key] = tuple(t.strip() for t in texts)
    return Wording(statements)
