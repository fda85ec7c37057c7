"""Use cases that join reads and rules: the flag worklist and one patient's record, for app and CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import pandas as pd
from sqlalchemy.orm import Session

from . import changes, queries, treatment_response
from .cohort_curve import Curve
from .flag_rules import compute_flags, flags_with_curve
from .settings import Settings
from .trajectory import patient_trajectory
from .worklist import build_worklist

WORKLIST_COLUMNS = [
    "patient_id", "mrn", "display_name", "procedure", "surgeon", "index_surgery_date", "prior_surgeries",
    "weeks_since_surgery", "window_weeks", "current_pain", "flags", "severity", "severity_rank", "reasons",
    "reviewed", "reviewed_by", "reviewed_at", "review_note",
]


@dataclass(frozen=True)
class ClinicalData:
    """Every non-voided surgery, visit and treatment as of a date: the rules' whole input."""

    surgeries: pd.DataFrame
    visits: pd.DataFrame
    treatments: pd.DataFrame


def load_clinical_data(session: Session, as_of: date, patient_ids: list[int] | None = None) -> ClinicalData:
    return ClinicalData(
        surgeries=queries.surgeries_frame(session, patient_ids, as_of),
        visits=queries.visits_frame(session, patient_ids, as_of),
        treatments=queries.treatments_frame(session, patient_ids, as_of),
    )


def evaluate(data: ClinicalData, settings: Settings, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(status, flags) for every patient in data."""
    return compute_flags(data.surgeries, data.visits, data.treatments, settings, as_of)


@dataclass(frozen=True)
class Evaluation:
    """The whole clinic evaluated once as of a date; the worklist and the cohort page both read it."""

    as_of: date
    settings: Settings
    data: ClinicalData
    status: pd.DataFrame
    flags: pd.DataFrame
    version: changes.Version = changes.Version(0)  # of the data evaluated (incremental.refresh goes on from it)
    curve: Curve | None = None  # the clinic curve OFF_TRACK compared with
    stamp: str | None = None  # changes.stamp of that version
    read_at: datetime | None = None  # when every row was last read from the database (UTC)
    snapshot: str | None = None  # PostgreSQL: the snapshot the version was read in (changes.Seen)

    @property
    def seen(self) -> changes.Seen:
        return changes.Seen(self.version, self.snapshot)


def evaluate_clinic(session: Session, as_of: date, settings: Settings | None = None) -> Evaluation:
    # the version first: data read after it is at least as new, so a refresh from it misses nothing
    seen = changes.current(session)
    stamp, read_at = changes.stamp(session, seen.version.last_id), datetime.now(timezone.utc)
    settings = settings or queries.load_settings(session)
    data = load_clinical_data(session, as_of)
    status, flags, curve = flags_with_curve(data.surgeries, data.visits, data.treatments, settings, as_of)
    return Evaluation(as_of, settings, data, status, flags, seen.version, curve, stamp, read_at, seen.snapshot)


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
        return pd.DataFrame(columns=WORKLIST_COLUMNS)
    worklist = worklist.merge(queries.patient_names(session), on="patient_id", how="left")
    worklist["surgeon"] = worklist["patient_id"].map(_index_surgeon(data.surgeries, status))
    worklist = attach_reviews(worklist, queries.reviews_frame(session))
    return worklist[[c for c in WORKLIST_COLUMNS if c in worklist.columns] + [
        c for c in worklist.columns if c not in WORKLIST_COLUMNS
    ]]


@dataclass(frozen=True)
class PatientRecord:
    """What the patient page shows for one patient."""

    patient: dict
    surgeries: pd.DataFrame
    trajectory: pd.DataFrame
    status: pd.DataFrame  # one row, or empty when the patient has no surgery yet
    flags: pd.DataFrame
    visits: pd.DataFrame
    treatments: pd.DataFrame
    conditions: pd.DataFrame
    review: dict | None  # the latest flag review (queries.latest_review)
    treatment_response: pd.DataFrame  # pain before and after each treatment started
    steps: pd.DataFrame  # the catalogue's stepped order, tried or not (information only)


def patient_record(session: Session, patient_id: int, as_of: date, settings: Settings | None = None) -> PatientRecord | None:
    settings = settings or queries.load_settings(session)
    patients = queries.patients_frame(session, [patient_id])
    if patients.empty:
        return None
    data = load_clinical_data(session, as_of, [patient_id])
    status, flags = evaluate(data, settings, as_of)
    return PatientRecord(
        patient=patients.iloc[0].to_dict(),
        surgeries=data.surgeries,
        trajectory=patient_trajectory(data.surgeries, data.visits, as_of, settings, data.treatments),
        status=status,
        flags=flags,
        visits=queries.visits_table(session, patient_id),
        treatments=queries.treatments_table(session, patient_id),
        conditions=queries.conditions_table(session, patient_id),
        review=queries.latest_review(session, patient_id),
        treatment_response=treatment_response.per_treatment(
            data.visits, data.treatments, settings, as_of, surgeries=data.surgeries
        ),
        steps=treatment_response.not_yet_tried(data.treatments, as_of),
    )


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
