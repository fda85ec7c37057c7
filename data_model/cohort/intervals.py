"""Confidence intervals for the cohort's shares."""

# Wilson score interval (Wilson 1927; Newcombe 1998, method 3), 95 %: for x successes of n,
#   p = x / n, z = 1.959964 (the 97.5th normal percentile),
#   centre = (p + z^2 / 2n) / (1 + z^2 / n),
#   half width = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2).
# Unlike p ± z·sqrt(p(1-p)/n) it stays inside 0..1 and is not of width 0 at 0/n or n/n, so
# "0 % of 1" reads as 0 % to 79 %, not as a certain 0 %. n = 0 gives NaN for both ends.

from __future__ import annotations

import numpy as np

Z_95 = 1.959963984540054


def wilson_interval(successes: np.ndarray, n: np.ndarray, z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of the Wilson score interval per element, as shares 0..1; NaN where n is 0."""
    x = np.asarray(successes, dtype="float64")
    m = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / m
        denominator = 1 + z * z / m
        centre = (p + z * z / (2 * m)) / denominator
        half = z / denominator * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m))
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    empty = m <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)
