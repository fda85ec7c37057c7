"""Cohort figures: who is in the cohort, pain curves, registry responder rates, summary figures."""

# Every function takes as_of and ignores later data; all work on whole arrays, never per patient.
# The shared rules (index surgery, baseline, MCID measure and verdict) are in outcomes.py.
#
# - select_cohort: the index surgery is recovery's (the most recent on or before as_of); the
#   filters apply to it: procedure, surgeon, its date (date_from..date_to inclusive), and the order:
#   'first' = no earlier surgery, 'repeat' = at least one.
# - pain_curve: pain_curve.py; time_to_recovery and kaplan_meier: survival.py.
# - responder_rates, per Settings.follow_up_schedule time point (weeks w, tolerance t):
#   window = days 7(w-t)..7(w+t) after surgery inclusive; it has closed once as_of is past its last
#   day. Eligible = window closed and a baseline on the patient's measure. Of the eligible, those
#   with a scored visit in the window are judged on the visit closest to day 7w (tie: the earlier,
#   as follow_up.py picks the visit that satisfied the time point);
#   the rest are 'missing', never responders. responder_rate = responders / with a visit;
#   missing_share = missing / eligible; rate_low..rate_high its 95 % Wilson interval (intervals.py);
#   below_minimum when fewer than Settings.cohort_min_patients were seen. Patients with the window
#   closed but no baseline are counted (n_no_baseline) and left out; those with the window still
#   open are n_not_yet_due. Every cohort patient of a procedure is in exactly one of n_not_yet_due,
#   n_no_baseline, n_missing, n_responders, n_non_responders at each time point.
# - summary_figures, "failure to progress" at the 3-month time point (window end 7(13+3) = 112 days
#   by default): eligible as above; reached = a post-op visit up to the window end meets the MCID;
#   missing = no scored post-op visit up to the window end (neither failure nor success);
#   failure = the rest (seen, never met the MCID).

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from ..arrays import closest_in_range, empty_frame
from ..follow_up import window_days
from ..recovery import AsOf, index_surgeries, to_timestamp
from ..settings import DEFAULT_SETTINGS, FollowUpPoint, Settings
from .intervals import wilson_interval
from .outcomes import Patients, Scored, count_by, patients_of, procedure_order, scored_visits, status_for

COHORT_COLUMNS: dict[str, str] = {
    "patient_id": "int64",
    "surgery_id": "int64",
    "procedure": "object",
    "surgeon": "object",
    "index_surgery_date": "datetime64[ns]",
    "prior_surgeries": "int64",
    "days_since_surgery": "int64",
}
SURGERY_ORDERS = ("any", "first", "repeat")


def select_cohort(
    surgeries: pd.DataFrame,
    procedures: Sequence[str] = (),
    surgeons: Sequence[str] = (),
    date_from: date | None = None,
    date_to: date | None = None,
    surgery_order: str = "any",
    *,
    as_of: AsOf,
) -> pd.DataFrame:
    """The patients whose index surgery matches the filters (empty filter = all); COHORT_COLUMNS."""
    if surgery_order not in SURGERY_ORDERS:
        raise ValueError(f"surgery_order: {surgery_order!r} is not one of {', '.join(SURGERY_ORDERS)}")
    idx = index_surgeries(surgeries, DEFAULT_SETTINGS, to_timestamp(as_of))  # windows unused here
    if "surgeon" in surgeries:
        where = pd.Index(surgeries["surgery_id"]).get_indexer(idx["surgery_id"])
        surgeon = surgeries["surgeon"].to_numpy(dtype=object)[where]
    else:
        surgeon = np.full(len(idx), None, dtype=object)
    idx["surgeon"] = surgeon
    keep = np.ones(len(idx), dtype=bool)
    if len(procedures):
        keep &= idx["procedure"].isin(list(procedures)).to_numpy()
    if len(surgeons):
        keep &= idx["surgeon"].isin(list(surgeons)).to_numpy()
    if date_from is not None:
        keep &= (idx["index_surgery_date"] >= pd.Timestamp(date_from)).to_numpy()
    if date_to is not None:
        keep &= (idx["index_surgery_date"] <= pd.Timestamp(date_to)).to_numpy()
    if surgery_order != "any":
        keep &= (idx["prior_surgeries"] > 0).to_numpy() == (surgery_order == "repeat")
    out = idx.loc[keep, list(COHORT_COLUMNS)].reset_index(drop=True)
    return out.astype(COHORT_COLUMNS) if len(out) else empty_frame(COHORT_COLUMNS)


# --- Registry time points: responder rates ------------------------------------------------------

OUTCOMES: tuple[str, ...] = ("not_yet_due", "no_baseline", "missing", "responder", "non_responder")
_NOT_YET_DUE, _NO_BASELINE, _MISSING, _RESPONDER, _NON_RESPONDER = range(len(OUTCOMES))


def _window_days(point: FollowUpPoint, settings: Settings) -> tuple[int, int, int]:
    """(first day, due day, last day) of a time point's window, days after the index surgery: the
    follow-up schedule's own (follow_up.window_days)."""
    j = list(settings.follow_up_schedule).index(point)
    due, start, end = window_days(settings)
    return int(start[j]), int(due[j]), int(end[j])


def _judge(point: FollowUpPoint, p: Patients, scored: Scored, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Per patient: the outcome code at this time point and the row of the visit judged (-1: none)."""
    lo, due, hi = _window_days(point, settings)
    due_now = (p.days_since > hi) & (p.measure > 0)
    row = np.full(len(p), -1, dtype="int64")
    who = np.flatnonzero(due_now)  # only these are judged: fewer lookups
    if len(scored.day) and len(who):
        start, stop = scored.between(lo, hi, who)
        # the visit closest to the due day (tie: the earlier, as follow_up.py), -1: none in the window
        at_or_after_due = np.searchsorted(scored.key, who * scored.span + due, "left")
        row[who] = closest_in_range(scored.day, at_or_after_due, due, start, stop)
    met = np.zeros(len(p), dtype=bool)
    met[row >= 0] = scored.met[row[row >= 0]]
    outcome = np.select(
        [p.days_since <= hi, p.measure == 0, row < 0, met],
        [_NOT_YET_DUE, _NO_BASELINE, _MISSING, _RESPONDER],
        _NON_RESPONDER,
    )
    return outcome, row


def _prepare(
    surgeries: pd.DataFrame | None,
    visits: pd.DataFrame,
    cohort: pd.DataFrame,
    settings: Settings,
    as_of: AsOf,
    status: pd.DataFrame | None,
) -> tuple[Patients, Scored]:
    cutoff = to_timestamp(as_of)
    p = patients_of(status_for(surgeries, visits, cohort, settings, cutoff, status), settings)
    return p, scored_visits(visits, p, cutoff)


RATE_COLUMNS: dict[str, str] = {
    "procedure": "object",
    "time_point": "object",
    "weeks": "int64",
    "window_from_weeks": "int64",
    "window_to_weeks": "int64",
    "n_eligible": "int64",
    "n_with_visit": "int64",
    "n_missing": "int64",
    "n_responders": "int64",
    "n_non_responders": "int64",
    "responder_rate": "float64",  # responders / with a visit (NaN when none had a visit)
    "rate_low": "float64",  # 95 % Wilson interval of responder_rate (intervals.py); NaN as it is
    "rate_high": "float64",
    "below_minimum": "bool",  # n_with_visit < Settings.cohort_min_patients
    "missing_share": "float64",  # missing / eligible
    "n_no_baseline": "int64",
    "n_not_yet_due": "int64",
}


def responder_rates(
    surgeries: pd.DataFrame,
    visits: pd.DataFrame,
    cohort: pd.DataFrame,
    settings: Settings,
    as_of: AsOf,
    status: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per procedure and registry time point: eligible, seen, missing, responders, rates; RATE_COLUMNS."""
    if cohort.empty:
        return empty_frame(RATE_COLUMNS)
    p, scored = _prepare(surgeries, visits, cohort, settings, as_of, status)
    proc, order = procedure_order(p.procedure)
    k = len(order)
    frames = []
    for point in settings.follow_up_schedule:
        outcome, _ = _judge(point, p, scored, settings)
        n = {o: count_by(proc, outcome == i, k) for i, o in enumerate(OUTCOMES)}
        seen = n["responder"] + n["non_responder"]
        eligible = seen + n["missing"]
        low, high = wilson_interval(n["responder"], seen)
        with np.errstate(divide="ignore", invalid="ignore"):
            frames.append(
                pd.DataFrame(
                    {
                        "procedure": order,
                        "time_point": point.label,
                        "weeks": point.weeks,
                        "window_from_weeks": point.weeks - point.tolerance_weeks,
                        "window_to_weeks": point.weeks + point.tolerance_weeks,
                        "n_eligible": eligible,
                        "n_with_visit": seen,
                        "n_missing": n["missing"],
                        "n_responders": n["responder"],
                        "n_non_responders": n["non_responder"],
                        "responder_rate": np.where(seen > 0, n["responder"] / seen, np.nan),
                        "rate_low": low,
                        "rate_high": high,
                        "below_minimum": seen < settings.cohort_min_patients,
                        "missing_share": np.where(eligible > 0, n["missing"] / eligible, np.nan),
                        "n_no_baseline": n["no_baseline"],
                        "n_not_yet_due": n["not_yet_due"],
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    # procedure-major order, time points in schedule order
    out = out.sort_values("procedure", key=lambda s: s.map({c: i for i, c in enumerate(order)}), kind="stable")
    return out.reset_index(drop=True).astype(RATE_COLUMNS)


# --- Summary ------------------------------------------------------------------------------------

SUMMARY_COLUMNS: dict[str, str] = {
    "procedure": "object",  # a procedure code, or 'all'
    "n_patients": "int64",
    "n_flagged": "int64",
    "flagged_share": "float64",
    "n_persistent_pain": "int64",
    "persistent_pain_share": "float64",
    # failure to progress (ftp) at the time point named by ftp_time_point
    "ftp_time_point": "object",
    "ftp_window_end_weeks": "int64",
    "n_ftp_eligible": "int64",
    "n_ftp_reached": "int64",
    "n_ftp_failure": "int64",
    "n_ftp_missing": "int64",
    "ftp_failure_share": "float64",  # failure / eligible
    "ftp_missing_share": "float64",  # missing / eligible
    "ftp_failure_share_seen": "float64",  # failure / (eligible - missing)
    "n_ftp_no_baseline": "int64",  # window closed, no baseline: left out
}


def summary_figures(
    status: pd.DataFrame,
    flags: pd.DataFrame,
    cohort: pd.DataFrame,
    visits: pd.DataFrame,
    settings: Settings,
    as_of: AsOf,
    time_point: str = "3 months",
) -> pd.DataFrame:
    """Per procedure and for 'all': patients, share flagged, share PERSISTENT_PAIN, failure to progress."""
    points = {pt.label: pt for pt in settings.follow_up_schedule}
    if time_point not in points:
        raise ValueError(f"time_point: {time_point!r} is not in the follow-up schedule ({', '.join(points)})")
    point = points[time_point]
    if cohort.empty:
        return empty_frame(SUMMARY_COLUMNS)
    p, scored = _prepare(None, visits, cohort, settings, as_of, status)
    n = len(p)
    end = _window_days(point, settings)[2]
    first_seen = scored.first_day(np.ones(len(scored.day), dtype=bool), n)
    first_met = scored.first_day(scored.met, n)
    closed = p.days_since > end
    eligible = closed & (p.measure > 0)
    reached = eligible & (first_met >= 1) & (first_met <= end)
    missing = eligible & ((first_seen < 1) | (first_seen > end))
    failure = eligible & ~reached & ~missing
    flagged_ids = flags["patient_id"].to_numpy()
    persistent_ids = flags.loc[flags["code"] == "PERSISTENT_PAIN", "patient_id"].to_numpy()
    counts = {
        "n_patients": np.ones(n, dtype=bool),
        "n_flagged": np.isin(p.patient_id, flagged_ids),
        "n_persistent_pain": np.isin(p.patient_id, persistent_ids),
        "n_ftp_eligible": eligible,
        "n_ftp_reached": reached,
        "n_ftp_failure": failure,
        "n_ftp_missing": missing,
        "n_ftp_no_baseline": closed & (p.measure == 0),
    }
    proc, order = procedure_order(p.procedure)
    out = pd.DataFrame({name: np.append(count_by(proc, m, len(order)), m.sum()) for name, m in counts.items()})
    out.insert(0, "procedure", [*order, "all"])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = lambda a, b: np.where(out[b] > 0, out[a] / out[b], np.nan)  # noqa: E731
        out["flagged_share"] = share("n_flagged", "n_patients")
        out["persistent_pain_share"] = share("n_persistent_pain", "n_patients")
        out["ftp_failure_share"] = share("n_ftp_failure", "n_ftp_eligible")
        out["ftp_missing_share"] = share("n_ftp_missing", "n_ftp_eligible")
        seen = out["n_ftp_eligible"] - out["n_ftp_missing"]
        out["ftp_failure_share_seen"] = np.where(seen > 0, out["n_ftp_failure"] / seen, np.nan)
    out["ftp_time_point"] = point.label
    out["ftp_window_end_weeks"] = point.weeks + point.tolerance_weeks
    return out[list(SUMMARY_COLUMNS)].astype(SUMMARY_COLUMNS)
