"""The worklist as app and CLI show it: flagged patients with who they are, their surgeon and review state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from .. import queries
from ..flags.worklist import build_worklist
from ..settings import Settings
from .evaluation import Evaluation, evaluate_clinic

# The display order of the worklist's columns (the rules' own frame is flags.worklist.WORKLIST_COLUMNS)
WORKLIST_VIEW_COLUMNS = [
    "patient_id",
    "mrn",
    "display_name",
    "procedure",
    "surgeon",
    "index_surgery_date",
    "prior_surgeries",
    "weeks_since_surgery",
    "window_weeks",
    "current_pain",
    "acceptable_state",
    "flags",
    "severity",
    "severity_rank",
    "reasons",
    "reviewed",
    "reviewed_by",
    "reviewed_at",
    "review_note",
]


def _index_surgeon(surgeries: pd.DataFrame, status: pd.DataFrame) -> pd.Series:
    surgeon_of = surgeries.set_index("surgery_id")["surgeon"]
    return pd.Series(status["surgery_id"].map(surgeon_of).to_numpy(), index=status["patient_id"])


def attach_reviews(worklist: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    """A review holds while no data arrived after it and it covered every flag now raised."""
    merged = worklist.merge(reviews, on="patient_id", how="left")
    reviewed_at = pd.to_datetime(merged["reviewed_at"], utc=True)
    changed_at = pd.to_datetime(merged["data_changed_at"], utc=True)
    # Flags can appear without new data (a window ends); a review covers only the flags it saw.
    covered = [
        set(now.split(";")) <= set(then.split(";")) if isinstance(then, str) else False
        for now, then in zip(merged["flags"], merged["reviewed_flags"], strict=True)
    ]
    merged["reviewed"] = (reviewed_at >= changed_at).fillna(False) & pd.Series(covered, index=merged.index)
    return merged.drop(columns=["reviewed_flags", "data_changed_at"])


def flag_worklist(session: Session, as_of: date, settings: Settings | None = None) -> pd.DataFrame:
    """Flagged patients, most severe first, with identity, surgeon and review state."""
    return worklist_of(session, evaluate_clinic(session, as_of, settings))


def worklist_of(session: Session, evaluation: Evaluation) -> pd.DataFrame:
    """The worklist of an evaluation, joined with who the patients are and their reviews."""
    data, status = evaluation.data, evaluation.status
    worklist = build_worklist(status, evaluation.flags)
    if worklist.empty:
        return pd.DataFrame(columns=WORKLIST_VIEW_COLUMNS)
    worklist = worklist.merge(queries.patient_names(session), on="patient_id", how="left")
    worklist["surgeon"] = worklist["patient_id"].map(_index_surgeon(data.surgeries, status))
    worklist = attach_reviews(worklist, queries.reviews_frame(session))
    return worklist[
        [c for c in WORKLIST_VIEW_COLUMNS if c in worklist.columns]
        + [c for c in worklist.columns if c not in WORKLIST_VIEW_COLUMNS]
    ]


@dataclass(frozen=True)
class WorklistFilter:
    procedures: tuple[str, ...] = ()
    surgeons: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    weeks: tuple[float, float] | None = None
    show_reviewed: bool = False


def filter_worklist(worklist: pd.DataFrame, chosen: WorklistFilter) -> pd.DataFrame:
    """Apply the worklist page's filters; empty choices mean no restriction."""
    keep = pd.Series(True, index=worklist.index)
    if chosen.procedures:
        keep &= worklist["procedure"].isin(chosen.procedures)
    if chosen.surgeons:
        keep &= worklist["surgeon"].isin(chosen.surgeons)
    if chosen.flags:
        codes = worklist["flags"].str.split(";")
        keep &= codes.map(lambda row: bool(set(row) & set(chosen.flags)))
    if chosen.weeks is not None:
        low, high = chosen.weeks
        keep &= worklist["weeks_since_surgery"].between(low, high)
    if not chosen.show_reviewed:
        keep &= ~worklist["reviewed"].astype(bool)
    return worklist[keep]
