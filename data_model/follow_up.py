"""The registry follow-up schedule after each patient's index surgery: due dates, windows and what is overdue."""

# Per time point of Settings.follow_up_schedule (6 weeks ±2, 3 months = 13 weeks ±3, 12 months =
# 52 weeks ±6, 24 months = 104 weeks ±8 by default), counted from the index surgery (the latest on
# or before as_of; a revision restarts the schedule):
#   due_date = surgery + weeks; window = [due - tolerance, due + tolerance], both days included.
#   A visit satisfies it when it is dated inside the window, after the surgery day and on or before
#   as_of, and records anything (a score, a symptom or a dose). Of several, visit_date is the one
#   closest to the due date (ties: the earlier).
#   status, in this order:
#     'done'      a visit satisfied it;
#     'due'       the window is open on as_of (window_start <= as_of <= window_end);
#     'upcoming'  the window opens within follow_up_upcoming_days (14) of as_of ("due soon");
#     'overdue'   the window has closed (as_of > window_end) at most overdue_max_weeks (26) ago;
#     'missed'    it closed longer ago: ancient misses would only clutter the staff list;
#     'future'    later still.

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .arrays import closest_in_range, dates_of_days, days
from .recovery import AsOf, index_positions, index_surgeries, to_timestamp
from .settings import Settings

STATUSES: tuple[str, ...] = ("done", "due", "upcoming", "overdue", "missed", "future")
SCHEDULE_COLUMNS: dict[str, str] = {
    "patient_id": "int64",
    "time_point": "object",  # the schedule's label: '6 weeks', '3 months', ...
    "weeks": "int64",
    "due_date": "datetime64[ns]",
    "window_start": "datetime64[ns]",
    "window_end": "datetime64[ns]",
    "status": "object",
    "visit_date": "datetime64[ns]",  # the visit that satisfied it (NaT when none)
}
_MEASURES = ("back_pain", "leg_pain", "pain_unspecified", "odi", "numbness", "tingling", "weakness", "mme_per_day")


_STATUS_CODE = {name: i for i, name in enumerate(STATUSES)}
OVERDUE = _STATUS_CODE["overdue"]


class VisitIndex:
    """Visits sorted by (patient position, days since surgery), with each patient's slice, so that
    "the patient's visits between day a and day b" is a binary search in that slice, not a pass over
    every visit."""

    def __init__(self, visit_pos: np.ndarray, visit_since: np.ndarray, n_patients: int, presorted: bool = False):
        if not presorted:
            order = np.lexsort((visit_since, visit_pos))
            visit_pos, visit_since = visit_pos[order], visit_since[order]
        self.since = visit_since
        self.bounds = np.concatenate(([0], np.cumsum(np.bincount(visit_pos, minlength=n_patients))))

    def _search(self, pos: np.ndarray, value: np.ndarray, right: bool) -> np.ndarray:
        """Per query, the first index in the patient's slice whose days since surgery is >= value
        (> value when right): all queries bisect together, one step per halving of the slices."""
        low, high = self.bounds[pos], self.bounds[pos + 1]
        last = max(len(self.since) - 1, 0)
        while True:
            active = low < high
            if not active.any():
                return low
            mid = (low + high) // 2
            at = self.since[np.minimum(mid, last)] if len(self.since) else np.zeros_like(mid)
            go_right = active & ((at <= value) if right else (at < value))
            low = np.where(go_right, mid + 1, low)
            high = np.where(active & ~go_right, mid, high)

    def any_between(self, pos: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Per query, whether any visit has first <= days since surgery <= last (one search, not two)."""
        at = self._search(pos, first, right=False)
        inside = at < self.bounds[pos + 1]
        inside[inside] = self.since[at[inside]] <= last[inside]
        return inside

    def span(self, pos: np.ndarray, first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per query, the [begin, end) range of visits with first <= days since surgery <= last."""
        begin = self._search(pos, first, right=False)
        return begin, np.maximum(self._search(pos, last, right=True), begin)

    def closest(self, pos: np.ndarray, target: np.ndarray, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Per non-empty range, the days since surgery of its visit closest to target (ties: the earlier)."""
        at = self._search(pos, target, right=False)
        return self.since[closest_in_range(self.since, at, target, begin, end)]


def schedule_core(
    surgery_day: np.ndarray,
    visits: VisitIndex,
    settings: Settings,
    as_of_day: int,
    only: np.ndarray | None = None,
    which_visit: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Arrays [time point, patient position]: the status code (index into STATUSES) and the
    satisfying visit's days since surgery (meaningless where not done, or without which_visit).

    Per patient position its surgery day (days since 1970); `visits` holds the visits that count
    (on or before as_of, recording anything). `only` [time point, patient position] limits the
    visit look-ups to those pairs (others get their status from the dates alone, as if undone)."""
    n = len(surgery_day)
    due, start, end = window_days(settings)
    k = len(due)
    now = (as_of_day - surgery_day)[None, :]  # days since surgery on as_of
    done = np.zeros((k, n), dtype=bool)
    visit_since = np.zeros((k, n), dtype="int64")
    for j in range(k):
        who = np.arange(n) if only is None else np.flatnonzero(only[j])
        # a follow-up visit is after the surgery day, and on or before as_of
        first = np.full(len(who), max(start[j], 1))
        last = np.minimum(end[j], now[0, who])
        if not which_visit:
            done[j, who] = visits.any_between(who, first, last)
            continue
        begin, stop = visits.span(who, first, last)
        hit = stop > begin
        done[j, who[hit]] = True
        visit_since[j, who[hit]] = visits.closest(who[hit], np.full(int(hit.sum()), due[j]), begin[hit], stop[hit])
    start, end = start[:, None], end[:, None]
    status = np.select(
        [
            done,
            (now >= start) & (now <= end),
            (now < start) & (start - now <= settings.follow_up_upcoming_days),
            (now > end) & (now - end <= settings.overdue_max_weeks * 7),
            now > end,
        ],
        [_STATUS_CODE[c] for c in ("done", "due", "upcoming", "overdue", "missed")],
        _STATUS_CODE["future"],
    )
    return status, visit_since


def window_days(settings: Settings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per time point: due, window start and window end in days since surgery."""
    points = settings.follow_up_schedule
    due = np.array([p.weeks * 7 for p in points], dtype="int64")
    tol = np.array([p.tolerance_weeks * 7 for p in points], dtype="int64")
    return due, due - tol, due + tol


def _schedule_frame(
    patient_id: np.ndarray, surgery_day: np.ndarray, status: np.ndarray, visit_since: np.ndarray, settings: Settings
) -> pd.DataFrame:
    points = settings.follow_up_schedule
    k, n = status.shape
    due, start, end = window_days(settings)
    done = status.T.ravel() == _STATUS_CODE["done"]  # patient first, then time point
    base = np.repeat(surgery_day, k)
    frame = pd.DataFrame(
        {
            "patient_id": np.repeat(np.asarray(patient_id, dtype="int64"), k),
            "time_point": np.tile(np.array([p.label for p in points], dtype=object), n),
            "weeks": np.tile(np.array([p.weeks for p in points], dtype="int64"), n),
            "due_date": dates_of_days(base + np.tile(due, n)),
            "window_start": dates_of_days(base + np.tile(start, n)),
            "window_end": dates_of_days(base + np.tile(end, n)),
            "status": np.array(STATUSES, dtype=object)[status.T.ravel()],
            "visit_date": np.where(
                done, dates_of_days(base + np.where(done, visit_since.T.ravel(), 0)), np.datetime64("NaT", "ns")
            ),
        }
    )
    return frame.astype(SCHEDULE_COLUMNS)


def follow_up_schedule(
    index_status_or_surgeries: pd.DataFrame, visits: pd.DataFrame, settings: Settings, as_of: AsOf
) -> pd.DataFrame:
    """One row per patient with an index surgery x time point (SCHEDULE_COLUMNS), as of as_of.

    Pass the status / index-surgery frame (index_surgery_date) or the raw surgeries (surgery_date).
    """
    cutoff = to_timestamp(as_of)
    index = index_status_or_surgeries
    if "index_surgery_date" not in index.columns:
        index = index_surgeries(index_status_or_surgeries, settings, cutoff)
    if "surgery_known" in index.columns and not index["surgery_known"].all():
        # the schedule counts from the surgery: a patient without a recorded one has none (fbss.py)
        index = index[index["surgery_known"].to_numpy(bool)].reset_index(drop=True)
    surgery_day = days(index["index_surgery_date"].to_numpy())
    pos = index_positions(index, visits["patient_id"])
    vday = days(visits["visit_date"].to_numpy())
    recorded = visits.reindex(columns=list(_MEASURES)).notna().any(axis=1).to_numpy()
    as_of_day = int(days([cutoff.to_datetime64()])[0])
    keep = (pos >= 0) & (vday <= as_of_day) & recorded
    since = vday[keep] - surgery_day[pos[keep]]
    visit_index = VisitIndex(pos[keep], since, len(surgery_day))
    status, visit_since = schedule_core(surgery_day, visit_index, settings, as_of_day)
    return _schedule_frame(index["patient_id"].to_numpy("int64"), surgery_day, status, visit_since, settings)


_STAFF_ORDER = {"overdue": 0, "due": 1, "upcoming": 2, "future": 2}


def due_and_overdue(schedule: pd.DataFrame, as_of: AsOf, days_ahead: int = 7) -> pd.DataFrame:
    """For the staff page: time points overdue, or due this week (window open now, or opening within
    days_ahead), without a visit yet. Overdue first (longest closed first), then open windows (closing
    soonest first), then those about to open."""
    cutoff = to_timestamp(as_of)
    horizon = cutoff + pd.Timedelta(days=days_ahead)
    open_soon = schedule["status"].isin(["due", "upcoming", "future"]) & (schedule["window_start"] <= horizon)
    rows = schedule[(schedule["status"] == "overdue") | open_soon]
    rank = rows["status"].map(_STAFF_ORDER)
    when = rows["window_end"].where(rows["status"].isin(["overdue", "due"]), rows["window_start"])
    order = pd.DataFrame({"r": rank, "w": when, "p": rows["patient_id"], "k": rows["weeks"]})
    return rows.loc[order.sort_values(["r", "w", "p", "k"], kind="stable").index].reset_index(drop=True)


def time_point_name(label: str) -> str:
    """'3 months' -> '3-month follow-up' (any other label is kept as it is)."""
    match = re.fullmatch(r"(\d+)\s*(week|month|year)s?", label.strip())
    return f"{match[1]}-{match[2]} follow-up" if match else f"{label} follow-up"
