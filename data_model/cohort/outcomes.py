"""Cohort machinery shared by the cohort figures: each patient's MCID measure and their scored visits."""

# The rules (figures.py builds its figures on them; every number comes from Settings):
#
# - The cohort frame comes from figures.select_cohort with the same as_of; its index surgery must be
#   the one recovery.patient_status uses, which is checked (a mismatch raises ValueError).
# - Baselines are recovery.patient_status's: the last non-null score per site in the look-back.
# - The MCID measure is fixed per patient, so one site is followed over time: the measure
#   patient_status compared (mcid_measure), so the cohort figures agree with the flags; when it has
#   none (no post-op score yet), the same order on the baselines alone: leg or back, whichever
#   baseline is higher (tie: leg), else 'pain' (the worse baseline of any site), else ODI.
# - A visit's score on the measure: leg_pain, back_pain, the worse site (recovery.visit_pain) for
#   'pain', or ODI. A visit without that score does not count for the measure (neither as seen nor
#   as improved).
# - A visit meets the MCID when its score is at or below recovery.mcid_target(baseline) (points OR
#   percent) and the baseline is above 0; a baseline of 0 leaves nothing to improve on, as in recovery.
# - Post-op visits are dated after the index surgery date and on or before as_of; day = days since
#   the index surgery (1 = the day after).

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..arrays import NS_PER_DAY, segment_ends, without_noise
from ..catalog import PROCEDURE_CODES
from ..recovery import PAIN_COLUMNS, mcid_target, patient_status
from ..settings import Settings

MEASURES: tuple[str, ...] = ("leg", "back", "pain", "odi")  # measure codes 1..4; 0 = no baseline

_STATUS_USED = [
    "patient_id",
    "surgery_id",
    "procedure",
    "index_surgery_date",
    "days_since_surgery",
    "baseline_back",
    "baseline_leg",
    "baseline_unspecified",
    "baseline_odi",
    "mcid_measure",
]
_NO_TREATMENTS = pd.DataFrame(
    {
        "patient_id": pd.Series(dtype="int64"),
        "treatment_id": pd.Series(dtype="int64"),
        "code": pd.Series(dtype="object"),
        "start_date": pd.Series(dtype="datetime64[ns]"),
        "end_date": pd.Series(dtype="datetime64[ns]"),
    }
)


def status_for(
    surgeries: pd.DataFrame,
    visits: pd.DataFrame,
    cohort: pd.DataFrame,
    settings: Settings,
    cutoff: pd.Timestamp,
    status: pd.DataFrame | None,
) -> pd.DataFrame:
    """patient_status rows of the cohort, in cohort order (computed for the cohort only if not given).

    Without treatments the current-pain set is not narrowed by a treatment start, which can change
    the MCID measure in rare ties; pass compute_flags' status to agree with the flags exactly.
    """
    if status is None:
        ids = cohort["patient_id"]
        status = patient_status(
            surgeries[surgeries["patient_id"].isin(ids)],
            visits[visits["patient_id"].isin(ids)],
            _NO_TREATMENTS,
            settings,
            cutoff,
        )
    pos = pd.Index(status["patient_id"]).get_indexer(cohort["patient_id"])
    status = status[_STATUS_USED]  # only the columns read here: taking all of them costs more than the rest
    ok = pos >= 0
    ok[ok] = status["surgery_id"].to_numpy("int64")[pos[ok]] == cohort["surgery_id"].to_numpy("int64")[ok]
    if not ok.all():
        raise ValueError(
            f"cohort: {int((~ok).sum())} patient(s) have another index surgery on {cutoff.date()} than the "
            "cohort's; select the cohort with the same as_of"
        )
    out = status.iloc[pos].reset_index(drop=True)
    since = (cutoff.to_datetime64() - out["index_surgery_date"].to_numpy("datetime64[ns]")) // np.timedelta64(1, "D")
    if len(out) and not np.array_equal(since, out["days_since_surgery"].to_numpy("int64")):
        raise ValueError(f"status: computed for another as_of than {cutoff.date()}")
    return out


@dataclass(frozen=True)
class Patients:
    """One entry per cohort patient (position = row of the cohort frame)."""

    patient_id: np.ndarray
    procedure: np.ndarray  # object
    index_date: np.ndarray  # datetime64[ns]
    days_since: np.ndarray  # int64
    measure: np.ndarray  # int64 code: 0 none, 1.. MEASURES
    baseline: np.ndarray  # on the measure; NaN without one
    target: np.ndarray  # score at or below which the MCID is met
    baseline_pain: np.ndarray  # the worse baseline site (the pain curve's baseline)

    def __len__(self) -> int:
        return len(self.patient_id)


def patients_of(status: pd.DataFrame, settings: Settings) -> Patients:
    """The measure, its baseline and the MCID target per patient, from status rows in cohort order."""
    bb, bl, bu, bo = (status[f"baseline_{s}"].to_numpy("float64") for s in ("back", "leg", "unspecified", "odi"))
    worst = np.fmax(np.fmax(bb, bl), bu)  # fmax skips NaN
    named, names = pd.factorize(status["mcid_measure"])  # None -> -1; compares 4 names, not 100k
    chosen = np.append([MEASURES.index(m) + 1 if m in MEASURES else 0 for m in names], 0)[named]
    leg = ~np.isnan(bl) & (np.isnan(bb) | (bl >= bb))
    back = ~np.isnan(bb) & ~leg
    fallback = np.select([leg, back, ~np.isnan(bu), ~np.isnan(bo)], [1, 2, 3, 4], 0)
    measure = np.where(chosen > 0, chosen, fallback)
    baseline = np.select([measure == 1, measure == 2, measure == 3, measure == 4], [bl, bb, worst, bo], np.nan)
    target = np.where(measure == 4, mcid_target(baseline, settings, odi=True), mcid_target(baseline, settings))
    return Patients(
        patient_id=status["patient_id"].to_numpy("int64"),
        procedure=status["procedure"].to_numpy(dtype=object),
        index_date=status["index_surgery_date"].to_numpy("datetime64[ns]"),
        days_since=status["days_since_surgery"].to_numpy("int64"),
        measure=measure,
        baseline=baseline,
        target=target,
        baseline_pain=worst,
    )


def postop_rows(visits: pd.DataFrame, p: Patients, cutoff: pd.Timestamp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(visit rows, patient positions, days since the index surgery) of the cohort's post-op visits."""
    pos = pd.Index(p.patient_id).get_indexer(visits["patient_id"])
    vd = visits["visit_date"].to_numpy("datetime64[ns]")
    known = pos >= 0
    day = np.zeros(len(visits), dtype="int64")  # whole days; integer arithmetic is much faster
    day[known] = (vd[known].view("int64") - p.index_date[pos[known]].view("int64")) // NS_PER_DAY
    rows = np.flatnonzero(known & (day > 0) & (vd <= cutoff.to_datetime64()))
    return rows, pos[rows], day[rows]


def worse_pain(visits: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """recovery.visit_pain of the given rows, element-wise: pandas' row-wise max is 40x slower."""
    columns = [visits[c].to_numpy("float64")[rows] for c in PAIN_COLUMNS]
    return np.fmax.reduce(columns) if len(rows) else np.zeros(0)


@dataclass(frozen=True)
class Scored:
    """Post-op visits with a score on the patient's measure, sorted by (patient, day)."""

    pos: np.ndarray
    day: np.ndarray
    score: np.ndarray
    met: np.ndarray  # bool: the MCID is met at this visit
    key: np.ndarray  # pos * span + day, sorted: range lookups by searchsorted
    span: int

    def between(self, lo: int, hi: int, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per patient position given, the [start, stop) rows of its visits on days lo..hi (inclusive)."""
        lo, hi = max(lo, 1), min(hi, self.span - 1)  # post-op days are 1..span-2
        if lo > hi:
            empty = np.zeros(len(positions), dtype="int64")
            return empty, empty
        base = positions.astype("int64") * self.span
        return np.searchsorted(self.key, base + lo, "left"), np.searchsorted(self.key, base + hi, "right")

    def first_day(self, mask: np.ndarray, n: int) -> np.ndarray:
        """Per patient position, the day of the first visit where mask holds (-1: none)."""
        out = np.full(n, -1, dtype="int64")
        rows = np.flatnonzero(mask)
        first = np.unique(self.pos[rows], return_index=True)[1]  # rows are sorted: first per patient
        out[self.pos[rows[first]]] = self.day[rows[first]]
        return out

    def last_day(self, n: int) -> np.ndarray:
        """Per patient position, the day of the last scored visit (-1: none)."""
        out = np.full(n, -1, dtype="int64")
        last = np.flatnonzero(segment_ends(self.pos))
        out[self.pos[last]] = self.day[last]
        return out


def scored_visits(visits: pd.DataFrame, p: Patients, cutoff: pd.Timestamp) -> Scored:
    """The post-op visits that carry a score on each patient's measure, with the MCID verdict."""
    rows, pos, day = postop_rows(visits, p, cutoff)
    measure = p.measure[pos]
    column = {"leg": "leg_pain", "back": "back_pain", "odi": "odi"}
    score = np.full(len(rows), np.nan)
    for code, name in enumerate(MEASURES, start=1):
        on = measure == code
        if on.any() and name == "pain":
            score[on] = worse_pain(visits, rows[on])
        elif on.any():
            score[on] = visits[column[name]].to_numpy("float64")[rows[on]]
    keep = ~np.isnan(score)
    pos, day, score = pos[keep], day[keep], score[keep]
    span = int(day.max()) + 2 if len(day) else 2
    key = pos.astype("int64") * span + day
    if len(key) > 1 and not np.all(key[1:] >= key[:-1]):
        order = np.argsort(key, kind="stable")
        pos, day, score, key = pos[order], day[order], score[order], key[order]
    base, target = p.baseline[pos], p.target[pos]
    met = (without_noise(score - target) <= 0) & (base > 0)
    return Scored(pos=pos, day=day, score=score, met=met, key=key, span=span)


def procedure_order(procedures: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(code per patient, procedures in catalogue order then any unknown ones alphabetically)."""
    codes, present = pd.factorize(pd.Series(procedures, dtype=object).fillna("other"))
    order = [c for c in PROCEDURE_CODES if c in set(present)] + sorted(set(present) - set(PROCEDURE_CODES))
    return pd.Index(order).get_indexer(present)[codes] if len(codes) else codes, order


def count_by(codes: np.ndarray, mask: np.ndarray, n_groups: int) -> np.ndarray:
    return np.bincount(codes[mask], minlength=n_groups).astype("int64")
