"""95 % Wilson intervals of a share, against values computed by hand.

For x of n, z = 1.96: centre = (p + z²/2n) / (1 + z²/n), half = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²).
  8 of 10: centre (0.8 + 0.19207) / 1.38415 = 0.71674, half 1.41600 · 0.16001 = 0.22658 -> 0.490 to 0.943
  0 of 1:  centre 1.92073 / 4.84146 = 0.39672, half 0.40482 · 0.97999 = 0.39672 -> 0.000 to 0.793
  1 of 1:  the mirror image -> 0.207 to 1.000
  50 of 100: centre 0.5, half 1.95996 / 1.03841 · 0.05096 = 0.09617 -> 0.404 to 0.596
"""

from __future__ import annotations

import numpy as np
import pytest

from data_model.cohort.intervals import wilson_interval


@pytest.mark.parametrize(
    "x, n, low, high",
    [(8, 10, 0.490, 0.943), (0, 1, 0.000, 0.793), (1, 1, 0.207, 1.000), (50, 100, 0.404, 0.596)],
)
def test_the_wilson_interval_matches_the_hand_computation(x, n, low, high):
    lo, hi = wilson_interval(np.array([x]), np.array([n]))
    assert (round(float(lo[0]), 3), round(float(hi[0]), 3)) == (low, high)


def test_nobody_seen_gives_no_interval():
    lo, hi = wilson_interval(np.array([0, 8]), np.array([0, 10]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    assert round(float(lo[1]), 3) == 0.490
