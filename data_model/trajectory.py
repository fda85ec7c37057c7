"""One patient's visits against the index surgery, as the patient page's chart draws them."""

# Each visit row carries the rules' view of it (pain as the worse site, pre-op or post-op, whether it
# supplied a baseline or is one of the recent visits current pain averages) and the patient's
# constants (baselines, MCID targets), so a chart needs nothing else. The rules themselves are in
# recovery.py; this module only lays them out per visit.

from __future__ import annotations

import numpy as np
import pandas as pd

from .recovery import (
    SCORE_COLUMNS,
    AsOf,
    mcid_target,
    patient_status,
    to_timestamp,
    visit_pain,
    visit_sets,
)
from .settings import DEFAULT_SETTINGS, Settings

TRAJECTORY_COLUMNS: dict[str, str] = {
    "patient_id": "int64",
    "visit_id": "int64",
    "visit_date": "datetime64[ns]",
    "days_from_surgery": "float64",  # negative before the index surgery; NaN without a surgery
    "weeks_from_surgery": "float64",
    "phase": "object",  # 'pre-op' (on or before the surgery date) | 'post-op' | None (no surgery)
    "pain": "float64",  # the worse of the sites, as the rules read it
    "back_pain": "float64",
    "leg_pain": "float64",
    "pain_unspecified": "float64",
    "odi": "float64",
    "numbness": "float64",
    "tingling": "float64",
    "weakness": "float64",
    "mme_per_day": "float64",
    "is_baseline": "bool",  # supplied at least one baseline score
    "in_current": "bool",  # one of the recent visits current pain is the mean of
    # per-patient constants repeated on each row, so a chart needs nothing else
    "index_surgery_date": "datetime64[ns]",  # without a recorded surgery: the rules' clock start (fbss.py)
    "surgery_known": "boolean",  # False: post-laminectomy syndrome, no surgery recorded; the chart runs on dates
    "procedure": "object",
    "prior_surgeries": "float64",
    "window_weeks": "float64",
    "baseline_back": "float64",
    "baseline_leg": "float64",
    "baseline_unspecified": "float64",
    "baseline_odi": "float64",
    "baseline_pain": "float64",  # the worse baseline site, comparable with the 'pain' line
    "mcid_target_pain": "float64",  # 'pain' at or below this is a meaningful improvement
    "mcid_target_odi": "float64",
    "mcid_measure": "object",  # what the flags compared (see patient_status)
    "mcid_baseline": "float64",
    "mcid_target": "float64",
}
_VISIT_FIELDS = [
    "patient_id",
    "visit_id",
    "visit_date",
    *SCORE_COLUMNS,
    "numbness",
    "tingling",
    "weakness",
    "mme_per_day",
]


def patient_trajectory(
    surgeries: pd.DataFrame,
    visits: pd.DataFrame,
    as_of: AsOf,
    settings: Settings = DEFAULT_SETTINGS,
    treatments: pd.DataFrame | None = None,
    diagnoses: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """ONE patient's visits up to as_of against the index surgery, for the chart (TRAJECTORY_COLUMNS).

    Pass the patient's treatments to make in_current match the flags (a treatment start narrows
    the recent visits); without them in_current ignores treatments. Pass the diagnoses
    (fbss.diagnoses_of) to lay out a patient with post-laminectomy syndrome and no recorded surgery
    as the rules see them (baseline the first visit); their days and weeks from surgery stay NaN.
    """
    patients = np.unique(
        np.concatenate([surgeries["patient_id"].to_numpy("int64"), visits["patient_id"].to_numpy("int64")])
    )
    if len(patients) > 1:
        raise ValueError(f"patient_trajectory: expected one patient, got {len(patients)}")
    if treatments is None:
        treatments = pd.DataFrame(
            {"patient_id": pd.Series(dtype="int64"), "start_date": pd.Series(dtype="datetime64[ns]")}
        )
    cutoff = to_timestamp(as_of)
    v = visits.loc[visits["visit_date"] <= cutoff].reindex(columns=_VISIT_FIELDS)
    v = v.sort_values(["visit_date", "visit_id"], kind="stable")
    out = v.reset_index(drop=True)
    out["visit_date"] = out["visit_date"].astype("datetime64[ns]")
    out["pain"] = visit_pain(out)
    out["is_baseline"] = False
    out["in_current"] = False
    st = patient_status(surgeries, visits, treatments, settings, cutoff, diagnoses)
    if st.empty or out.empty:
        return _trajectory_frame(out, st, settings)
    s = st.iloc[0]
    days = (out["visit_date"] - s["index_surgery_date"]).dt.days
    if s["surgery_known"]:
        out["days_from_surgery"] = days.astype("float64")
        out["weeks_from_surgery"] = days / 7.0
        out["phase"] = np.where(days <= 0, "pre-op", "post-op")
    pre, recent = visit_sets(visits, st, treatments, settings, cutoff)
    supplied = [pre.loc[pre[c].notna(), "visit_id"].iloc[-1:] for c in SCORE_COLUMNS]
    out["is_baseline"] = out["visit_id"].isin(pd.concat(supplied))
    out["in_current"] = out["visit_id"].isin(recent["visit_id"])
    return _trajectory_frame(out, st, settings)


def _trajectory_frame(out: pd.DataFrame, st: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    constants = [
        "index_surgery_date",
        "surgery_known",
        "procedure",
        "prior_surgeries",
        "window_weeks",
        "mcid_measure",
        "mcid_baseline",
        *(f"baseline_{s}" for s in ("back", "leg", "unspecified", "odi")),
    ]
    for col in constants:
        out[col] = st[col].iloc[0] if len(st) else None
    out = out.reindex(columns=list(TRAJECTORY_COLUMNS)).astype(TRAJECTORY_COLUMNS)
    out["baseline_pain"] = out[["baseline_back", "baseline_leg", "baseline_unspecified"]].max(axis=1)
    out["mcid_target_pain"] = mcid_target(out["baseline_pain"], settings)
    out["mcid_target_odi"] = mcid_target(out["baseline_odi"], settings, odi=True)
    out["mcid_target"] = np.where(
        out["mcid_measure"] == "odi", out["mcid_target_odi"], mcid_target(out["mcid_baseline"], settings)
    )
    return out
