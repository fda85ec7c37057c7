"""Every patient's visits up to as_of, once, in (patient, date, id) order, for the rules that read sequences."""

# The status frame has one row per patient with an index surgery (its "position"); visits of other
# patients and visits after as_of are dropped. Rows are ordered by position, date, visit id, so each
# patient's visits form one contiguous segment in time order and "latest" / "previous" are index
# arithmetic. Queries already deliver this order, in which case nothing is sorted or copied.
# Columns are taken lazily: a rule pays only for what it reads.

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from ..arrays import days, segment_ends
from ..follow_up import VisitIndex
from ..recovery import PAIN_COLUMNS, SCORE_COLUMNS, index_positions, visit_order

MEASURE_COLUMNS = (*SCORE_COLUMNS, "numbness", "tingling", "weakness", "mme_per_day")


def iso(day_numbers: np.ndarray) -> np.ndarray:
    """Whole days since 1970 as 'YYYY-MM-DD' text (object array), each distinct day formatted once."""
    if len(day_numbers) == 0:
        return np.array([], dtype=object)
    distinct, spread = np.unique(np.asarray(day_numbers, dtype="int64"), return_inverse=True)
    return np.datetime_as_string(distinct.astype("datetime64[D]")).astype(object)[spread.reshape(-1)]


class Timeline:
    """Sorted visit arrays for the patients of `status` (see module comment)."""

    def __init__(self, status: pd.DataFrame, visits: pd.DataFrame, as_of: pd.Timestamp) -> None:
        self.n_patients = len(status)
        self.as_of_day = int(days([as_of.to_datetime64()])[0])
        self._visits = visits
        pos = index_positions(status, visits["patient_id"])
        vday = days(visits["visit_date"].to_numpy())
        keep = (pos >= 0) & (vday <= self.as_of_day)
        rows = None if keep.all() else np.flatnonzero(keep)
        ids = visits["visit_id"].to_numpy()
        if rows is None:
            order = visit_order(pos, vday, ids)
            rows = order  # None: already in order
        else:
            order = visit_order(pos[rows], vday[rows], ids[rows])
            if order is not None:
                rows = rows[order]
        self._rows = rows
        self.pos = pos if rows is None else pos[rows]
        self.day = vday if rows is None else vday[rows]
        self.surgery_day = days(status["index_surgery_date"].to_numpy())
        self.since = self.day - self.surgery_day[self.pos]  # days from the index surgery
        self.post = self.since > 0

    def column(self, name: str) -> np.ndarray:
        """A visit column as float64 in timeline order."""
        values = self._visits[name].to_numpy("float64")
        return values if self._rows is None else values[self._rows]

    @cached_property
    def pain(self) -> np.ndarray:
        """Per visit, the worse of back, leg and unspecified pain (NaN when none was recorded)."""
        back, leg, unspecified = (self.column(c) for c in PAIN_COLUMNS)
        return np.fmax(np.fmax(back, leg), unspecified)

    @cached_property
    def post_pain(self) -> np.ndarray:
        """Post-op visits with a pain score."""
        return self.post & ~np.isnan(self.pain)

    @cached_property
    def recorded(self) -> np.ndarray:
        """Visits with any score, symptom or dose recorded (validation makes that every visit)."""
        recorded = ~np.isnan(self.pain)
        for c in MEASURE_COLUMNS:
            if c not in PAIN_COLUMNS:
                recorded |= ~np.isnan(self.column(c))
        return recorded

    @cached_property
    def visit_index(self) -> VisitIndex:
        """The visits that record anything, for range look-ups by days since surgery."""
        rows = None if self.recorded.all() else np.flatnonzero(self.recorded)
        pos = self.pos if rows is None else self.pos[rows]
        since = self.since if rows is None else self.since[rows]
        return VisitIndex(pos, since, self.n_patients, presorted=True)  # (patient, date) order: by days since

    def latest(self, mask: np.ndarray, count: int = 1) -> np.ndarray:
        """Array [j, patient position]: the timeline row of the (j+1)-th latest row where mask holds
        (-1: the patient has fewer). One pass over the mask whatever the count."""
        rows = np.flatnonzero(mask)
        out = np.full((count, self.n_patients), -1, dtype="int64")
        if len(rows) == 0:
            return out
        p = self.pos[rows]
        ends = np.flatnonzero(segment_ends(p))
        starts = np.append(0, ends[:-1] + 1)
        for j in range(count):
            ok = ends - j >= starts
            out[j, p[ends[ok]]] = rows[ends[ok] - j]
        return out


def take(values: np.ndarray, rows: np.ndarray, fill=np.nan) -> np.ndarray:
    """values[rows] with `fill` where rows is -1 (the "none" of Timeline.latest and Timeline.first)."""
    if len(values) == 0:
        return np.full(rows.shape, fill, dtype=values.dtype)
    out = values[np.maximum(rows, 0)]  # fancy indexing: a copy, safe to write
    out[rows < 0] = fill
    return out
