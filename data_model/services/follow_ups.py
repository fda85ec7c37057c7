"""The staff's follow-up list: who is due this week and who is overdue, with who they are and how reaching
them goes; and per time point, the share of a cohort seen and lost to follow-up."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy.orm import Session

from .. import queries
from ..follow_up import due_and_overdue, follow_up_schedule
from ..outreach.contacts import contacts_frame
from ..outreach.retention import retention
from ..outreach.states import KEY, STATES, outreach_states
from .evaluation import Evaluation

FOLLOW_UP_LIST_COLUMNS = [
    "patient_id",
    "mrn",
    "display_name",
    "birth_year",
    "procedure",
    "index_surgery_date",
    "time_point",
    "weeks",
    "status",
    "due_date",
    "window_start",
    "window_end",
    "days_overdue",
    # outreach (outreach.states): the time point's contact log as it stands
    "outreach",
    "attempts",
    "last_contact_on",
    "last_outcome",
    "next_attempt_on",
]
# How the staff may order the list: the list's own order (most overdue first), or by its outreach.
ORDERS: dict[str, str] = {
    "due": "Most overdue first",
    "next_attempt": "Next attempt, soonest first",
    "outreach": "Outreach state",
    "last_contact": "Last contact, longest ago first",
}


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
    states = _states(session, rows["patient_id"], e.settings.follow_up_lost_after_attempts)
    rows = rows.merge(
        states.drop(columns="unanswered"),
        left_on=["patient_id", "index_surgery_date", "weeks"],
        right_on=KEY,
        how="left",
    )
    rows["outreach"] = rows["outreach"].fillna("none")
    rows["attempts"] = pd.to_numeric(rows["attempts"]).fillna(0).astype("int64")
    return rows[FOLLOW_UP_LIST_COLUMNS]


def work_list(rows: pd.DataFrame, states: Sequence[str] = (), order: str = "due", find: str = "") -> pd.DataFrame:
    """The follow-up list narrowed to these outreach states (none: every one) and to the MRNs or names holding
    `find` (any case), in the chosen ORDERS order; a missing date sorts last, and ties keep the list's order."""
    text = find.strip().casefold()
    if text:
        held = rows["mrn"].str.casefold().str.contains(text, regex=False)
        held |= rows["display_name"].fillna("").str.casefold().str.contains(text, regex=False)
        rows = rows[held]
    if states:
        rows = rows[rows["outreach"].isin(list(states))]
    if order == "next_attempt":
        return rows.sort_values("next_attempt_on", kind="stable", na_position="last")
    if order == "outreach":
        rank = rows["outreach"].map({state: i for i, state in enumerate(STATES)})
        return rows.loc[rank.sort_values(kind="stable").index]
    if order == "last_contact":
        return rows.sort_values("last_contact_on", kind="stable", na_position="first")
    return rows


def cohort_follow_up(session: Session, evaluation: Evaluation, patient_ids: Sequence[int]) -> pd.DataFrame:
    """Per time point, of these patients whose window has closed: how many were seen, lost (declined,
    unreachable) or not seen yet (outreach.retention)."""
    e = evaluation
    status = e.status[e.status["patient_id"].isin(list(patient_ids))]
    visits = e.data.visits[e.data.visits["patient_id"].isin(list(patient_ids))]
    schedule = follow_up_schedule(status, visits, e.settings, e.as_of)
    states = _states(session, schedule["patient_id"], e.settings.follow_up_lost_after_attempts)
    return retention(schedule, states, pd.Timestamp(e.as_of))


def _states(session: Session, patient_ids: pd.Series, lost_after: int) -> pd.DataFrame:
    # the whole log, narrowed here: far shorter than the clinic, and no IN list of thousands of ids
    log = contacts_frame(session)
    return outreach_states(log[log["patient_id"].isin(patient_ids.unique())], lost_after)
