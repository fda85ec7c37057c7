"""What every flag rule shares: its input, its output frame and the vectorised reason-text helpers."""

# Reasons carry the numbers and are built by whole-array string concatenation, never row by row,
# and only for the rows that show them; parts that take only a few forms (procedure, revision,
# site, a score) are formatted once per distinct value and spread to the rows. Combining pieces of
# many values into one per_distinct call would format nearly every row in Python: keep each call's
# combinations to a few thousand.

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..arrays import NO_DAY, days, empty_frame
from ..catalog import PROCEDURES
from ..settings import Settings
from .clinic_curve import Curve, buckets_end, curve_from_visits, procedure_index
from .timeline import Timeline, iso

FLAG_COLUMNS: dict[str, str] = {
    "patient_id": "int64",
    "code": "object",
    "severity": "object",
    "reason": "object",
}


@dataclass(frozen=True)
class FlagInput:
    """Everything a rule may read: status from recovery.patient_status, the raw frames, settings, as_of."""

    status: pd.DataFrame
    surgeries: pd.DataFrame
    visits: pd.DataFrame
    treatments: pd.DataFrame
    settings: Settings
    as_of: pd.Timestamp
    # The clinic's curve from an earlier evaluation of everyone: a recomputation of a few patients
    # (services/incremental.py) must compare them with the whole clinic, not with themselves.
    held_curve: Curve | None = None

    @cached_property
    def timeline(self) -> Timeline:
        """The visits up to as_of in (patient, date) order, built once and shared by the rules."""
        return Timeline(self.status, self.visits, self.as_of)

    @cached_property
    def clinic_curve(self) -> Curve:
        """OFF_TRACK's curve: the held one, else from everyone's early post-op visits (only the buckets
        some recovery window reaches are ever compared)."""
        if self.held_curve is not None:
            return self.held_curve
        s, tl = self.settings, self.timeline
        end = buckets_end(max(s.window_weeks.values()) * 7)
        early = np.flatnonzero(tl.post & (tl.since < end))
        # a patient without a recorded surgery (fbss.py) has no weeks since surgery to place on a curve
        known = self.status["surgery_known"].to_numpy(bool)
        if not known.all():
            early = early[known[tl.pos[early]]]
        early = early[~np.isnan(tl.pain[early])]
        return curve_from_visits(
            procedure_index(self.status["procedure"]), tl.pos[early], tl.since[early], tl.pain[early], s, end
        )


Rule = Callable[[FlagInput], pd.DataFrame]


def empty_flags() -> pd.DataFrame:
    return empty_frame(FLAG_COLUMNS)


def frame_of(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """A FLAG_COLUMNS frame from arrays, skipping pandas' type inference (slow on text columns)."""
    return pd.DataFrame({c: np.asarray(columns[c], dtype=t) for c, t in FLAG_COLUMNS.items()}, copy=False)


def make_flags(who: pd.DataFrame | np.ndarray, code: str, severity, reason) -> pd.DataFrame:
    """The FLAG_COLUMNS frame of one rule: a row per flagged status row (or patient id)."""
    ids = who["patient_id"].to_numpy("int64") if isinstance(who, pd.DataFrame) else np.asarray(who, dtype="int64")
    return frame_of(
        {
            "patient_id": ids,
            "code": np.full(len(ids), code, dtype=object),
            "severity": np.asarray(severity, dtype=object),
            "reason": np.asarray(reason, dtype=object),
        }
    )


def past_window_with_evidence(st: pd.DataFrame) -> pd.Series:
    # evidence past the window already implies the window ended (visits are never after as_of);
    # both are kept so the rule reads as the clinical statement
    return st["window_ended"] & st["evidence_past_window"]


# --- Text helpers (vectorised) ----------------------------------------------------------------


def rounded(value, decimals: int = 1) -> np.ndarray:
    """Values as the text shows them: half away from zero, as people round (12.5 % reads 13 %, not
    numpy's even 12 %); the inner round strips float noise first (6.35 is stored as 6.3499999...);
    + 0.0 turns -0.0 into 0.0. Also the key to format each shown value once (per_distinct)."""
    scaled = np.round(np.asarray(value, dtype="float64") * 10**decimals, 6)
    return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / 10**decimals + 0.0


def _as_text(x, decimals: int) -> pd.Series:
    """Numbers as text without needless decimals; formats each distinct value once, not each row."""
    codes, distinct = pd.factorize(rounded(x, decimals))
    labels = np.array([_trim(f"{d:.{decimals}f}") for d in distinct] + ["?"], dtype=object)
    return pd.Series(labels[codes], index=x.index if isinstance(x, pd.Series) else None, dtype=object)


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def one_decimal(value: float, decimals: int = 1) -> str:
    """One number as fmt_number (or, with decimals=0, fmt_int) writes it, for per-distinct texts."""
    if math.isnan(value):
        return "?"
    scaled = round(float(value) * 10**decimals, 6)
    shown = math.copysign(math.floor(abs(scaled) + 0.5), scaled) / 10**decimals + 0.0
    return _trim(f"{shown:.{decimals}f}")


def fmt_number(x) -> pd.Series:
    """6 -> '6', 5.5 -> '5.5', 6.333 -> '6.3' (one decimal is as precise as an NRS reading gets)."""
    return _as_text(x, 1)


def fmt_int(x) -> pd.Series:
    return _as_text(x, 0)


def num(x) -> np.ndarray:
    """fmt_number as a plain object array, for concatenation with other arrays."""
    return fmt_number(x).to_numpy()


def g(setting: float) -> str:
    return f"{setting:g}"


def ordinal(value: float) -> str:
    """80 -> '80th', 91 -> '91st', 82.5 -> '82.5th'."""
    text = g(value)
    if value != int(value) or 10 <= int(value) % 100 <= 20:
        return f"{text}th"
    return text + {1: "st", 2: "nd", 3: "rd"}.get(int(value) % 10, "th")


def per_distinct(parts: list, text_of: Callable[..., str]) -> np.ndarray:
    """Text that depends on a few low-cardinality values, formatted once per distinct combination."""
    arrays = [np.asarray(p) for p in parts]
    if len(arrays[0]) == 0:
        return np.array([], dtype=object)
    key = np.zeros(len(arrays[0]), dtype="int64")
    for part in arrays:
        codes, distinct = pd.factorize(part, use_na_sentinel=False)
        # combine one part at a time, re-numbering densely, so the key never outgrows the rows
        key = pd.factorize(key * len(distinct) + codes)[0]
    first = np.empty(key.max() + 1, dtype="int64")
    first[key[::-1]] = np.arange(len(key))[::-1]  # the last write wins: each combination's first row
    texts = [text_of(*(a[i] for a in arrays)) for i in first]
    return np.array(texts, dtype=object)[key]


SITE_TITLE = {"back": "Back pain", "leg": "Leg pain", "pain": "Pain", "odi": "ODI"}
SITE_NAME = {"back": "back pain", "leg": "leg pain", "pain": "pain", "odi": "ODI"}
ODI_NOTE = " (ODI used: no pain score both before and after surgery)"
PROCEDURE_NAME = {code: p.label.lower() for code, p in PROCEDURES.items()}


def week_text(week) -> np.ndarray:
    """Completed weeks since surgery as text ('14' for day 98-104)."""
    return fmt_int(np.floor(np.asarray(week, dtype="float64"))).to_numpy()


SEVERITY_TEXT = np.array(["low", "medium", "high"], dtype=object)


def severity_text(high, medium=None) -> np.ndarray:
    """'high' where high holds, else 'medium' (or, given medium, else 'low'), as one object array."""
    rank = np.asarray(high, dtype="int64") * 2
    rank = rank + (1 if medium is None else np.asarray(medium, dtype="int64")) * (rank == 0)
    return SEVERITY_TEXT[rank]


def score_phrase(site, value, n, week, verb: str = "", capital=True, on=None) -> np.ndarray:
    """'Leg pain 7.5/10 (mean of 2 visits) at week 14'; verb goes after the site ('back to');
    capital may be one bool or one per row (a second clause starts in lower case). on: per row the
    day (days since 1970) to name instead of the week, NO_DAY to keep the week (a patient without a
    recorded surgery has no weeks since it: dated_days)."""
    capital = np.broadcast_to(np.asarray(capital, dtype=bool), (len(site),))

    def text(s: str, v: float, k: int, upper: bool) -> str:
        name = (SITE_TITLE if upper else SITE_NAME)[s]
        mean = f" (mean of {k} visits)" if k > 1 else ""
        return f"{name} {verb}{one_decimal(v)}{'/100' if s == 'odi' else '/10'}{mean}"

    # site, score, count and case take few values: the whole head is formatted once per combination
    return per_distinct([site, rounded(value), n, capital], text) + when_text(week, on)  # a few thousand at most


def when_text(week, on=None) -> np.ndarray:
    """' at week 14', or ' on 2026-03-02' for the rows whose day `on` gives (NO_DAY: the week)."""
    out = " at week " + week_text(week)
    if on is not None:
        on = np.asarray(on, dtype="int64")
        dated = on != NO_DAY
        if dated.any():
            out[dated] = " on " + iso(on[dated])
    return out


def dated_days(st: pd.DataFrame, column: str = "last_visit_date") -> np.ndarray:
    """Per status row, the day of `column` where the surgery date is unknown (fbss.py), else NO_DAY:
    score_phrase's `on`."""
    day = days(st[column].to_numpy("datetime64[ns]"))
    return np.where(st["surgery_known"].to_numpy(bool), NO_DAY, day)


def compared_with_baseline(st: pd.DataFrame) -> np.ndarray:
    """Per status row, whether a visit after the baseline exists to compare with it: always with a recorded
    surgery (the baseline is before it); without one (fbss.py) the baseline is the first visit, and a
    single visit compared with itself would read as "unchanged"."""
    later = st["last_visit_date"].to_numpy("datetime64[ns]") > st["baseline_date"].to_numpy("datetime64[ns]")
    return st["surgery_known"].to_numpy(bool) | later


def window_phrase(st: pd.DataFrame) -> np.ndarray:
    """', past the 6-week discectomy window (revision: 1 prior surgery)'; without a recorded surgery
    (fbss.py) '; surgery date unknown; post-laminectomy syndrome diagnosed on 2023-04-01 (baseline: the
    first recorded visit, 2023-01-10)'."""

    def text(procedure: str, weeks: int, prior: int) -> str:
        revision = f" (revision: {prior} prior {'surgery' if prior == 1 else 'surgeries'})"
        name = PROCEDURE_NAME.get(procedure, str(procedure))
        return f", past the {weeks}-week {name} window" + (revision if prior > 0 else "")

    out = per_distinct([st["procedure"], st["window_weeks"], st["prior_surgeries"]], text)
    unknown = ~st["surgery_known"].to_numpy(bool)
    if unknown.any():
        diagnosed = days(st["diagnosed_on"].to_numpy("datetime64[ns]")[unknown])
        when = np.full(len(diagnosed), " (date not recorded)", dtype=object)
        has = diagnosed != NO_DAY
        when[has] = " on " + iso(diagnosed[has])
        first = days(st["baseline_date"].to_numpy("datetime64[ns]")[unknown])
        baseline = np.full(len(first), "", dtype=object)
        named = (first != NO_DAY) & compared_with_baseline(st)[unknown]  # one visit: no baseline to name
        baseline[named] = " (baseline: the first recorded visit, " + iso(first[named]) + ")"
        out[unknown] = "; surgery date unknown; post-laminectomy syndrome diagnosed" + when + baseline
    return out


def baseline_phrase(st: pd.DataFrame, lead_site) -> np.ndarray:
    """'baseline 8, 25 % lower'; names the measure and its current value when the sentence leads
    with another site, 'baseline missing' when there is none."""
    measure = st["mcid_measure"].to_numpy(object)
    change, percent = st["change_points"].to_numpy("float64"), st["change_percent"].to_numpy("float64")
    # the amount: percent of baseline, or points when the baseline was 0 (no percent exists)
    has_percent = ~np.isnan(percent)
    amount = np.where(has_percent, rounded(np.abs(percent), 0), rounded(np.abs(change)))
    sign = np.sign(change)

    def changed(value: float, pct: bool, direction: float) -> str:
        if direction == 0:
            return ", unchanged"
        shown = one_decimal(value, 0 if pct else 1)
        return f", {shown}{' %' if pct else ' points'}{' lower' if direction > 0 else ' higher'}"

    baseline = rounded(st["mcid_baseline"])
    out = np.full(len(st), "", dtype=object)
    missing = pd.isna(measure)
    same = ~missing & ((measure == np.asarray(lead_site, dtype=object)) | (measure == "pain"))
    # pieces of few values (a few hundred each) are formatted once per value and joined per row;
    # combining high-cardinality pieces would format nearly every row in Python instead
    out[same] = per_distinct([baseline[same]], lambda b: f"baseline {one_decimal(b)}") + per_distinct(
        [amount[same], has_percent[same], sign[same]], changed
    )
    named = ~missing & ~same
    if named.any():
        # another measure than the lead site: name it and give its current value
        label = per_distinct(
            [measure[named], baseline[named]], lambda m, b: f"{SITE_NAME[m]} baseline {one_decimal(b)}, now "
        )
        rest = per_distinct(
            [amount[named], has_percent[named], sign[named], measure[named] == "odi"],
            lambda a, p, d, odi: changed(a, p, d) + (ODI_NOTE if odi else ""),
        )
        out[named] = label + num(st["mcid_current"].to_numpy()[named]) + rest
    if missing.any():
        sites = st[["baseline_back", "baseline_leg", "baseline_unspecified", "baseline_odi"]].to_numpy()[missing]
        out[missing] = np.where(
            ~np.isnan(sites).all(axis=1), "no follow-up score comparable with the baseline", "baseline missing"
        )
    return out
