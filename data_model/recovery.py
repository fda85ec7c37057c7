"""Where each patient stands after the index surgery: weeks, baseline, current pain, MCID, PASS."""

# The clinical rules, as decided (DESIGN.md "The clinical model"); every number comes from Settings.
#
# - Index surgery: the most recent surgery on or before as_of (ties on a date: the higher
#   surgery_id); a revision restarts the clock. prior_surgeries counts the surgeries before it.
#   Patients without a surgery get no status row. Rows dated after as_of are ignored everywhere.
# - days_since_surgery = (as_of - index date).days; the window (Settings.window_for(procedure))
#   has ended when days_since_surgery >= window_weeks * 7.
# - Per visit, pain = the worse of back, leg and unspecified pain (NaN ignored).
# - Baseline per site (back, leg, unspecified, ODI): the last non-null score on a visit dated on or
#   before the surgery date and at most baseline_lookback_days before it. Missing stays missing.
# - Post-op visits are dated after the surgery date. Visits without any pain or ODI score (only a
#   dose or a symptom) are left out of current pain, so they cannot push real scores out of the
#   "recent" set; last_visit_date is the latest *scored* post-op visit.
# - Current pain: post-op visits within recent_visit_days of the latest one, at most
#   recent_visit_max of them, narrowed twice:
#   - when the latest visit is on or after the window end, only visits on or after the window end
#     count: an early post-op score must never be averaged into pain "persisting past the window";
#   - a treatment started after the surgery and strictly before the latest visit narrows them to
#     the visits strictly after the latest such start (a visit on the day a treatment starts is the
#     pre-procedure score; a treatment started on the latest visit's day has no evidence yet).
#   Each site is the mean of its scores over those visits, so one score decides alone only when it
#   is the only recent one.
#   current_pain is the worse site; current_site names it (ties: leg, then back, then 'pain').
# - Evidence past the window: the latest scored post-op visit is on or after the window end.
# - MCID measure, first that applies: (1) back or leg, among the sites with both a baseline and a
#   current mean: the higher baseline, then the higher current, then leg; (2) 'pain': the worse
#   baseline of any site against current_pain (covers an EHR score with no body site on either
#   side); (3) ODI; otherwise unknown (mcid_met is <NA>). change_points = baseline - current
#   (positive = better); change_percent is NaN when the baseline is 0. mcid_met = points or
#   percent reach the NRS (or ODI) thresholds.
# - PASS (acceptable symptom state): each measure scored on the recent visits is within its limit,
#   current_pain <= acceptable_pain_max and current_odi <= acceptable_odi_max (both when both were scored,
#   either alone when only one was); <NA> when neither was. Success is the MCID or PASS.
# - Post-laminectomy syndrome (FBSS) and no surgery on or before as_of (fbss.py, issue 14): given the
#   diagnoses, such a patient gets a row too, past every window (window_weeks 0), surgery_known False,
#   procedure fbss.PROCEDURE, weeks since surgery unknown (NaN); index_surgery_date holds the clock's
#   start, the day before the first visit, so every visit is evidence after surgery; the first visit
#   is the baseline, and the MCID stays unknown until a later visit exists.

from __future__ import annotations

from datetime import date, datetime
from typing import TypeAlias

import numpy as np
import pandas as pd

from . import fbss
from .arrays import NS_PER_DAY, empty_frame, segment_ends, segment_starts, segments, without_noise
from .settings import Settings
from .sorting import in_order

PAIN_COLUMNS = ("back_pain", "leg_pain", "pain_unspecified")
SCORE_COLUMNS = (*PAIN_COLUMNS, "odi")
_SITE_OF = {"back_pain": "back", "leg_pain": "leg", "pain_unspecified": "unspecified", "odi": "odi"}

STATUS_COLUMNS: dict[str, str] = {
    # the index surgery and the clock
    "patient_id": "int64",
    "surgery_id": "int64",
    "procedure": "object",
    "index_surgery_date": "datetime64[ns]",
    "prior_surgeries": "int64",
    "days_since_surgery": "int64",
    "weeks_since_surgery": "float64",
    "window_weeks": "int64",
    "window_end_date": "datetime64[ns]",
    "window_ended": "bool",
    # False: no surgery recorded, post-laminectomy syndrome diagnosed (fbss.py); diagnosed_on its date
    "surgery_known": "bool",
    "diagnosed_on": "datetime64[ns]",
    # baseline per site; baseline_date is the date of the baseline the MCID compared
    "baseline_back": "float64",
    "baseline_leg": "float64",
    "baseline_unspecified": "float64",
    "baseline_odi": "float64",
    "baseline_date": "datetime64[ns]",
    # current: per-site means over the recent visits, and how many visits each mean has
    "current_back": "float64",
    "current_leg": "float64",
    "current_unspecified": "float64",
    "current_odi": "float64",
    "current_back_visits": "int64",
    "current_leg_visits": "int64",
    "current_unspecified_visits": "int64",
    "current_odi_visits": "int64",
    "current_pain": "float64",
    "current_site": "object",  # 'back' | 'leg' | 'pain' | None
    "current_visits": "int64",
    "last_visit_date": "datetime64[ns]",
    "last_visit_week": "float64",
    "evidence_past_window": "bool",
    # MCID: measure 'back' | 'leg' | 'pain' | 'odi' | None; mcid_met <NA> when unknown
    "mcid_measure": "object",
    "mcid_baseline": "float64",
    "mcid_current": "float64",
    "mcid_visits": "int64",
    "change_points": "float64",
    "change_percent": "float64",
    "mcid_met": "boolean",
    # PASS (acceptable symptom state): <NA> when neither pain nor ODI was scored recently
    "pass_met": "boolean",
}


AsOf: TypeAlias = date | datetime | str | pd.Timestamp


def to_timestamp(as_of: AsOf) -> pd.Timestamp:
    """as_of as a midnight Timestamp, so that a visit dated as_of counts."""
    return pd.Timestamp(as_of).normalize()


def visit_pain(visits: pd.DataFrame) -> pd.Series:
    """Per visit, the worse of back, leg and unspecified pain (NaN when none was recorded)."""
    return visits[list(PAIN_COLUMNS)].max(axis=1)


def mcid_target(baseline: float | pd.Series, settings: Settings, odi: bool = False):
    """The score at or below which the improvement counts as meaningful (either criterion suffices)."""
    points = settings.mcid_odi_points if odi else settings.mcid_nrs_points
    percent = settings.mcid_odi_percent if odi else settings.mcid_nrs_percent
    return np.maximum(baseline - points, baseline * (1 - percent / 100))


def index_surgeries(surgeries: pd.DataFrame, settings: Settings, as_of: AsOf) -> pd.DataFrame:
    """One row per patient: the index surgery, prior surgeries, weeks since and the recovery window."""
    cutoff = to_timestamp(as_of)
    s = surgeries[surgeries["surgery_date"] <= cutoff]
    pid = s["patient_id"].to_numpy("int64")
    when = s["surgery_date"].to_numpy("datetime64[ns]")
    sid = s["surgery_id"].to_numpy("int64")
    # queries deliver (patient, date, id) order; sort only when they did not
    order = np.arange(len(pid)) if in_order(pid, when.view("int64"), sid) else np.lexsort((sid, when, pid))
    _, ends = segments(pid[order])
    starts = np.append(0, ends[:-1] + 1) if len(ends) else ends
    index = order[ends]  # each patient's latest surgery (ties on a day: the higher surgery_id)
    date_ = when[index]
    days = ((cutoff.to_datetime64() - date_) // np.timedelta64(1, "D")).astype("int64")
    procedure = s["procedure"].to_numpy(dtype=object)[index]
    # window_for once per distinct procedure, not per row; unknown codes get the 'other' window
    windows = {p: settings.window_for(p) for p in pd.unique(procedure)}
    window = pd.Series(procedure).map(windows).to_numpy("int64")
    return pd.DataFrame(
        {
            "patient_id": pid[index],
            "surgery_id": s["surgery_id"].to_numpy("int64")[index],
            "procedure": procedure,
            "index_surgery_date": date_,
            "prior_surgeries": (ends - starts).astype("int64"),
            "days_since_surgery": days,
            "weeks_since_surgery": days / 7.0,
            "window_weeks": window,
            "window_end_date": date_ + (window * 7).astype("timedelta64[D]"),
            "window_ended": days >= window * 7,
            "surgery_known": np.ones(len(index), dtype=bool),
            "diagnosed_on": np.full(len(index), np.datetime64("NaT"), dtype="datetime64[ns]"),
        },
        copy=False,
    )


def with_unknown_surgeries(
    index: pd.DataFrame, diagnoses: pd.DataFrame | None, visits: pd.DataFrame, cutoff: pd.Timestamp
) -> pd.DataFrame:
    """index plus a row per patient with post-laminectomy syndrome and no surgery (fbss.py), in patient order."""
    unknown = fbss.unknown_surgery_index(index["patient_id"].to_numpy("int64"), diagnoses, visits, cutoff)
    if unknown is None:
        return index
    start = unknown["clock_start"].to_numpy("datetime64[ns]")
    n = len(unknown)
    rows = pd.DataFrame(
        {
            "patient_id": unknown["patient_id"].to_numpy("int64"),
            "surgery_id": np.full(n, -1, dtype="int64"),  # no surgery row
            "procedure": np.full(n, fbss.PROCEDURE, dtype=object),
            "index_surgery_date": start,
            "prior_surgeries": np.zeros(n, dtype="int64"),
            "days_since_surgery": ((cutoff.to_datetime64() - start) // np.timedelta64(1, "D")).astype("int64"),
            "weeks_since_surgery": np.full(n, np.nan),  # unknown: the worklist shows "–"
            "window_weeks": np.zeros(n, dtype="int64"),  # past every window
            "window_end_date": start,
            "window_ended": np.ones(n, dtype=bool),
            "surgery_known": np.zeros(n, dtype=bool),
            "diagnosed_on": unknown["diagnosed_on"].to_numpy("datetime64[ns]"),
        },
        copy=False,
    )
    both = pd.concat([index, rows], ignore_index=True) if len(index) else rows
    order = np.argsort(both["patient_id"].to_numpy("int64"), kind="stable")
    return both.iloc[order].reset_index(drop=True)


def visit_order(pos: np.ndarray, day: np.ndarray, visit_id: np.ndarray) -> np.ndarray | None:
    """Row order by (patient position, day, visit id), the order the rules read visits in (ties by id
    for stability); None when the rows are in that order already, as queries deliver them."""
    n = len(pos)
    if in_order(pos, day, visit_id):
        return None
    # patient positions follow patient_id order, so ordering by position orders by patient
    key = pos.astype("int64") * (int(day.max() - day.min()) + 1) + (day - day.min())
    if int(key.max()) >= np.iinfo("int64").max // n:
        return np.lexsort((visit_id, day, pos))  # keys too wide to pack: the slow, general sort
    # Packing the id's rank into the key makes every key unique, so the fast (unstable) sort
    # gives the one right order; a 3-column lexsort is several times slower on 2M rows.
    if np.all(np.diff(visit_id) >= 0):
        id_rank = np.arange(n)
    else:
        id_rank = np.empty(n, dtype="int64")
        id_rank[np.argsort(visit_id)] = np.arange(n)
    return np.argsort(key * n + id_rank)


def _sorted(visits: pd.DataFrame, rows: np.ndarray, pos: np.ndarray, vd: np.ndarray) -> np.ndarray:
    """The given visit rows in (patient, date, id) order."""
    day = vd[rows].view("int64") // NS_PER_DAY  # integer days: cheaper than astype("datetime64[D]")
    order = visit_order(pos[rows], day, visits["visit_id"].to_numpy()[rows])
    return rows if order is None else rows[order]


def _subset(visits: pd.DataFrame, rows: np.ndarray, pos: np.ndarray, vd: np.ndarray) -> pd.DataFrame:
    """The given visit rows (already in order) as a small frame, with patient positions."""
    columns = {c: visits[c].to_numpy()[rows] for c in ("patient_id", "visit_id", *SCORE_COLUMNS)}
    return pd.DataFrame(columns | {"visit_date": vd[rows], "_pos": pos[rows]}, copy=False)


def visit_sets(
    visits: pd.DataFrame, index: pd.DataFrame, treatments: pd.DataFrame, settings: Settings, cutoff: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(baseline-window visits, the recent post-op visits current pain is the mean of), sorted.

    Only these two small subsets are ever sorted: sorting all visits costs more than every rule.
    """
    vd = visits["visit_date"].to_numpy(dtype="datetime64[ns]")
    pos = index_positions(index, visits["patient_id"])
    surgery_by_pos = index["index_surgery_date"].to_numpy(dtype="datetime64[ns]")
    sd = surgery_by_pos[pos]  # pos -1 picks some date, but those rows fail `known` below
    known = (pos >= 0) & (vd <= cutoff.to_datetime64())
    lookback = np.timedelta64(settings.baseline_lookback_days, "D")
    # without a recorded surgery the clock starts the day before the first visit: that visit is the baseline
    known_by_pos = index["surgery_known"].to_numpy(bool)
    until = sd if known_by_pos.all() else sd + (~known_by_pos[pos]).astype("timedelta64[D]")
    pre_rows = np.flatnonzero(known & (vd <= until) & (vd >= sd - lookback))
    # a visit holding only a dose or a symptom says nothing about pain: it must not count as the
    # latest visit nor push real scores out of the recent set
    scored = ~np.logical_and.reduce([np.isnan(visits[c].to_numpy("float64")) for c in SCORE_COLUMNS])
    post_rows = np.flatnonzero(known & (vd > sd) & scored)
    p, d = pos[post_rows], vd[post_rows]
    nat = np.iinfo("int64").min  # NaT's bit pattern, and below every date: a neutral start for max
    last_by_pos = np.full(len(index), nat)
    np.maximum.at(last_by_pos, p, d.view("int64"))
    last_by_pos = last_by_pos.view("datetime64[ns]")
    # the latest treatment started after the surgery and strictly before the latest visit: the
    # scores strictly after it show how the patient is doing now
    tpos = index_positions(index, treatments["patient_id"])
    start = treatments["start_date"].to_numpy(dtype="datetime64[ns]")
    ok = tpos >= 0
    ok[ok] = (start[ok] > surgery_by_pos[tpos[ok]]) & (start[ok] < last_by_pos[tpos[ok]])
    started_by_pos = np.full(len(index), nat)
    np.maximum.at(started_by_pos, tpos[ok], start[ok].view("int64"))
    started = started_by_pos.view("datetime64[ns]")[p]
    last = last_by_pos[p]
    window_end = index["window_end_date"].to_numpy(dtype="datetime64[ns]")[p]
    # comparisons with NaT are False, so a patient without such a treatment keeps every visit
    keep = d >= last - np.timedelta64(settings.recent_visit_days, "D")
    keep &= ~(d <= started)
    keep &= ~((last >= window_end) & (d < window_end))  # evidence past the window: only from past it
    recent = _sorted(visits, post_rows[keep], pos, vd)
    seg, ends = segments(pos[recent])
    newest_first = ends[seg] - np.arange(len(recent))
    recent = recent[newest_first < settings.recent_visit_max]
    return _subset(visits, _sorted(visits, pre_rows, pos, vd), pos, vd), _subset(visits, recent, pos, vd)


def _baselines(pre: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
    """Per patient position, the last non-null pre-op score of each site in the lookback, and its date
    (the date of each site's own baseline, so baseline_date can name the one the MCID used)."""
    pos = pre["_pos"].to_numpy()
    dates = pre["visit_date"].to_numpy("datetime64[ns]")
    out: dict[str, np.ndarray] = {}
    for col in SCORE_COLUMNS:
        values = pre[col].to_numpy("float64")
        rows = np.flatnonzero(~np.isnan(values))
        # rows are in (patient, date, id) order: a patient's last non-null row is the baseline
        last = rows[segment_ends(pos[rows])]
        baseline, when = np.full(n, np.nan), np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        baseline[pos[last]], when[pos[last]] = values[last], dates[last]
        out[f"baseline_{_SITE_OF[col]}"], out[f"{col}_date"] = baseline, when
    return out


def index_positions(index: pd.DataFrame, patient_ids: pd.Series) -> np.ndarray:
    """Row position of each patient in the index-surgery frame, -1 for patients without one."""
    ids = np.asarray(patient_ids)
    if len(ids) > 1000:
        starts = np.flatnonzero(segment_starts(ids))
        if len(starts) * 4 < len(ids):
            # rows come in runs per patient (queries order by patient): look each run up once
            return np.repeat(pd.Index(index["patient_id"]).get_indexer(ids[starts]), np.diff(np.r_[starts, len(ids)]))
    return pd.Index(index["patient_id"]).get_indexer(ids)


def _current(recent: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
    """Per patient position: mean and count of each site over the recent visits, latest visit date."""
    pos = recent["_pos"].to_numpy()
    starts = np.flatnonzero(segment_starts(pos))
    ends, who = np.append(starts[1:], len(pos))[: len(starts)], pos[starts]
    out: dict[str, np.ndarray] = {}
    for c in SCORE_COLUMNS:
        values = recent[c].to_numpy("float64")
        has = ~np.isnan(values)
        count, total = np.zeros(n, dtype="int64"), np.zeros(n)
        if len(starts):  # sums over each patient's run of rows
            count[who] = np.add.reduceat(has.astype("int64"), starts)
            total[who] = np.add.reduceat(np.where(has, values, 0.0), starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"current_{_SITE_OF[c]}"] = without_noise(total / count)  # no score: 0/0 is NaN
        out[f"current_{_SITE_OF[c]}_visits"] = count
    visits, last = np.zeros(n, dtype="int64"), np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    # rows are in (patient, date, id) order: a patient's last row is the latest visit
    visits[who], last[who] = ends - starts, recent["visit_date"].to_numpy("datetime64[ns]")[ends - 1]
    return out | {"current_visits": visits, "last_visit_date": last}


def _mcid(a: dict[str, np.ndarray], settings: Settings) -> dict[str, object]:
    """The MCID measure, its baseline and current value, the change and the verdict (rules above)."""
    bb, bl, bo = a["baseline_back"], a["baseline_leg"], a["baseline_odi"]
    cb, cl, co, cp = a["current_back"], a["current_leg"], a["current_odi"], a["current_pain"]
    back_ok = ~np.isnan(bb) & ~np.isnan(cb)
    leg_ok = ~np.isnan(bl) & ~np.isnan(cl)
    leg = leg_ok & (~back_ok | (bl > bb) | ((bl == bb) & (cl >= cb)))
    back = back_ok & ~leg
    pain_baselines = np.column_stack([bb, bl, a["baseline_unspecified"]])
    has_pain_baseline = ~np.isnan(pain_baselines).all(axis=1)
    worst_baseline = np.fmax.reduce(pain_baselines, axis=1)  # fmax ignores NaN
    overall = ~leg & ~back & has_pain_baseline & ~np.isnan(cp)
    odi = ~leg & ~back & ~overall & ~np.isnan(bo) & ~np.isnan(co)
    conditions = [leg, back, overall, odi]
    baseline = np.select(conditions, [bl, bb, worst_baseline, bo], np.nan)
    current = np.select(conditions, [cl, cb, cp, co], np.nan)
    site = a["_site"]  # 1 leg, 2 back, 3 'pain', 0 none
    site_visits = np.select(
        [site == 2, site == 1, site == 3],
        [a[f"current_{s}_visits"] for s in ("back", "leg", "unspecified")],
        0,
    )
    visits = [a["current_leg_visits"], a["current_back_visits"], site_visits, a["current_odi_visits"]]
    change = without_noise(baseline - current)
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = without_noise(np.where(baseline > 0, 100 * change / baseline, np.nan))
    points_needed = np.where(odi, settings.mcid_odi_points, settings.mcid_nrs_points)
    percent_needed = np.where(odi, settings.mcid_odi_percent, settings.mcid_nrs_percent)
    met = (change >= points_needed) | (percent >= percent_needed)
    # baseline_date is the date of the baseline compared; for 'pain' the latest pain baseline date
    pain_date = np.max(np.column_stack([a[f"{c}_date"] for c in PAIN_COLUMNS]).view("int64"), axis=1)
    date_choices = [a["leg_pain_date"], a["back_pain_date"], pain_date.view("datetime64[ns]"), a["odi_date"]]
    measure = np.select(conditions, [1, 2, 3, 4], 0)
    return {
        "mcid_measure": np.array([None, "leg", "back", "pain", "odi"], dtype=object)[measure],
        "mcid_baseline": baseline,
        "mcid_current": current,
        "mcid_visits": np.select(conditions, visits, 0).astype("int64"),
        "change_points": change,
        "change_percent": percent,
        # no baseline to compare with: unknown (<NA>), never False
        "mcid_met": pd.arrays.BooleanArray(met, np.isnan(change)),
        "baseline_date": np.select(conditions, date_choices, np.datetime64("NaT", "ns")),
    }


def acceptable_state(pain: np.ndarray, odi: np.ndarray, settings: Settings) -> pd.arrays.BooleanArray:
    """PASS per patient: every measure scored now within its limit; <NA> when none was scored."""
    pain, odi = np.asarray(pain, dtype="float64"), np.asarray(odi, dtype="float64")
    pain_ok = np.isnan(pain) | (without_noise(pain) <= settings.acceptable_pain_max)
    odi_ok = np.isnan(odi) | (without_noise(odi) <= settings.acceptable_odi_max)
    return pd.arrays.BooleanArray(pain_ok & odi_ok, np.isnan(pain) & np.isnan(odi))


def empty_status() -> pd.DataFrame:
    return empty_frame(STATUS_COLUMNS)


def patient_status(
    surgeries: pd.DataFrame,
    visits: pd.DataFrame,
    treatments: pd.DataFrame,
    settings: Settings,
    as_of: AsOf,
    diagnoses: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per patient with an index surgery on or before as_of, or, given diagnoses
    (fbss.diagnoses_of), with post-laminectomy syndrome and no surgery; columns STATUS_COLUMNS."""
    cutoff = to_timestamp(as_of)
    st = with_unknown_surgeries(index_surgeries(surgeries, settings, cutoff), diagnoses, visits, cutoff)
    if st.empty:
        return empty_status()
    pre, recent = visit_sets(visits, st, treatments, settings, cutoff)
    n = len(st)
    a: dict = {c: st[c].to_numpy() for c in st.columns}
    a |= _baselines(pre, n) | _current(recent, n)
    leg, back, unspecified = a["current_leg"], a["current_back"], a["current_unspecified"]
    a["current_pain"] = np.fmax(np.fmax(leg, back), unspecified)  # fmax ignores NaN
    # np.select takes the first match, which gives the documented tie order leg > back > pain
    a["_site"] = np.select(
        [leg == a["current_pain"], back == a["current_pain"], unspecified == a["current_pain"]], [1, 2, 3], 0
    )
    a["current_site"] = np.array([None, "leg", "back", "pain"], dtype=object)[a["_site"]]
    a["last_visit_week"] = (a["last_visit_date"] - a["index_surgery_date"]) / np.timedelta64(7, "D")
    a["evidence_past_window"] = a["last_visit_date"] >= a["window_end_date"]  # NaT: False
    a |= _mcid(a, settings)
    unknown = ~a["surgery_known"]
    if unknown.any():
        a["last_visit_week"] = np.where(unknown, np.nan, a["last_visit_week"])
        # the first visit is the baseline: with no later visit there is nothing to compare it with
        alone = unknown & ~(a["last_visit_date"] > a["baseline_date"])
        a["mcid_met"] = pd.arrays.BooleanArray(
            a["mcid_met"].to_numpy(bool, na_value=False), a["mcid_met"].isna() | alone
        )
    a["pass_met"] = acceptable_state(a["current_pain"], a["current_odi"], settings)
    return pd.DataFrame({c: a[c] for c in STATUS_COLUMNS}, copy=False)
