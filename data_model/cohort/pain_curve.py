"""The cohort pain curve: per procedure and time bucket, the patients' median and quartiles of pain."""

# - Pain = the worse site per visit (recovery.visit_pain). Each patient gives one value per bucket,
#   the mean of their visits in it, so counts are patients, not visits.
# - 'baseline' is recovery's baseline (the worse of the per-site baselines: the last score in the
#   look-back on or before the surgery day), drawn at week 0; a patient without one has no value.
# - Post-op buckets (CURVE_BUCKETS, weeks after the index surgery) are contiguous ranges [from, to)
#   around the registry time points, so every post-op visit up to 156 weeks lands in exactly one;
#   later visits are in none. Boundaries in days are week * 7 rounded up.
# - Quartiles interpolate linearly (numpy's default): of 5 sorted values, q1, median and q3 are the
#   2nd, 3rd and 4th.
# - The OFF_TRACK clinic curve (flags/clinic_curve.py) uses finer early buckets for its early warning;
#   this curve is the one to show and export.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..arrays import empty_frame, segment_starts
from ..recovery import AsOf, to_timestamp
from ..settings import Settings
from .outcomes import patients_of, postop_rows, procedure_order, status_for, worse_pain


@dataclass(frozen=True)
class CurveBucket:
    label: str
    week: float  # where the point is drawn
    week_from: float  # weeks after the index surgery, inclusive (post-op visits start on day 1)
    week_to: float  # exclusive


CURVE_BUCKETS: tuple[CurveBucket, ...] = (
    CurveBucket("2 weeks", 2, 0, 4),  # early recovery, before the 6-week check
    CurveBucket("6 weeks", 6, 4, 9),  # around the 6-week registry visit (and the discectomy window)
    CurveBucket("3 months", 13, 9, 20),  # the 3-month visit; chronic postsurgical pain from here
    CurveBucket("6 months", 26, 20, 39),  # the fusion window
    CurveBucket("12 months", 52, 39, 78),
    CurveBucket("24 months", 104, 78, 156),  # the sample cohort follows patients for 3 years
)
BASELINE_BUCKET = "baseline"

PAIN_CURVE_COLUMNS: dict[str, str] = {
    "procedure": "object",
    "bucket": "object",
    "week": "float64",
    # the bucket's range [from, to); for 'baseline' the look-back, both ends included
    "week_from": "float64",
    "week_to": "float64",
    "n_patients": "int64",  # patients with a value in this bucket
    "n_visits": "int64",  # visits their means were taken over (baseline: 1 per patient)
    "median": "float64",
    "q1": "float64",
    "q3": "float64",
    "procedure_patients": "int64",  # patients of the procedure with a value in any bucket
}


def _bucket_days(buckets: Sequence[CurveBucket]) -> tuple[np.ndarray, np.ndarray]:
    starts = np.ceil(np.array([b.week_from for b in buckets], dtype=float) * 7).astype("int64")
    ends = np.ceil(np.array([b.week_to for b in buckets], dtype=float) * 7).astype("int64")
    if np.any(ends <= starts) or np.any(starts[1:] < ends[:-1]):
        raise ValueError("weeks_bins: buckets must be non-empty, in order and not overlapping")
    return starts, ends


def pain_curve(
    surgeries: pd.DataFrame,
    visits: pd.DataFrame,
    cohort: pd.DataFrame,
    settings: Settings,
    as_of: AsOf,
    weeks_bins: Sequence[CurveBucket] = CURVE_BUCKETS,
    status: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per procedure and bucket (baseline first), patients' median and quartiles of pain; PAIN_CURVE_COLUMNS."""
    cutoff = to_timestamp(as_of)
    starts, ends = _bucket_days(weeks_bins)
    if cohort.empty:
        return empty_frame(PAIN_CURVE_COLUMNS)
    p = patients_of(status_for(surgeries, visits, cohort, settings, cutoff, status), settings)
    rows, pos, day = postop_rows(visits, p, cutoff)
    pain = worse_pain(visits, rows)
    b = np.searchsorted(starts, day, "right") - 1
    inside = (b >= 0) & ~np.isnan(pain)
    inside[inside] = day[inside] < ends[b[inside]]
    has_base = ~np.isnan(p.baseline_pain)
    nb = len(weeks_bins) + 1  # bucket 0 is the baseline
    key = np.concatenate([np.flatnonzero(has_base) * nb, pos[inside].astype("int64") * nb + b[inside] + 1])
    value = np.concatenate([p.baseline_pain[has_base], pain[inside]])
    # one value per patient and bucket: the mean of their visits in it
    sums = np.bincount(key, weights=value, minlength=len(p) * nb)
    counts = np.bincount(key, minlength=len(p) * nb)
    cell = np.flatnonzero(counts)
    proc, order = procedure_order(p.procedure)
    patient = cell // nb
    group = proc[patient] * nb + cell % nb
    per = pd.DataFrame({"g": group, "v": np.round(sums[cell] / counts[cell], 9), "k": counts[cell]})
    g = per.groupby("g")["v"]
    q = g.quantile([0.25, 0.5, 0.75]).unstack().reindex(columns=[0.25, 0.5, 0.75])  # no values: no columns
    all_groups = np.arange(len(order) * nb)
    stats = pd.DataFrame(
        {
            "n_patients": g.size(),
            "n_visits": per.groupby("g")["k"].sum(),
            "median": q[0.5],
            "q1": q[0.25],
            "q3": q[0.75],
        }
    ).reindex(all_groups)
    first_cell = segment_starts(patient)
    in_curve = np.bincount(proc[patient[first_cell]], minlength=len(order))  # cells sort by patient
    labels = [BASELINE_BUCKET, *(bk.label for bk in weeks_bins)]
    out = pd.DataFrame(
        {
            "procedure": np.repeat(order, nb),
            "bucket": np.tile(labels, len(order)),
            "week": np.tile([0.0, *(float(bk.week) for bk in weeks_bins)], len(order)),
            "week_from": np.tile(
                [-settings.baseline_lookback_days / 7, *(float(bk.week_from) for bk in weeks_bins)], len(order)
            ),
            "week_to": np.tile([0.0, *(float(bk.week_to) for bk in weeks_bins)], len(order)),
            "n_patients": stats["n_patients"].fillna(0).to_numpy("int64"),
            "n_visits": stats["n_visits"].fillna(0).to_numpy("int64"),
            "median": stats["median"].to_numpy(),
            "q1": stats["q1"].to_numpy(),
            "q3": stats["q3"].to_numpy(),
            "procedure_patients": np.repeat(in_curve, nb),
        }
    )
    return out.astype(PAIN_CURVE_COLUMNS)
