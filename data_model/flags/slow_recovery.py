"""Flags about recovery against the window: PERSISTENT_PAIN, NO_MEANINGFUL_IMPROVEMENT and OFF_TRACK."""

# PERSISTENT_PAIN: the window has ended, the latest scored post-op visit is on or after the
#   window end (evidence past the window), and current_pain >= persistent_pain_threshold (current
#   pain then averages only visits on or after the window end: recovery.py). high when
#   current_pain >= severe_pain_threshold, else medium.
# NO_MEANINGFUL_IMPROVEMENT: the same window and evidence conditions, a known MCID result that is
#   False, and the compared pain >= no_improvement_min_pain (mild pain is not flagged for lack of
#   improvement). When ODI is the measure, the current ODI must also be >= no_improvement_min_odi
#   (minimal disability is not flagged either) and the mildness gate reads current_pain, skipped
#   when no pain score exists at all. Never on a patient in PASS (recovery.py: pain <= acceptable_pain_max
#   and ODI <= acceptable_odi_max now): success is the MCID or PASS. high when there is no improvement at
#   all (score at or above baseline).
# OFF_TRACK (early warning): the window has not ended, and the patient's pain (worse site) was
#   above the curve (clinic_curve.py: the clinic's off_track_percentile for the procedure and week
#   bucket, or the reference curve where the clinic has too few patients) on each of the latest
#   off_track_consecutive_visits post-op visits with a pain score, the latest of them the latest
#   such visit. All of them are inside the window, since nothing is dated after as_of. high when
#   the latest pain >= severe_pain_threshold, else medium.

from __future__ import annotations

import numpy as np
import pandas as pd

from ..arrays import segment_ends, without_noise
from ..recovery import PAIN_COLUMNS
from .clinic_curve import BUCKET_LABELS, CURVE_PROCEDURES, bucket_of, buckets_end, procedure_index
from .input import (
    ODI_NOTE,
    PROCEDURE_NAME,
    SITE_TITLE,
    FlagInput,
    baseline_phrase,
    compared_with_baseline,
    dated_days,
    empty_flags,
    g,
    make_flags,
    num,
    one_decimal,
    ordinal,
    past_window_with_evidence,
    per_distinct,
    score_phrase,
    severity_text,
    week_text,
    window_phrase,
)


def _site_visits(st: pd.DataFrame, site: pd.Series) -> pd.Series:
    n = np.select(
        [site == "back", site == "leg"],
        [st["current_back_visits"], st["current_leg_visits"]],
        st["current_unspecified_visits"],
    )
    return pd.Series(n, index=st.index)


def persistent_pain(inp: FlagInput) -> pd.DataFrame:
    """PERSISTENT_PAIN: past the window with evidence from past it, current pain >= threshold."""
    s = inp.settings
    st = inp.status
    st = st[past_window_with_evidence(st) & (st["current_pain"] >= s.persistent_pain_threshold)]
    site = st["current_site"]
    # a single visit of a patient without a recorded surgery is its own baseline: the pain and the
    # diagnosis are said, no comparison
    compared = np.where(compared_with_baseline(st), "; " + baseline_phrase(st, site), "")
    reason = (
        score_phrase(site, st["current_pain"], _site_visits(st, site), st["last_visit_week"], on=dated_days(st))
        + window_phrase(st)
        + compared
    )
    severity = severity_text(st["current_pain"] >= s.severe_pain_threshold)
    return make_flags(st, "PERSISTENT_PAIN", severity, reason)


def no_meaningful_improvement(inp: FlagInput) -> pd.DataFrame:
    """NO_MEANINGFUL_IMPROVEMENT: past the window, MCID not met, the compared pain not mild."""
    s = inp.settings
    st = inp.status
    odi = st["mcid_measure"] == "odi"
    # mild pain is not flagged for lack of improvement; on ODI the pain score (if any) decides, and
    # minimal disability is not flagged either
    gate_pain = st["mcid_current"].where(~odi, st["current_pain"])
    not_mild = (gate_pain >= s.no_improvement_min_pain) | (odi & st["current_pain"].isna())
    not_minimal = ~odi | (st["mcid_current"] >= s.no_improvement_min_odi)
    # a patient in the acceptable symptom state is a success without the MCID (a low baseline)
    in_pass = st["pass_met"].eq(True).fillna(False)
    st = st[past_window_with_evidence(st) & st["mcid_met"].eq(False).fillna(False) & ~in_pass & not_mild & not_minimal]

    def shortfall(measure: str) -> str:
        if measure == "odi":
            return (
                f", short of the {g(s.mcid_odi_points)}-point or {g(s.mcid_odi_percent)} % "
                f"meaningful improvement{ODI_NOTE}"
            )
        return f", short of the {g(s.mcid_nrs_points)}-point or {g(s.mcid_nrs_percent)} % meaningful improvement"

    short = per_distinct([st["mcid_measure"]], shortfall)
    site = st["mcid_measure"]
    reason = (
        score_phrase(site, st["mcid_current"], st["mcid_visits"], st["last_visit_week"], on=dated_days(st))
        + window_phrase(st)
        + "; "
        + baseline_phrase(st, site)
        + short
    )
    severity = severity_text(st["change_points"] <= 0)
    return make_flags(st, "NO_MEANINGFUL_IMPROVEMENT", severity, reason)


def off_track(inp: FlagInput) -> pd.DataFrame:
    """OFF_TRACK: inside the window, pain above the cohort curve on the latest visits running."""
    s, st, tl = inp.settings, inp.status, inp.timeline
    inside = ~st["window_ended"].to_numpy(bool)
    if not inside.any():
        return empty_flags()
    row_of = procedure_index(st["procedure"])
    curve = inp.clinic_curve
    early = np.flatnonzero(tl.post & (tl.since < buckets_end(max(s.window_weeks.values()) * 7)))
    early = early[~np.isnan(tl.pain[early])]
    rows = early[inside[tl.pos[early]]]
    pos, pain = tl.pos[rows], tl.pain[rows]
    bucket = bucket_of(tl.since[rows])
    limit = without_noise(curve.value[row_of[pos], bucket])
    above = pain > limit
    if not above.any():
        return empty_flags()
    # the run of "above" visits ending at each patient's latest visit (rows are in time order)
    ends = np.flatnonzero(segment_ends(pos))
    starts = np.append(0, ends[:-1] + 1)
    last_below = np.maximum.reduceat(np.where(above, -1, np.arange(len(rows))), starts)
    run = ends - np.maximum(last_below, starts - 1)
    hit = run >= s.off_track_consecutive_visits
    latest, run, who = ends[hit], run[hit], pos[ends[hit]]
    flagged = st.iloc[who]
    b, proc_row = bucket[latest], row_of[who]
    clinic = curve.from_clinic[proc_row, b]
    value = pain[latest]
    site = _visit_site(tl, rows[latest], value)
    weeks = tl.since[rows[latest]] / 7

    def against(from_clinic: bool, proc: int, bucket_index: int, k: int) -> str:
        limit = one_decimal(curve.value[proc, bucket_index])
        name, weeks = PROCEDURE_NAME[CURVE_PROCEDURES[proc]], BUCKET_LABELS[bucket_index]
        where = f" for {name} at weeks {weeks}, {k} visits running"
        if from_clinic:
            return f", above the clinic's {ordinal(s.off_track_percentile)} percentile ({limit})" + where
        return (
            f", above the {ordinal(s.off_track_percentile)} percentile of the reference curve ({limit})"
            + where
            + f" (the clinic has fewer than {s.off_track_min_cohort_patients} patients there)"
        )

    title = per_distinct([site], lambda x: f"{SITE_TITLE[x]} ")
    reason = title + num(value) + "/10 at week " + week_text(weeks) + per_distinct([clinic, proc_row, b, run], against)
    severity = severity_text(value >= s.severe_pain_threshold)
    return make_flags(flagged, "OFF_TRACK", severity, reason)


def _visit_site(tl, rows: np.ndarray, pain: np.ndarray) -> np.ndarray:
    """Which site gave each visit's pain (ties: leg, then back, then 'pain')."""
    leg, back, _ = (tl.column(c)[rows] for c in ("leg_pain", "back_pain", PAIN_COLUMNS[2]))
    return np.select([leg == pain, back == pain], ["leg", "back"], "pain").astype(object)
