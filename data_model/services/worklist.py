"""The worklist as app and CLI show it: flagged patients with who they are, their surgeon and review state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from .. import queries
from ..flags.worklist import REASON_SEPARATOR, build_worklist
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
    "recheck_on",
    "review_id",
]


def _index_surgeon(surgeries: pd.DataFrame, status: pd.DataFrame) -> pd.Series:
    surgeon_of = surgeries.set_index("surgery_id")["surgeon"]
    return pd.Series(status["surgery_id"].map(surgeon_of).to_numpy(), index=status["patient_id"])


def attach_reviews(worklist: pd.DataFrame, reviews: pd.DataFrame, as_of: date | None = None) -> pd.DataFrame:
    """A review holds while no data arrived after it, it covered every flag now raised, its re-check date
    has not come and, looking back, it was made on or before the date looked at (a review never hides a
    patient from the list as it stood before the review). Undone reviews are not in `reviews`."""
    merged = worklist.merge(reviews, on="patient_id", how="left")
    reviewed_at = pd.to_datetime(merged["reviewed_at"], utc=True)
    changed_at = pd.to_datetime(merged["data_changed_at"], utc=True)
    # Flags can appear without new data (a window ends); a review covers only the flags it saw.
    covered = [
        set(now.split(";")) <= set(then.split(";")) if isinstance(then, str) else False
        for now, then in zip(merged["flags"], merged["reviewed_flags"], strict=True)
    ]
    holds = (reviewed_at >= changed_at).fillna(False) & pd.Series(covered, index=merged.index)
    if as_of is not None:
        day = pd.Timestamp(as_of)
        made_by_then = reviewed_at.dt.tz_localize(None).dt.normalize() <= day  # the UTC day; NaT is False
        recheck = pd.to_datetime(merged["recheck_on"])
        holds &= made_by_then & (recheck.isna() | (recheck > day))
    merged["reviewed"] = holds.astype(bool)
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
    # without a recorded surgery (fbss.py) the rules' clock start is no surgery date: none is shown or
    # exported. That clock starts the day before the first recorded visit, from which de-identified
    # reasons count their weeks (exchange/deidentify.py), as the patient's chart and summary do.
    known = worklist["surgery_known"].astype(bool)
    worklist["first_visit_date"] = (worklist["index_surgery_date"] + pd.Timedelta(days=1)).where(~known)
    worklist["index_surgery_date"] = worklist["index_surgery_date"].where(known)
    worklist = worklist.merge(queries.patient_names(session), on="patient_id", how="left")
    worklist["surgeon"] = worklist["patient_id"].map(_index_surgeon(data.surgeries, status))
    worklist = attach_reviews(worklist, queries.reviews_frame(session), evaluation.as_of)
    return worklist[
        [c for c in WORKLIST_VIEW_COLUMNS if c in worklist.columns]
        + [c for c in worklist.columns if c not in WORKLIST_VIEW_COLUMNS]
    ]


@dataclass(frozen=True)
class WorklistSort:
    label: str  # the clinic's name for the order, as the page offers it
    columns: tuple[str, ...]  # the worklist columns sorted on, the first primary
    descending: bool  # the order the page starts with for this column


# The orders the worklist offers: applied to the whole filtered list before it is cut into pages.
# Ties always fall back to the default order (most severe, most pain, longest since surgery), then patient.
DEFAULT_SORT = "severity"
WORKLIST_SORTS: dict[str, WorklistSort] = {
    "severity": WorklistSort("Severity", ("severity_rank", "current_pain", "weeks_since_surgery"), True),
    "weeks": WorklistSort("Weeks since surgery", ("weeks_since_surgery",), True),
    "pain": WorklistSort("Pain", ("current_pain",), True),
    "flags": WorklistSort("Number of flags", ("flag_count",), True),
    "mrn": WorklistSort("MRN", ("mrn",), False),
    "name": WorklistSort("Name", ("display_name",), False),
    "procedure": WorklistSort("Procedure", ("procedure",), False),
    "surgeon": WorklistSort("Surgeon", ("surgeon",), False),
    "surgery_date": WorklistSort("Surgery date", ("index_surgery_date",), True),
    "reviewed_at": WorklistSort("Reviewed on", ("reviewed_at",), True),
}
_TIE_BREAK = (("severity_rank", False), ("current_pain", False), ("weeks_since_surgery", False))


@dataclass(frozen=True)
class WorklistFilter:
    procedures: tuple[str, ...] = ()
    surgeons: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    weeks: tuple[float, float] | None = None
    show_reviewed: bool = False
    sort_by: str = DEFAULT_SORT
    descending: bool = True


def sort_worklist(worklist: pd.DataFrame, sort_by: str = DEFAULT_SORT, descending: bool = True) -> pd.DataFrame:
    """The whole list in the chosen order; a missing value (no pain recorded) always comes last.
    Text sorts without regard to case. An unknown order is the default one."""
    chosen = WORKLIST_SORTS.get(sort_by, WORKLIST_SORTS[DEFAULT_SORT])
    keys = [(c, not descending) for c in chosen.columns if c in worklist.columns]
    keys += [(c, up) for c, up in _TIE_BREAK if c in worklist.columns and c not in chosen.columns]
    keys.append(("patient_id", True))
    if worklist.empty:
        return worklist

    return worklist.sort_values(
        [c for c, _ in keys],
        ascending=[up for _, up in keys],
        na_position="last",
        kind="stable",
        key=_casefolded,
    )


def _casefolded(column: pd.Series) -> pd.Series:
    if not pd.api.types.is_string_dtype(column):
        return column
    return column.map(lambda v: v.casefold() if isinstance(v, str) else v)


def filter_worklist(worklist: pd.DataFrame, chosen: WorklistFilter) -> pd.DataFrame:
    """Apply the worklist page's filters and its order; empty choices mean no restriction."""
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
    return sort_worklist(worklist[keep], chosen.sort_by, chosen.descending)


def reason_list(reasons: object) -> list[str]:
    """A worklist row's reasons, one sentence each, each said once, in the order of the flags. A reason
    another one repeats whole (persistent pain's sentence inside no meaningful improvement's) is said by
    the longer one alone."""
    if not isinstance(reasons, str) or not reasons.strip():
        return []
    parts = list(dict.fromkeys(p for p in (part.strip() for part in reasons.split(REASON_SEPARATOR)) if p))
    # two flags can read from one finding: a sentence that another one says in full is not said again
    return [p for p in parts if not any(p != other and p in other for other in parts)]
