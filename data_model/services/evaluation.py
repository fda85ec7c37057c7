"""The whole clinic evaluated once as of a date: every surgery, visit and treatment read, and the rules run on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy.orm import Session

from .. import changes, fbss, queries
from ..flags.clinic_curve import Curve
from ..flags.engine import clinic_curve, compute_flags, flags_with_curve
from ..settings import Settings


@dataclass(frozen=True)
class ClinicalData:
    """Every non-voided surgery, visit and treatment as of a date, and who has post-laminectomy syndrome
    (fbss.diagnoses_of: followed even without a recorded surgery): the rules' whole input."""

    surgeries: pd.DataFrame
    visits: pd.DataFrame
    treatments: pd.DataFrame
    diagnoses: pd.DataFrame = field(default_factory=lambda: fbss.diagnoses_of(pd.DataFrame()))


def load_clinical_data(session: Session, as_of: date, patient_ids: list[int] | None = None) -> ClinicalData:
    surgeries, visits, treatments = queries.clinic_frames(session, patient_ids, as_of)
    return ClinicalData(surgeries, visits, treatments, queries.fbss_diagnoses_frame(session, patient_ids, as_of))


def evaluate(data: ClinicalData, settings: Settings, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(status, flags) for every patient in data."""
    return compute_flags(data.surgeries, data.visits, data.treatments, settings, as_of, data.diagnoses)


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
    stamp, read_at = changes.stamp(session, seen.version.last_id), datetime.now(UTC)
    settings = settings or queries.load_settings(session)
    data = load_clinical_data(session, as_of)
    status, flags, curve = flags_with_curve(
        data.surgeries, data.visits, data.treatments, settings, as_of, diagnoses=data.diagnoses
    )
    return Evaluation(as_of, settings, data, status, flags, seen.version, curve, stamp, read_at, seen.snapshot)


def clinic_curve_as_of(session: Session, as_of: date, settings: Settings | None = None) -> Curve:
    """The clinic curve OFF_TRACK uses as of a date, read and computed on its own (no rule is run): for a
    patient's chart made outside the app, which holds an evaluation of everyone (Evaluation.curve)."""
    settings = settings or queries.load_settings(session)
    data = load_clinical_data(session, as_of)
    return clinic_curve(data.surgeries, data.visits, data.treatments, settings, as_of)
