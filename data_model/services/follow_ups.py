"""The staff's follow-up list: who is due this week and who is overdue, with who they are."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from .. import queries
from ..follow_up import due_and_overdue, follow_up_schedule
from .evaluation import Evaluation

FOLLOW_UP_LIST_COLUMNS = [
    "patient_id",
    "mrn",
    "display_name",
    "birth_year",
    "procedure",
    "index_surgery_date",
    "time_point",
    "status",
    "due_date",
    "window_start",
    "window_end",
    "days_overdue",
]


def follow_up_list(session: Session, evaluation: Evaluation, days_ahead: int = 7) -> pd.DataFrame:
    """Overdue first, then due this week; one row per patient and time point."""
    e = evaluation
    schedule = follow_up_schedule(e.status, e.data.visits, e.settings, e.as_of)
    rows = due_and_overdue(schedule, e.as_of, days_ahead)
    if rows.empty:
        return pd.DataFrame(columns=FOLLOW_UP_LIST_COLUMNS)
    rows = rows.merge(e.status[["patient_id", "procedure", "index_surgery_date"]], on="patient_id", how="left")
    patients = queries.patients_frame(session, [int(p) for p in rows["patient_id"].unique()])
    rows = rows.merge(patients[["patient_id", "mrn", "display_name", "birth_year"]], on="patient_id", how="left")
    as_of = pd.Timestamp(e.as_of)
    rows["days_overdue"] = (as_of - rows["window_end"]).dt.days.where(rows["status"] == "overdue")
    return rows[FOLLOW_UP_LIST_COLUMNS]
