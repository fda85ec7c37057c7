"""Whole-array helpers the rules share: days as integers, float noise, per-patient segments, empty frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

NS_PER_DAY = 86_400_000_000_000  # datetime64[ns] to whole days: integer division is cheaper than astype("M8[D]")

# Means and differences of decimal scores carry float noise (8.2 - 6.2 = 1.9999999999999991); rounding
# well below any score's precision, and above the noise, keeps a threshold from being decided by it.
NOISE_DECIMALS = 9


def without_noise(values):
    """values rounded to NOISE_DECIMALS, so float noise never decides a comparison."""
    return np.round(values, NOISE_DECIMALS)


def segment_starts(keys: np.ndarray) -> np.ndarray:
    """For rows sorted by a key (a patient), whether each row starts its key's segment."""
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    return starts


def segments(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows sorted by a key: each row's segment number and the last row of each segment."""
    new = segment_starts(keys)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:] - 1, len(keys) - 1) if len(keys) else starts
    return np.cumsum(new) - 1, ends


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    """A frame with no rows and the given column dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
