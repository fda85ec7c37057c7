"""Pain before and after each treatment started, responder rates per treatment, steps not yet tried."""

# - Pain per visit = the worse site, as everywhere (recovery.visit_pain). Visits and treatments dated
#   after as_of are ignored; visits without a pain score do not count.
# - Before = the mean pain of visits dated start - before_days .. start (inclusive; a visit on the
#   start day was scored before the treatment). After = the mean of visits dated
#   start + after_days[0] .. start + after_days[1]. At least one visit each side; otherwise the
#   side is NaN and responder is <NA>: a missing score never reads as a response.
# - Default windows, and why:
#   before 90 days: the same look-back as the surgical baseline; a mean over the visits in it,
#     because one score may be noisy;
#   after from 28 days: an epidural steroid injection's effect shows from about 2 weeks and the
#     local anaesthetic's within hours, so from 4 weeks the response is the steroid's (or therapy's,
#     medication's) own, past the post-procedure flare;
#   after to 180 days: radiofrequency ablation relieves for 6-18 months; 6 months catches the
#     longer-acting treatments while they work, without reaching far into unrelated change.
# - Change = before - after (positive = better); change_percent = 100 * change / before (NaN when
#   before is 0). Responder = change_percent >= Settings.mcid_nrs_percent (30 %, the moderate
#   improvement threshold). Means and changes are rounded to 9 decimals so float noise never
#   decides the threshold.
# - Per-treatment responder rates count patients: each patient's FIRST course of a code (earliest
#   start, then lowest treatment_id), since later courses are chosen by how the first one went.
# - A spine surgery must not be credited to a treatment (NSAIDs started a week after surgery would
#   otherwise "respond" with the surgery's relief): given the surgeries, 'before' starts the day after
#   the latest surgery on or before the start and 'after' ends on the next surgery's day.
# - Other treatments inside the windows are not separated out: the figures describe what followed
#   a treatment's start, not what it caused.

from __future__ import annotations

import numpy as np
import pandas as pd

from .arrays import NS_PER_DAY, segment_starts, without_noise
from .catalog import TREATMENT_GROUPS, TREATMENTS
from .recovery import PAIN_COLUMNS, AsOf, to_timestamp
from .settings import Settings

BEFORE_DAYS = 90
AFTER_DAYS = (28, 180)

RESPONSE_COLUMNS: dict[str, str] = {
    "patient_id": "int64",
    "treatment_id": "int64",
    "code": "object",
    "start_date": "datetime64[ns]",
    # the windows used, inclusive dates, so the page can show them
    "before_from": "datetime64[ns]",
    "before_to": "datetime64[ns]",
    "after_from": "datetime64[ns]",
    "after_to": "datetime64[ns]",
    "pain_before": "float64",
    "n_before": "int64",
    "pain_after": "float64",
    "n_after": "int64",
    "change_points": "float64",
    "change_percent": "float64",
    "responder": "boolean",  # <NA> when either side has no visit
    "after_complete": "bool",  # as_of is past the after window: no more visits can join it
    "clipped_by_surgery": "bool",  # a window was shortened so as not to cross a spine surgery
}


def _window_means(key: np.ndarray, pain: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and count of pain over sorted keys in [lo, hi] per query (NaN, 0 when none)."""
    start = np.searchsorted(key, lo, "left")
    stop = np.searchsorted(key, hi, "right")
    n = stop - start
    mean = np.full(len(lo), np.nan)
    some = n > 0
    if some.any():
        # reduceat over [start, stop) pairs sums each window exactly as written, no cumsum drift;
        # the padding keeps stop a valid index when a window ends at the last visit
        padded = np.append(pain, 0.0)
        bounds = np.column_stack([start[some], stop[some]]).ravel()
        mean[some] = without_noise(np.add.reduceat(padded, bounds)[::2] / n[some])
    return mean, n


def per_treatment(
    visits: pd.DataFrame,
    treatments: pd.DataFrame,
    settings: Settings,
    as_of: AsOf,
    before_days: int = BEFORE_DAYS,
    after_days: tuple[int, int] = AFTER_DAYS,
    surgeries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per treatment started on or before as_of: pain before and after, change, responder.

    With surgeries, neither window crosses a spine surgery: 'before' starts after the latest surgery
    on or before the start, 'after' ends on the day of the next one (that day's score is pre-op),
    so a surgery's effect is never credited to a treatment (clipped_by_surgery says when).
    """
    if before_days < 0 or not 0 <= after_days[0] <= after_days[1]:
        raise ValueError(f"windows: before_days {before_days!r}, after_days {after_days!r} are not 0 <= from <= to")
    cutoff = to_timestamp(as_of)
    t = treatments[treatments["start_date"] <= cutoff]
    patients = pd.Index(pd.unique(t["patient_id"]))
    pos = patients.get_indexer(visits["patient_id"])
    vdate = visits["visit_date"].to_numpy("datetime64[ns]")
    pain = np.fmax.reduce([visits[c].to_numpy("float64") for c in PAIN_COLUMNS])  # recovery.visit_pain
    keep = (pos >= 0) & (vdate <= cutoff.to_datetime64()) & ~np.isnan(pain)
    # whole days as integers (datetime64[D] arrays convert slowly in pandas)
    vday = vdate[keep].view("int64") // NS_PER_DAY
    sday = t["start_date"].to_numpy("datetime64[ns]").view("int64") // NS_PER_DAY
    spos, surgery_day = _surgeries_of(surgeries, patients, cutoff)
    # pack (patient, day) into one sortable key; the margin keeps every window inside its patient
    reach = before_days + after_days[1] + 1
    every = np.concatenate([vday, sday, surgery_day])
    low = (every.min() if len(every) else 0) - reach
    span = (every.max() if len(every) else 0) - low + reach + 1
    key = pos[keep].astype("int64") * span + (vday - low)
    order = np.argsort(key, kind="stable")
    key, vpain = key[order], pain[keep][order]
    tpos = patients.get_indexer(t["patient_id"]).astype("int64")
    tkey = tpos * span + (sday - low)
    before_lo, after_hi = tkey - before_days, tkey + after_days[1]
    if len(surgery_day):
        skey = np.sort(spos * span + (surgery_day - low))
        i = np.searchsorted(skey, tkey, "right")  # surgeries up to the start day are before it
        prev = np.where(i > 0, skey[np.maximum(i - 1, 0)], -1)
        nxt = np.where(i < len(skey), skey[np.minimum(i, len(skey) - 1)], np.iinfo("int64").max)
        # only the patient's own surgeries: keys of others lie outside [tpos*span, (tpos+1)*span)
        prev = np.where(prev >= tpos * span, prev + 1, before_lo)
        nxt = np.where(nxt < (tpos + 1) * span, nxt, after_hi)
        before_lo, after_hi = np.maximum(before_lo, prev), np.minimum(after_hi, nxt)
    clipped = (before_lo != tkey - before_days) | (after_hi != tkey + after_days[1])
    before, n_before = _window_means(key, vpain, before_lo, tkey)
    after, n_after = _window_means(key, vpain, tkey + after_days[0], after_hi)
    change = without_noise(before - after)
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = without_noise(np.where(before > 0, 100 * change / before, np.nan))
    responder = np.where(np.isnan(change), None, percent >= settings.mcid_nrs_percent)
    date = lambda k: ((k - tpos * span + low) * NS_PER_DAY).view("datetime64[ns]")  # noqa: E731
    return pd.DataFrame(
        {
            "patient_id": t["patient_id"].to_numpy("int64"),
            "treatment_id": t["treatment_id"].to_numpy("int64"),
            "code": t["code"].to_numpy(dtype=object),
            "start_date": date(tkey),
            "before_from": date(before_lo),
            "before_to": date(tkey),
            "after_from": date(tkey + after_days[0]),
            "after_to": date(after_hi),
            "pain_before": before,
            "n_before": n_before,
            "pain_after": after,
            "n_after": n_after,
            "change_points": change,
            "change_percent": percent,
            "responder": pd.array(responder, dtype="boolean"),
            "after_complete": date(after_hi) < cutoff.to_datetime64(),
            "clipped_by_surgery": clipped,
        }
    ).astype(RESPONSE_COLUMNS)


def _surgeries_of(
    surgeries: pd.DataFrame | None,
    patients: pd.Index,
    cutoff: pd.Timestamp,
) -> tuple[np.ndarray, np.ndarray]:
    """(patient position, day number) of the given patients' surgeries on or before as_of."""
    if surgeries is None:
        return np.zeros(0, dtype="int64"), np.zeros(0, dtype="int64")
    when = surgeries["surgery_date"].to_numpy("datetime64[ns]")
    spos = patients.get_indexer(surgeries["patient_id"])
    ok = (spos >= 0) & (when <= cutoff.to_datetime64())
    return spos[ok].astype("int64"), when[ok].view("int64") // NS_PER_DAY


TREATMENT_RATE_COLUMNS: dict[str, str] = {
    "code": "object",
    "label": "object",
    "group": "object",
    "n_patients": "int64",  # patients with a course of this treatment (their first counts)
    "n_evaluable": "int64",  # first course with pain before and after
    "n_not_evaluable": "int64",  # a side missing: not a responder, not a non-responder
    "n_responders": "int64",
    "responder_rate": "float64",  # responders / evaluable (NaN when none)
    "median_change_percent": "float64",  # over the evaluable first courses
}


def _catalogue_rank(codes: pd.Series) -> pd.Series:
    """Catalogue (stepped) order; unknown codes after, alphabetically."""
    known = {c: i for i, c in enumerate(TREATMENTS)}
    unknown = sorted(set(codes) - set(known))
    return codes.map(known | {c: len(known) + i for i, c in enumerate(unknown)})


def responder_rates(per_treatment: pd.DataFrame) -> pd.DataFrame:
    """Per treatment code, responders among patients' first courses; TREATMENT_RATE_COLUMNS."""
    pt = per_treatment
    code, codes = pd.factorize(pt["code"])
    k = len(codes)
    group = pd.factorize(pt["patient_id"])[0].astype("int64") * max(k, 1) + code  # (patient, code)
    day = pt["start_date"].to_numpy("datetime64[ns]").view("int64") // NS_PER_DAY
    # order by (patient, code, start, treatment_id): two stable sorts of packed integer keys, far
    # faster than a 4-column lexsort
    order = np.argsort(pt["treatment_id"].to_numpy("int64"), kind="stable")
    if len(day):
        key = group[order] * (int(day.max() - day.min()) + 1) + (day[order] - day.min())
        order = order[np.argsort(key, kind="stable")]
    g = group[order]
    first = order[segment_starts(g)]  # first course per code
    responder = pt["responder"].to_numpy(dtype="float64", na_value=np.nan)[first]
    evaluable = ~np.isnan(responder)
    pct = pt["change_percent"].to_numpy("float64")[first]
    c = code[first]
    median = pd.Series(pct[evaluable]).groupby(c[evaluable]).median().reindex(range(k))
    out = pd.DataFrame(
        {
            "code": np.asarray(codes, dtype=object),
            "n_patients": np.bincount(c, minlength=k),
            "n_evaluable": np.bincount(c[evaluable], minlength=k),
            "n_responders": np.bincount(c[responder == 1], minlength=k),
            "median_change_percent": median.to_numpy("float64"),
        }
    )
    out["n_not_evaluable"] = out["n_patients"] - out["n_evaluable"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["responder_rate"] = np.where(out["n_evaluable"] > 0, out["n_responders"] / out["n_evaluable"], np.nan)
    out["label"] = out["code"].map(lambda c: TREATMENTS[c].label if c in TREATMENTS else c)
    out["group"] = out["code"].map(lambda c: TREATMENTS[c].group if c in TREATMENTS else None)
    out = out.iloc[np.argsort(_catalogue_rank(out["code"]).to_numpy(), kind="stable")]
    return out[list(TREATMENT_RATE_COLUMNS)].reset_index(drop=True).astype(TREATMENT_RATE_COLUMNS)


# --- The catalogue's steps not yet tried (information, not advice) --------------------------------

NOT_YET_TRIED_NOTE = (
    "For information: the catalogue's usual stepped order and what this patient has not tried yet. "
    "Not a recommendation; whether a step suits this patient is a clinical decision."
)
STEP_COLUMNS: dict[str, str] = {
    "step": "int64",
    "group": "object",
    "code": "object",
    "label": "object",
    "tried": "bool",
    "first_start": "datetime64[ns]",
    "courses": "int64",
}


def not_yet_tried(treatments: pd.DataFrame, as_of: AsOf | None = None) -> pd.DataFrame:
    """Every catalogue treatment in stepped order (group, then catalogue order) for ONE patient,
    with whether it was tried (started on or before as_of); filter on ~tried for the untried steps.
    Codes outside the catalogue are not steps and are left out."""
    if treatments["patient_id"].nunique() > 1:
        raise ValueError(f"not_yet_tried: expected one patient, got {treatments['patient_id'].nunique()}")
    t = treatments if as_of is None else treatments[treatments["start_date"] <= to_timestamp(as_of)]
    by_code = t.groupby("code")["start_date"].agg(["min", "size"])
    steps = sorted(TREATMENTS.values(), key=lambda s: TREATMENT_GROUPS.index(s.group))  # stable: catalogue order
    codes = [s.code for s in steps]
    out = pd.DataFrame(
        {
            "step": [s.step for s in steps],
            "group": [s.group for s in steps],
            "code": codes,
            "label": [s.label for s in steps],
            "first_start": by_code["min"].reindex(codes).to_numpy("datetime64[ns]"),
            "courses": by_code["size"].reindex(codes).fillna(0).to_numpy("int64"),
        }
    )
    out["tried"] = out["courses"] > 0
    return out[list(STEP_COLUMNS)].astype(STEP_COLUMNS)


# --- The change in words (the patient page, the summary) ---------------------------------------------


def change_in_words(change_points: float | None, change_percent: float | None) -> str:
    """Which way pain went after a treatment, in words: '1.2 points lower, 15 %', '0.1 points higher',
    'no change'; '–' when either side has no visit. change_points is before - after (positive = better)."""
    if change_points is None or pd.isna(change_points):
        return "–"
    points = round(float(change_points), 1)
    if points == 0:
        return "no change"
    way = "lower" if points > 0 else "higher"
    size = abs(points)
    text = f"{size:g} point{'' if size == 1 else 's'} {way}"
    if change_percent is not None and not pd.isna(change_percent) and round(abs(float(change_percent))) > 0:
        text += f", {abs(float(change_percent)):.0f} %"
    return text
