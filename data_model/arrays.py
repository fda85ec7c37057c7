"""Whole-array helpers the rules share: days as integers, float noise, per-patient segments, empty frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

NS_PER_DAY = 86_400_000_000_000  # datetime64[ns] to whole days: integer division is cheaper than astype("M8[D]")
NO_DAY = np.iinfo("int64").min  # "no date" in day arrays (NaT's bit pattern)

# Means and differences of decimal scores carry float noise (8.2 - 6.2 = 1.9999999999999991); rounding
# well below any score's precision, and above the noise, keeps a threshold from being decided by it.
NOISE_DECIMALS = 9


def days(values) -> np.ndarray:
    """Dates as whole days since 1970 (int64); NaT becomes NO_DAY."""
    ns = np.asarray(values, dtype="datetime64[ns]").view("int64")
    out = ns // NS_PER_DAY  # integer arithmetic: several times faster than astype("datetime64[D]")
    out[ns == NO_DAY] = NO_DAY
    return out


def dates_of_days(day_numbers: np.ndarray) -> np.ndarray:
    """Whole days since 1970 back to datetime64[ns]."""
    return np.asarray(day_numbers, dtype="int64").astype("datetime64[D]").astype("datetime64[ns]")


def without_noise(values):
    """values rounded to NOISE_DECIMALS, so float noise never decides a comparison."""
    return np.round(values, NOISE_DECIMALS)


def segment_starts(keys: np.ndarray) -> np.ndarray:
    """For rows sorted by a key (a patient), whether each row starts its key's segment."""
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    return starts


def segment_ends(keys: np.ndarray) -> np.ndarray:
    """For rows sorted by a key (a patient), whether each row ends its key's segment."""
    ends = np.ones(len(keys), dtype=bool)
    ends[:-1] = keys[1:] != keys[:-1]
    return ends


def segments(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows sorted by a key: each row's segment number and the last row of each segment."""
    new = segment_starts(keys)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:] - 1, len(keys) - 1) if len(keys) else starts
    return np.cumsum(new) - 1, ends


def closest_in_range(
    values: np.ndarray,
    first_at_or_after: np.ndarray,
    target: np.ndarray | int,
    begin: np.ndarray,
    end: np.ndarray,
) -> np.ndarray:
    """Per query, the row in [begin, end) of ascending `values` closest to target (ties: the earlier), -1
    where the range is empty. first_at_or_after is the query's first row whose value is >= target (a
    binary search the caller has made): the closest row is it or the one before it."""
    later = np.clip(first_at_or_after, begin, end)
    earlier = later - 1
    far = np.iinfo("int64").max
    last = max(len(values) - 1, 0)
    to_later = np.where(later < end, values[np.minimum(later, last)] - target, far)
    to_earlier = np.where(earlier >= begin, target - values[np.maximum(earlier, 0)], far)
    chosen = np.where(to_later < to_earlier, later, earlier)
    chosen[(later >= end) & (earlier < begin)] = -1
    return chosen


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    """A frame with no rows and the given column dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
