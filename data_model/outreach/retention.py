"""Per follow-up time point: of the patients whose window has closed, the share seen and the share lost to
follow-up, and why (declined, or unreachable after the set number of attempts)."""

# Denominator: the patients (one index surgery each) whose time point's window closed before as_of, so a
# share never counts patients who still have time. Seen: a visit in the window (the schedule's 'done').
# Lost: not seen, and the time point's contact log ends declined or unreachable (states.py). The rest are
# not seen with no outcome yet (never contacted, or still being tried).

from __future__ import annotations

import numpy as np
import pandas as pd

from .states import KEY

RETENTION_COLUMNS = [
    "time_point",
    "weeks",
    "eligible",
    "seen",
    "lost",
    "declined",
    "unreachable",
    "not_seen",
    "seen_share",
    "lost_share",
]


def retention(schedule: pd.DataFrame, states: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per time point of the schedule (follow_up.follow_up_schedule), in its order.

    `states` is states.outreach_states of the same patients' contact logs."""
    points = schedule[["time_point", "weeks"]].drop_duplicates("weeks").sort_values("weeks")
    closed = schedule[schedule["window_end"] < pd.Timestamp(as_of)].copy()
    closed["surgery_date"] = closed["due_date"] - pd.to_timedelta(closed["weeks"] * 7, unit="D")
    closed = closed.merge(states[[*KEY, "outreach"]], on=KEY, how="left")
    seen = closed["status"] == "done"
    closed = closed.assign(
        eligible=1,
        seen=seen.astype("int64"),
        declined=(~seen & (closed["outreach"] == "declined")).astype("int64"),
        unreachable=(~seen & (closed["outreach"] == "unreachable")).astype("int64"),
    )
    counts = closed.groupby("weeks")[["eligible", "seen", "declined", "unreachable"]].sum()
    frame = points.set_index("weeks").join(counts).fillna(0)
    for column in ("eligible", "seen", "declined", "unreachable"):
        frame[column] = frame[column].astype("int64")
    frame["lost"] = frame["declined"] + frame["unreachable"]
    frame["not_seen"] = frame["eligible"] - frame["seen"] - frame["lost"]
    with np.errstate(divide="ignore", invalid="ignore"):
        eligible = frame["eligible"].where(frame["eligible"] > 0)
        frame["seen_share"] = frame["seen"] / eligible
        frame["lost_share"] = frame["lost"] / eligible
    return frame.reset_index()[RETENTION_COLUMNS]
