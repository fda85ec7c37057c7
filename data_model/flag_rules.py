"""The flag rules: one vectorised function per flag code over the patient status frame."""

# A rule takes a FlagInput (status from recovery.patient_status plus the raw frames, settings and
# as_of) and returns FLAG_COLUMNS rows for the patients it flags. Adding OFF_TRACK, WORSENING,
# REBOUND, NEW_NERVE_SYMPTOMS, HIGH_OPIOID_DOSE or OVERDUE_FOLLOW_UP means writing one function
# and adding it to RULES; compute_flags, the worklist and the CLI need no change.
#
# PERSISTENT_PAIN: the window has ended, the latest scored post-op visit is on or after the
#   window end (evidence past the window), and current_pain >= persistent_pain_threshold.
#   high when current_pain >= severe_pain_threshold, else medium.
# NO_MEANINGFUL_IMPROVEMENT: the same window and evidence conditions, a known MCID result that is
#   False, and the compared pain >= no_improvement_min_pain (mild pain is not flagged for lack of
#   improvement). When ODI is the measure the gate reads current_pain, and is skipped if no pain
#   score exists at all. high when there is no improvement at all (score at or above baseline).
#
# Reasons carry the numbers and are built by whole-array string concatenation, never row by row;
# parts that take only a few forms (procedure, revision, site) are formatted once per distinct
# value and spread to the rows.

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalog import FLAG_CODES, PROCEDURES, SEVERITY_RANK
from .recovery import AsOf, patient_status, to_timestamp
from .settings import Settings

FLAG_COLUMNS: dict[str, str] = {
    "patient_id": "int64",
    "code": "object",
    "severity": "object",
    "reason": "object",
}


@dataclass(frozen=True)
class FlagInput:
    """Everything a rule may read; later rules need the raw visits and treatments, not only status."""

    status: pd.DataFrame
    surgeries: pd.DataFrame
    visits: pd.DataFrame
    treatments: pd.DataFrame
    settings: Settings
    as_of: pd.Timestamp


Rule = Callable[[FlagInput], pd.DataFrame]


# --- Text helpers (vectorised) ----------------------------------------------------------------


def _as_text(x: pd.Series, decimals: int) -> pd.Series:
    """Numbers as text without needless decimals; formats each distinct value once, not each row."""
    # Half away from zero, as people round (12.5 % reads 13 %, not numpy's even 12 %); the inner
    # round strips float noise first (6.35 is stored as 6.3499999...). + 0.0 turns -0.0 into 0.0.
    scaled = np.round(np.asarray(x, dtype="float64") * 10**decimals, 6)
    values = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / 10**decimals + 0.0
    codes, distinct = pd.factorize(values)
    labels = np.array([_trim(f"{d:.{decimals}f}") for d in distinct] + ["?"], dtype=object)
    return pd.Series(labels[codes], index=getattr(x, "index", None), dtype=object)


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_number(x: pd.Series) -> pd.Series:
    """6 -> '6', 5.5 -> '5.5', 6.333 -> '6.3' (one decimal is as precise as an NRS reading gets)."""
    return _as_text(x, 1)


def fmt_int(x: pd.Series) -> pd.Series:
    return _as_text(x, 0)


def _g(setting: float) -> str:
    return f"{setting:g}"


def _per_distinct(parts: list, text_of: Callable[..., str]) -> np.ndarray:
    """Text that depends on a few low-cardinality values, formatted once per distinct combination."""
    arrays = [np.asarray(p) for p in parts]
    if len(arrays[0]) == 0:
        return np.array([], dtype=object)
    factors = [pd.factorize(a, use_na_sentinel=False) for a in arrays]
    key = np.ravel_multi_index([codes for codes, _ in factors], [len(u) for _, u in factors])
    _, first, spread = np.unique(key, return_index=True, return_inverse=True)
    texts = [text_of(*(a[i] for a in arrays)) for i in first]
    return np.array(texts, dtype=object)[spread.reshape(-1)]


_SITE_TITLE = {"back": "Back pain", "leg": "Leg pain", "pain": "Pain", "odi": "ODI"}
_SITE_NAME = {"back": "back pain", "leg": "leg pain", "pain": "pain", "odi": "ODI"}
_ODI_NOTE = " (ODI used: no pain score both before and after surgery)"
_PROCEDURE_NAME = {code: p.label.lower() for code, p in PROCEDURES.items()}


def _score_phrase(site: pd.Series, value: pd.Series, n: pd.Series, week: pd.Series) -> np.ndarray:
    """'Leg pain 7.5/10 (mean of 2 visits) at week 14'."""
    title = _per_distinct([site], lambda s: f"{_SITE_TITLE[s]} ")
    middle = _per_distinct(
        [site, n],
        lambda s, k: ("/100" if s == "odi" else "/10") + (f" (mean of {k} visits)" if k > 1 else "") + " at week ",
    )
    return title + fmt_number(value).to_numpy() + middle + fmt_int(np.floor(week)).to_numpy()


def _window_phrase(st: pd.DataFrame) -> np.ndarray:
    """', past the 6-week discectomy window (revision: 1 prior surgery)'."""

    def text(procedure: str, weeks: int, prior: int) -> str:
        revision = f" (revision: {prior} prior {'surgery' if prior == 1 else 'surgeries'})"
        name = _PROCEDURE_NAME.get(procedure, str(procedure))
        return f", past the {weeks}-week {name} window" + (revision if prior > 0 else "")

    return _per_distinct([st["procedure"], st["window_weeks"], st["prior_surgeries"]], text)


def _baseline_phrase(st: pd.DataFrame, lead_site: pd.Series) -> np.ndarray:
    """'baseline 8, 25 % lower'; names the measure and its current value when the sentence leads
    with another site, 'baseline missing' when there is none."""
    measure = st["mcid_measure"]
    change, percent = st["change_points"], st["change_percent"]
    # the amount: percent of baseline, or points when the baseline was 0 (no percent exists)
    amount = np.where(percent.notna(), fmt_int(percent.abs()), fmt_number(change.abs()))
    change_text = np.where(
        change == 0, ", unchanged",
        ", " + amount + _per_distinct([percent.notna(), change > 0], lambda pct, lower: (
            (" %" if pct else " points") + (" lower" if lower else " higher"))),
    )
    baseline = fmt_number(st["mcid_baseline"]).to_numpy()
    lead_is_measure = ((measure == lead_site) | (measure == "pain")).to_numpy()
    out = np.where(lead_is_measure, "baseline " + baseline + change_text, "")
    named = ~lead_is_measure & measure.notna().to_numpy()
    if named.any():
        # another measure than the lead site: name it and give its current value
        other = measure.to_numpy()[named]
        label = _per_distinct([other], lambda m: f"{_SITE_NAME[m]} baseline ")
        note = np.where(other == "odi", _ODI_NOTE, "")
        current = fmt_number(st["mcid_current"].to_numpy()[named])
        out[named] = label + baseline[named] + ", now " + current.to_numpy() + change_text[named] + note
    missing = measure.isna().to_numpy()
    any_baseline = st[["baseline_back", "baseline_leg", "baseline_unspecified", "baseline_odi"]].notna().any(axis=1)
    out[missing] = np.where(
        any_baseline.to_numpy()[missing], "no follow-up score comparable with the baseline", "baseline missing"
    )
    return out


def _flags(st: pd.DataFrame, code: str, severity, reason) -> pd.DataFrame:
    """The FLAG_COLUMNS frame of one rule: a row per flagged status row."""
    return pd.DataFrame({
        "patient_id": st["patient_id"].to_numpy("int64"),
        "code": np.full(len(st), code, dtype=object),
        "severity": np.asarray(severity, dtype=object),
        "reason": np.asarray(reason, dtype=object),
    })


def _past_window_with_evidence(st: pd.DataFrame) -> pd.Series:
    # evidence past the window already implies the window ended (visits are never after as_of);
    # both are kept so the rule reads as the clinical statement
    return st["window_ended"] & st["evidence_past_window"]


# --- Rules --------------------------------------------------------------------------------------


def persistent_pain(inp: FlagInput) -> pd.DataFrame:
    """PERSISTENT_PAIN: past the window with evidence from past it, current pain >= threshold."""
    s = inp.settings
    st = inp.status
    st = st[_past_window_with_evidence(st) & (st["current_pain"] >= s.persistent_pain_threshold)]
    site = st["current_site"]
    n = np.select(
        [site == "back", site == "leg"], [st["current_back_visits"], st["current_leg_visits"]],
        st["current_unspecified_visits"],
    )
    reason = (
        _score_phrase(site, st["current_pain"], pd.Series(n, index=st.index), st["last_visit_week"])
        + _window_phrase(st) + "; " + _baseline_phrase(st, site)
    )
    severity = np.where(st["current_pain"] >= s.severe_pain_threshold, "high", "medium")
    return _flags(st, "PERSISTENT_PAIN", severity, reason)


def no_meaningful_improvement(inp: FlagInput) -> pd.DataFrame:
    """NO_MEANINGFUL_IMPROVEMENT: past the window, MCID not met, the compared pain not mild."""
    s = inp.settings
    st = inp.status
    odi = st["mcid_measure"] == "odi"
    # mild pain is not flagged for lack of improvement; on ODI the pain score (if any) decides
    gate_pain = st["mcid_current"].where(~odi, st["current_pain"])
    not_mild = (gate_pain >= s.no_improvement_min_pain) | (odi & st["current_pain"].isna())
    st = st[_past_window_with_evidence(st) & st["mcid_met"].eq(False).fillna(False) & not_mild]

    def shortfall(measure: str) -> str:
        if measure == "odi":
            return f", short of the {_g(s.mcid_odi_points)}-point or {_g(s.mcid_odi_percent)} % " \
                   f"meaningful improvement{_ODI_NOTE}"
        return f", short of the {_g(s.mcid_nrs_points)}-point or {_g(s.mcid_nrs_percent)} % meaningful improvement"

    short = _per_distinct([st["mcid_measure"]], shortfall)
    site = st["mcid_measure"]
    reason = (
        _score_phrase(site, st["mcid_current"], st["mcid_visits"], st["last_visit_week"])
        + _window_phrase(st) + "; " + _baseline_phrase(st, site) + short
    )
    severity = np.where(st["change_points"] <= 0, "high", "medium")
    return _flags(st, "NO_MEANINGFUL_IMPROVEMENT", severity, reason)


# Code order here is catalog.FLAG_CODES order; later rules slot in by code.
RULES: dict[str, Rule] = {
    "PERSISTENT_PAIN": persistent_pain,
    "NO_MEANINGFUL_IMPROVEMENT": no_meaningful_improvement,
}


def empty_flags() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in FLAG_COLUMNS.items()})


def run_rules(inp: FlagInput, rules: dict[str, Rule] | None = None) -> pd.DataFrame:
    """All rule results, ordered by patient, then severity (most severe first), then code order."""
    frames = [rule(inp) for rule in (rules or RULES).values()]
    flags = pd.concat([empty_flags(), *frames], ignore_index=True).astype(FLAG_COLUMNS)
    order = {c: i for i, c in enumerate(FLAG_CODES)}
    keys = pd.DataFrame({
        "p": flags["patient_id"], "s": -flags["severity"].map(SEVERITY_RANK), "c": flags["code"].map(order)
    })
    return flags.loc[keys.sort_values(["p", "s", "c"], kind="stable").index].reset_index(drop=True)


def compute_flags(
    surgeries: pd.DataFrame,
    visits: pd.DataFrame,
    treatments: pd.DataFrame,
    settings: Settings,
    as_of: AsOf,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The entry point the app and CLI call: (status per patient, flags FLAG_COLUMNS)."""
    cutoff = to_timestamp(as_of)
    status = patient_status(surgeries, visits, treatments, settings, cutoff)
    inp = FlagInput(status, surgeries, visits, treatments, settings, cutoff)
    return status, run_rules(inp)
