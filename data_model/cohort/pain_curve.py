"""The cohort pain curve: per procedure and registry time point, the patients' median and quartiles of pain."""

# Without survivor bias: a time point counts only the visits inside its due window, one per patient,
# so an unscheduled visit (often a patient in pain coming back early) never makes a time point of
# its own and never weighs more than a scheduled one.
#
# - Time points: 'baseline', then Settings.follow_up_schedule (6 weeks, 3, 12, 24 months by default),
#   with the due windows of follow_up.window_days (due day 7w, window 7(w-t)..7(w+t) days after the
#   index surgery, both days included; a post-op visit is on day 1 or later and on or before as_of).
# - Pain = the worse site per visit (recovery.visit_pain); a visit without a pain score does not count.
# - One visit per patient and time point: of the patient's scored visits in the window, the one closest
#   to the due day; ties (one day early, one day late) go to the earlier visit, as follow_up.py picks
#   the visit that satisfied a time point.
# - 'baseline' is recovery's baseline (the worse of the per-site baselines: the last score in the
#   look-back on or before the surgery day), drawn at week 0; a patient without one has no value.
# - Every cohort patient of a procedure is in exactly one count per time point:
#   n_patients (a value) + n_no_visit (window closed without a scored visit; baseline: no baseline)
#   + n_not_yet_due (window still open or not yet open, no scored visit in it yet) = procedure_patients.
# - below_minimum: n_patients < Settings.cohort_min_patients; the chart greys such points.
# - Quartiles interpolate linearly (numpy's default): of 5 sorted values, q1, median and q3 are the
#   2nd, 3rd and 4th.
# - The OFF_TRACK clinic curve (flags/clinic_curve.py) uses its own finer buckets for its early
#   warning; this curve is the one to show and export.

from __future__ import annotations

import numpy as np
import pandas as pd

from ..arrays import empty_frame, segment_starts
from ..follow_up import window_days
from ..recovery import AsOf, to_timestamp
from ..settings import Settings
from .outcomes import count_by, patients_of, postop_rows, procedure_order, status_for, worse_pain

BASELINE = "baseline"

PAIN_CURVE_COLUMNS: dict[str, str] = {
    "procedure": "object",
    "time_point": "object",  # 'baseline', then the follow-up schedule's labels
    "week": "float64",  # the due week, where the point is drawn (baseline: 0)
    # the due window in days after the index surgery, both ends included (baseline: the look-back)
    "window_from_day": "int64",
    "window_to_day": "int64",
    "n_patients": "int64",  # patients with a value at this time point (one visit each)
    "n_no_visit": "int64",  # window closed without a scored visit in it (baseline: no baseline)
    "n_not_yet_due": "int64",  # window not closed yet, no scored visit in it so far
    "median": "float64",
    "q1": "float64",
    "q3": "float64",
    "below_minimum": "bool",  # n_patients < Settings.cohort_min_patients
    "procedure_patients": "int64",  # every cohort patient of the procedure
}


def closest_per_patient(pos: np.ndarray, day: np.ndarray, due: int) -> np.ndarray:
    """Indices into pos/day: per patient position, the row whose day is closest to due (ties: the earlier)."""
    order = np.lexsort((day, np.abs(day - due), pos))
    return order[segment_starts(pos[order])]


def pain_curve(
    surgeries: pd.DataFrame,
    visits: pd.DataFrame,
    cohort: pd.DataFrame,
    settings: Settings,
    as_of: AsOf,
    status: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per procedure and time point (baseline first), patients' median and quartiles of pain; PAIN_CURVE_COLUMNS."""
    cutoff = to_timestamp(as_of)
    if cohort.empty:
        return empty_frame(PAIN_CURVE_COLUMNS)
    p = patients_of(status_for(surgeries, visits, cohort, settings, cutoff, status), settings)
    rows, pos, day = postop_rows(visits, p, cutoff)
    pain = worse_pain(visits, rows)
    scored = ~np.isnan(pain)
    pos, day, pain = pos[scored].astype("int64"), day[scored], pain[scored]
    proc, order = procedure_order(p.procedure)
    k = len(order)
    due, start, end = window_days(settings)
    points = settings.follow_up_schedule
    frames = []
    has_base = ~np.isnan(p.baseline_pain)
    lookback = settings.baseline_lookback_days
    columns = [("baseline", 0, -lookback, 0, np.flatnonzero(has_base), p.baseline_pain[has_base])]
    for j, point in enumerate(points):
        first, last = max(int(start[j]), 1), int(end[j])
        inside = np.flatnonzero((day >= first) & (day <= last))
        chosen = inside[closest_per_patient(pos[inside], day[inside], int(due[j]))]
        columns.append((point.label, point.weeks, int(start[j]), last, pos[chosen], pain[chosen]))
    for label, week, lo, hi, who, value in columns:
        has = np.zeros(len(p), dtype=bool)
        has[who] = True
        closed = p.days_since > hi
        if label == BASELINE:
            closed = np.ones(len(p), dtype=bool)  # the look-back ends on the surgery day
        per = pd.DataFrame({"g": proc[who], "v": np.round(value, 9)})
        if len(per):
            q = per.groupby("g")["v"].quantile([0.25, 0.5, 0.75]).unstack().reindex(index=range(k))
            q = q.reindex(columns=[0.25, 0.5, 0.75])
        else:
            q = pd.DataFrame(np.nan, index=range(k), columns=[0.25, 0.5, 0.75])
        n = count_by(proc, has, k)
        frames.append(
            pd.DataFrame(
                {
                    "procedure": order,
                    "time_point": label,
                    "week": float(week),
                    "window_from_day": lo,
                    "window_to_day": hi,
                    "n_patients": n,
                    "n_no_visit": count_by(proc, ~has & closed, k),
                    "n_not_yet_due": count_by(proc, ~has & ~closed, k),
                    "median": q[0.5].to_numpy(),
                    "q1": q[0.25].to_numpy(),
                    "q3": q[0.75].to_numpy(),
                    "below_minimum": n < settings.cohort_min_patients,
                    "procedure_patients": count_by(proc, np.ones(len(p), dtype=bool), k),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    rank = {c: i for i, c in enumerate(order)}  # procedure-major, time points in schedule order
    out = out.sort_values("procedure", key=lambda s: s.map(rank), kind="stable")
    return out.reset_index(drop=True).astype(PAIN_CURVE_COLUMNS)
