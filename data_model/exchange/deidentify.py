"""De-identified views of the worklist and of reason texts: pseudonyms, no names, no calendar dates."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

from .pseudonyms import pseudonym

# What a de-identified worklist keeps; everything else (MRN, name, surgeon, dates, the reviewer and the
# review note, which is free text) stays behind.
DEIDENTIFIED_WORKLIST_COLUMNS = [
    "pseudonym",
    "procedure",
    "prior_surgeries",
    "weeks_since_surgery",
    "window_weeks",
    "current_pain",
    "flags",
    "severity",
    "reasons",
    "reviewed",
]
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def weeks_instead_of_dates(text: str, index_date: object) -> str:
    """Every ISO date in text written as the week since the index surgery ("week 14", "week -2").

    Some reasons name a day ("Numbness on 2026-03-02", "due 2026-04-01"); a calendar date with a
    pseudonym is enough to find a patient again. Without an index date the date becomes "(date removed)".
    """
    if not isinstance(text, str) or not text:
        return text
    index = pd.Timestamp(index_date) if index_date is not None and not pd.isna(index_date) else None
    return _weeks_since(text, None if index is None else index.date().toordinal())


def _weeks_since(text: str, index_day: int | None) -> str:
    """weeks_instead_of_dates with the index date as a day number (date.toordinal), None: unknown. The
    worklist calls it once per flagged patient: plain dates, no Timestamp per match."""
    if "-" not in text:
        return text  # no ISO date can be in it

    def week_of(match: re.Match[str]) -> str:
        try:
            day = date.fromisoformat(match.group(0))
        except ValueError:
            return "(date removed)"
        if index_day is None:
            return "(date removed)"
        return f"week {(day.toordinal() - index_day) / 7:.0f}"

    return ISO_DATE.sub(week_of, text)


_DIAGNOSED_ON = re.compile(r"(diagnosed) on \d{4}-\d{2}-\d{2}\b")
_FIRST_VISIT_ON = re.compile(r"(the first recorded visit), \d{4}-\d{2}-\d{2}\b")
_ON_DATE = re.compile(r"\bon (\d{4}-\d{2}-\d{2})\b")


def weeks_after_first_visit(text: str, first_visit: object) -> str:
    """The reason of a patient without a recorded surgery (data_model/fbss.py) without its dates: each day
    as "week 160 after the first visit" ("on 2026-03-02" reads "at week 160 after the first visit"); the
    diagnosis date (years before the first visit, often) and the first visit's own date are left out.
    Without a first visit the dates become "(date removed)" as in weeks_instead_of_dates."""
    if not isinstance(text, str) or not text:
        return text
    if first_visit is None or pd.isna(first_visit):
        return weeks_instead_of_dates(text, None)
    first = pd.Timestamp(first_visit)

    def weeks(day: str) -> str:
        return f"week {(pd.Timestamp(day) - first).days / 7:.0f} after the first visit"

    text = _DIAGNOSED_ON.sub(r"\1", text)
    text = _FIRST_VISIT_ON.sub(r"\1", text)
    text = _ON_DATE.sub(lambda m: "at " + weeks(m.group(1)), text)
    return ISO_DATE.sub(lambda m: weeks(m.group(0)), text)


def _day_numbers(days: pd.Series) -> list[int | None]:
    """Each date as date.toordinal() (None: unknown), the whole column at once."""
    as_days = pd.to_datetime(days).to_numpy(dtype="datetime64[D]")
    known = ~np.isnat(as_days)
    numbers = as_days.astype("int64") + date(1970, 1, 1).toordinal()
    return [int(n) if k else None for n, k in zip(numbers.tolist(), known.tolist(), strict=True)]


def _dates(days: pd.Series) -> list[pd.Timestamp | None]:
    """Each date as a Timestamp, None where unknown (most rows: only patients without a surgery have one)."""
    as_days = pd.to_datetime(days).reset_index(drop=True)
    out: list[pd.Timestamp | None] = [None] * len(as_days)
    for at in np.flatnonzero(as_days.notna().to_numpy()):
        out[at] = as_days.iloc[at]
    return out


def deidentified_worklist(worklist: pd.DataFrame, key: str) -> pd.DataFrame:
    """The worklist (services.worklist.worklist_of) with a pseudonym for each patient and nothing that identifies:
    no MRN, name, surgeon, dates or review note; dates inside the reasons become weeks since surgery."""
    if worklist.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in DEIDENTIFIED_WORKLIST_COLUMNS})
    unknown = pd.Series(None, index=worklist.index)
    index_dates = worklist.get("index_surgery_date", unknown)
    # a patient without a recorded surgery (data_model/fbss.py): weeks after the first recorded visit
    first_visits = worklist.get("first_visit_date", unknown)
    out = pd.DataFrame(
        {
            "pseudonym": worklist["mrn"].map(lambda mrn: pseudonym(str(mrn), key)),
            "reasons": [
                r
                if not isinstance(r, str) or not r
                else _weeks_since(r, index_day)
                if first_visit is None or index_day is not None
                else weeks_after_first_visit(r, first_visit)
                for r, index_day, first_visit in zip(
                    worklist["reasons"], _day_numbers(index_dates), _dates(first_visits), strict=True
                )
            ],
        },
        index=worklist.index,
    )
    for column in DEIDENTIFIED_WORKLIST_COLUMNS:
        if column not in out and column in worklist:
            out[column] = worklist[column]
    if "weeks_since_surgery" in out:
        out["weeks_since_surgery"] = out["weeks_since_surgery"].astype("float64").round(1)
    if "reviewed" in out:
        out["reviewed"] = out["reviewed"].fillna(False).astype(bool)
    return out[[c for c in DEIDENTIFIED_WORKLIST_COLUMNS if c in out]].reset_index(drop=True)
