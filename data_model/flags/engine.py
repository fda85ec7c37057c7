"""The flag rules: one vectorised function per flag code, run together by compute_flags."""

# A rule takes a FlagInput (status from recovery.patient_status plus the raw frames, settings, as_of
# and a shared, lazily built Timeline of the visits) and returns FLAG_COLUMNS rows for the patients
# it flags, with a severity and a reason sentence carrying the numbers. Each rule's exact statement
# is at the top of its module:
#   slow_recovery.py  PERSISTENT_PAIN, NO_MEANINGFUL_IMPROVEMENT, OFF_TRACK (clinic_curve.py)
#   course.py         WORSENING, REBOUND
#   safety.py         NEW_NERVE_SYMPTOMS, HIGH_OPIOID_DOSE, OVERDUE_FOLLOW_UP (data_model/follow_up.py)
# Adding a rule means writing one function and adding it to RULES; compute_flags, the worklist and
# the CLI need no change. Nothing dated after as_of is read by any rule.

from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalog import FLAG_CODES, SEVERITY_RANK
from ..recovery import AsOf, patient_status, to_timestamp
from ..settings import Settings
from .clinic_curve import Curve
from .course import rebound, worsening
from .input import FlagInput, Rule, empty_flags, frame_of
from .safety import high_opioid_dose, new_nerve_symptoms, overdue_follow_up
from .slow_recovery import no_meaningful_improvement, off_track, persistent_pain

# In catalog.FLAG_CODES order.
RULES: dict[str, Rule] = {
    "PERSISTENT_PAIN": persistent_pain,
    "NO_MEANINGFUL_IMPROVEMENT": no_meaningful_improvement,
    "OFF_TRACK": off_track,
    "WORSENING": worsening,
    "REBOUND": rebound,
    "NEW_NERVE_SYMPTOMS": new_nerve_symptoms,
    "HIGH_OPIOID_DOSE": high_opioid_dose,
    "OVERDUE_FOLLOW_UP": overdue_follow_up,
}


def run_rules(inp: FlagInput, rules: dict[str, Rule] | None = None) -> pd.DataFrame:
    """All rule results, ordered by patient, then severity (most severe first), then code order."""
    # every rule is about patients with an index surgery: with none, there is nothing to flag
    frames = [f for f in ((rule(inp) for rule in (rules or RULES).values()) if len(inp.status) else ()) if len(f)]
    if not frames:
        return empty_flags()
    patient_id = np.concatenate([f["patient_id"].to_numpy("int64") for f in frames])
    reason = np.concatenate([f["reason"].to_numpy(object) for f in frames])
    # a rule's frame holds few distinct codes and severities: carry them as small integers, so that
    # sorting moves integers and only the reason text is gathered row by row
    code, code_names = _factorize([f["code"] for f in frames])
    severity, severity_names = _factorize([f["severity"] for f in frames])
    code_rank = {c: i for i, c in enumerate(FLAG_CODES)}
    code_order = np.array([code_rank.get(c, len(code_rank)) for c in code_names], dtype="int64")[code]
    rank = np.array([SEVERITY_RANK.get(s, 0) for s in severity_names], dtype="int64")[severity]
    # lexsort is stable: the last key is the primary one
    order = np.lexsort((code_order, -rank, patient_id))
    return frame_of(
        {
            "patient_id": patient_id[order],
            "code": code_names[code[order]],
            "severity": severity_names[severity[order]],
            "reason": reason[order],
        }
    )


def _factorize(parts: list[pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """Codes into one shared table of distinct values, factorizing each (small-valued) part on its own."""
    names: dict = {}
    codes = []
    for part in parts:
        local, distinct = pd.factorize(part)
        table = np.array([names.setdefault(v, len(names)) for v in distinct], dtype="int64")
        codes.append(table[local])
    return np.concatenate(codes), np.array(list(names), dtype=object)


def compute_flags(
    surgeries: pd.DataFrame,
    visits: pd.DataFrame,
    treatments: pd.DataFrame,
    settings: Settings,
    as_of: AsOf,
    diagnoses: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The entry point the app and CLI call: (status per patient, flags FLAG_COLUMNS). diagnoses
    (fbss.diagnoses_of): patients with post-laminectomy syndrome, followed even without a surgery."""
    status, flags, _ = flags_with_curve(surgeries, visits, treatments, settings, as_of, diagnoses=diagnoses)
    return status, flags


def flags_with_curve(
    surgeries: pd.DataFrame,
    visits: pd.DataFrame,
    treatments: pd.DataFrame,
    settings: Settings,
    as_of: AsOf,
    held_curve: Curve | None = None,
    diagnoses: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, Curve]:
    """(status, flags, the clinic curve OFF_TRACK compared with). With held_curve (an earlier evaluation
    of the whole clinic), OFF_TRACK compares these patients with it instead of with themselves."""
    cutoff = to_timestamp(as_of)
    status = patient_status(surgeries, visits, treatments, settings, cutoff, diagnoses)
    inp = FlagInput(status, surgeries, visits, treatments, settings, cutoff, held_curve)
    return status, run_rules(inp), inp.clinic_curve


def clinic_curve(
    surgeries: pd.DataFrame, visits: pd.DataFrame, treatments: pd.DataFrame, settings: Settings, as_of: AsOf
) -> Curve:
    """The curve OFF_TRACK compares these patients with (the whole clinic's, given everyone), without
    running the rules: for one patient's chart made outside the app (`paintrail export chart trajectory`)."""
    cutoff = to_timestamp(as_of)
    status = patient_status(surgeries, visits, treatments, settings, cutoff)
    return FlagInput(status, surgeries, visits, treatments, settings, cutoff).clinic_curve
