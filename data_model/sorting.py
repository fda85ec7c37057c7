"""Whether rows already sit in a wanted order: checked in one vectorised pass, so sorting can be skipped."""

from __future__ import annotations

import numpy as np


def in_order(*keys: np.ndarray) -> bool:
    """Whether rows are sorted by the keys (the first one primary), ties allowed."""
    ordered = np.ones(max(len(keys[0]) - 1, 0), dtype=bool)
    tied = np.ones_like(ordered)
    for key in keys:
        step = np.diff(key)
        ordered &= ~tied | (step >= 0)
        tied &= step == 0
    return bool(ordered.all())
