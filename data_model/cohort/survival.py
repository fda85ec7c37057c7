"""Time to recovery: weeks from the index surgery to the first meaningful improvement, Kaplan-Meier."""

# - Recovery = the first post-op visit whose score on the patient's measure meets the MCID against
#   the baseline (outcomes.py): event 1 at that visit's week. A patient who has not recovered
#   is censored (event 0) at their last scored post-op visit up to as_of: beyond it nothing is known.
# - Left out, and counted by their outcome: 'no_baseline' (no baseline on any measure) and
#   'no_follow_up' (a baseline but no scored post-op visit yet).
# - Weeks = days / 7 (day 42 = 6.0 weeks). Kaplan-Meier per procedure with lifelines; survival is
#   the share NOT yet recovered; the median is the first week at which it is at or below 0.5
#   (lifelines' definition), NaN when it never gets there (not reached).

from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from ..arrays import empty_frame
from ..recovery import AsOf, to_timestamp
from ..settings import Settings
from .outcomes import patients_of, procedure_order, scored_visits, status_for

DURATION_COLUMNS: dict[str, str] = {
    "patient_id": "int64",
    "procedure": "object",
    "index_surgery_date": "datetime64[ns]",
    "outcome": "object",  # 'recovered' | 'censored' | 'no_baseline' | 'no_follow_up'
    "duration_weeks": "float64",  # NaN when left out
    "event": "Int64",  # 1 recovered, 0 censored, <NA> left out
}


def time_to_recovery(
    surgeries: pd.DataFrame,
    visits: pd.DataFrame,
    cohort: pd.DataFrame,
    settings: Settings,
    as_of: AsOf,
    status: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per cohort patient: weeks to the first visit meeting the MCID, or censored; DURATION_COLUMNS."""
    if cohort.empty:
        return empty_frame(DURATION_COLUMNS)
    cutoff = to_timestamp(as_of)
    p = patients_of(status_for(surgeries, visits, cohort, settings, cutoff, status), settings)
    scored = scored_visits(visits, p, cutoff)
    n = len(p)
    first_met = scored.first_day(scored.met, n)
    last_seen = scored.last_day(n)
    recovered = (p.measure > 0) & (first_met > 0)
    censored = (p.measure > 0) & ~recovered & (last_seen > 0)
    outcome = np.select(
        [recovered, censored, p.measure == 0], ["recovered", "censored", "no_baseline"], "no_follow_up"
    ).astype(object)
    days = np.where(recovered, first_met, np.where(censored, last_seen, -1))
    return pd.DataFrame(
        {
            "patient_id": p.patient_id,
            "procedure": p.procedure,
            "index_surgery_date": p.index_date,
            "outcome": outcome,
            "duration_weeks": np.where(days > 0, days / 7.0, np.nan),
            # numpy's stubs leave None out of ArrayLike; np.where takes it as an object scalar
            "event": pd.array(np.where(recovered | censored, recovered.astype(int), None), dtype="Int64"),  # type: ignore[call-overload]
        }
    ).astype(DURATION_COLUMNS)


KM_COLUMNS: dict[str, str] = {
    "procedure": "object",
    "weeks": "float64",  # the timeline: 0 and every week with an event or a censoring
    "survival": "float64",  # share not yet recovered just after this week
    "at_risk": "int64",  # patients followed and not yet recovered at the start of this week
    "events": "int64",  # recoveries in this week
    "censored": "int64",
    "n_patients": "int64",
    "n_events": "int64",  # per procedure, repeated on its rows
    "median_weeks": "float64",  # NaN: not reached
}


def kaplan_meier(durations: pd.DataFrame) -> pd.DataFrame:
    """Per procedure, the Kaplan-Meier table of time_to_recovery's included patients; KM_COLUMNS."""
    d = durations[durations["event"].notna()]
    frames = [empty_frame(KM_COLUMNS)]
    proc, order = procedure_order(d["procedure"].to_numpy(dtype=object))
    for code, procedure in enumerate(order):
        one = d[proc == code]
        kmf = KaplanMeierFitter().fit(
            one["duration_weeks"].to_numpy("float64"), one["event"].to_numpy("int64"), label=procedure
        )
        table = kmf.event_table
        median = float(kmf.median_survival_time_)
        frames.append(
            pd.DataFrame(
                {
                    "procedure": procedure,
                    "weeks": table.index.to_numpy("float64"),
                    "survival": kmf.survival_function_[procedure].reindex(table.index).to_numpy("float64"),
                    "at_risk": table["at_risk"].to_numpy("int64"),
                    "events": table["observed"].to_numpy("int64"),
                    "censored": table["censored"].to_numpy("int64"),
                    "n_patients": len(one),
                    "n_events": int(one["event"].sum()),
                    "median_weeks": median if np.isfinite(median) else np.nan,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).astype(KM_COLUMNS)
