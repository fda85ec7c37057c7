"""One patient's record as the patient page shows it: identity, trajectory, status, flags and treatments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from .. import queries, treatment_response
from ..flags.clinic_curve import Curve, ExpectedBand
from ..flags.engine import flags_with_curve
from ..settings import Settings
from ..trajectory import patient_trajectory
from .evaluation import load_clinical_data


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
    # the clinic's usual course for the patient's procedure, drawn behind the trajectory: the band
    # OFF_TRACK compares with (None: no surgery date, or no clinic curve was given)
    expected_band: ExpectedBand | None = None


def patient_record(
    session: Session,
    patient_id: int,
    as_of: date,
    settings: Settings | None = None,
    clinic_curve: Curve | None = None,
) -> PatientRecord | None:
    """The patient as of a date. clinic_curve: the whole clinic's (Evaluation.curve, or
    evaluation.clinic_curve_as_of), so that OFF_TRACK judges the patient as the worklist does and the
    chart gets its expected-recovery band; without it, the patient is compared with the reference
    curve alone (a curve of one patient) and there is no band."""
    settings = settings or queries.load_settings(session)
    patients = queries.patients_frame(session, [patient_id])
    if patients.empty:
        return None
    data = load_clinical_data(session, as_of, [patient_id])
    status, flags, _ = flags_with_curve(
        data.surgeries, data.visits, data.treatments, settings, as_of, held_curve=clinic_curve, diagnoses=data.diagnoses
    )
    band = None
    # no band without a recorded surgery (fbss.py: index_surgery_date is then only the clock's start)
    if clinic_curve is not None and not status.empty and bool(status["surgery_known"].iloc[0]):
        band = clinic_curve.band(str(status["procedure"].iloc[0]), float(status["window_weeks"].iloc[0]))
    return PatientRecord(
        patient=patients.iloc[0].to_dict(),
        surgeries=data.surgeries,
        trajectory=patient_trajectory(
            data.surgeries, data.visits, as_of, settings, data.treatments, diagnoses=data.diagnoses
        ),
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
        expected_band=band,
    )
