"""What a reminder letter may say about its patient: the name, the time point and its dates, nothing clinical."""

# A letter leaves the clinic by post: it carries only what a person needs to book the visit. No MRN, no
# procedure, no score, no diagnosis. PainTrail keeps no postal address, so the letter leaves room for one.

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..follow_up import time_point_name


@dataclass(frozen=True)
class ReminderLetter:
    name: str | None  # the patient's name as registered (None: not recorded)
    follow_up: str  # '3-month follow-up'
    due_on: date
    window_from: date
    window_to: date


def letters_of(rows: pd.DataFrame) -> list[ReminderLetter]:
    """One letter per row of the follow-up list (services.follow_ups.follow_up_list), in its order."""
    return [
        ReminderLetter(
            name=row["display_name"] if isinstance(row["display_name"], str) and row["display_name"].strip() else None,
            follow_up=time_point_name(str(row["time_point"])),
            due_on=pd.Timestamp(row["due_date"]).date(),
            window_from=pd.Timestamp(row["window_start"]).date(),
            window_to=pd.Timestamp(row["window_end"]).date(),
        )
        for row in rows.to_dict("records")
    ]
