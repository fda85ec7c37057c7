"""The cohort page's figures from one clinic evaluation and the user's cohort filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from .. import treatment_response
from ..cohort.figures import responder_rates, select_cohort, summary_figures
from ..cohort.pain_curve import pain_curve
from ..cohort.survival import kaplan_meier, time_to_recovery
from .evaluation import Evaluation


@dataclass(frozen=True)
class CohortFilter:
    procedures: tuple[str, ...] = ()
    surgeons: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    surgery_order: str = "any"  # any | first | repeat

    def describe(self) -> str:
        """The cohort definition in words, for captions and reports."""
        parts = [", ".join(self.procedures) if self.procedures else "all procedures"]
        if self.surgeons:
            parts.append("surgeon " + ", ".join(self.surgeons))
        if self.date_from or self.date_to:
            parts.append(f"index surgery {self.date_from or '…'} to {self.date_to or '…'}")
        if self.surgery_order != "any":
            parts.append("first surgery only" if self.surgery_order == "first" else "repeat surgery only")
        return "; ".join(parts)


@dataclass(frozen=True)
class CohortView:
    chosen: CohortFilter
    as_of: date  # the date every figure is as of
    patients: pd.DataFrame  # cohort.figures.select_cohort
    curve: pd.DataFrame
    responders: pd.DataFrame
    recovery: pd.DataFrame  # Kaplan-Meier table per procedure
    durations: pd.DataFrame  # time_to_recovery per patient: who the Kaplan-Meier curves leave out, and why
    summary: pd.DataFrame
    treatments: pd.DataFrame  # responder rate per treatment
    # patients with post-laminectomy syndrome and no recorded surgery (fbss.py): no week since surgery
    # places them on a chart, so they are counted apart, whatever the filter
    unknown_surgery: int = 0


def cohort_view(evaluation: Evaluation, chosen: CohortFilter) -> CohortView:
    """Every cohort figure for the filtered patients; counts are patients, missing visits stay missing."""
    e, as_of = evaluation, evaluation.as_of
    surgeries, visits = e.data.surgeries, e.data.visits
    patients = select_cohort(
        surgeries,
        chosen.procedures,
        chosen.surgeons,
        chosen.date_from,
        chosen.date_to,
        chosen.surgery_order,
        as_of=as_of,
    )
    status = e.status[e.status["patient_id"].isin(patients["patient_id"])]
    flags = e.flags[e.flags["patient_id"].isin(patients["patient_id"])]
    ids = patients["patient_id"]
    courses = treatment_response.per_treatment(
        visits[visits["patient_id"].isin(ids)],
        e.data.treatments[e.data.treatments["patient_id"].isin(ids)],
        e.settings,
        as_of,
        surgeries=surgeries[surgeries["patient_id"].isin(ids)],
    )
    durations = time_to_recovery(surgeries, visits, patients, e.settings, as_of, status=status)
    return CohortView(
        chosen=chosen,
        as_of=pd.Timestamp(as_of).date(),
        patients=patients,
        curve=pain_curve(surgeries, visits, patients, e.settings, as_of, status=status),
        responders=responder_rates(surgeries, visits, patients, e.settings, as_of, status=status),
        recovery=kaplan_meier(durations),
        durations=durations,
        summary=summary_figures(status, flags, patients, visits, e.settings, as_of),
        treatments=treatment_response.responder_rates(courses),
        unknown_surgery=int((~e.status["surgery_known"].to_numpy(bool)).sum()),
    )
