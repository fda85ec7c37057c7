"""Deterministic synthetic cohort: patients, surgeries, visits and treatments as model-shaped DataFrames."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data_model.catalog import TREATMENTS

from . import params as P
from .therapies import opioid_plan, opioid_rows, treatment_plan
from .trajectories import baseline_pain, episode_curves, make_visits, true_pain

PATIENT_COLUMNS = ["mrn", "display_name", "birth_year", "sex"]
SURGERY_COLUMNS = ["mrn", "surgery_date", "procedure", "spinal_levels", "surgeon", "notes"]
VISIT_COLUMNS = [
    "mrn",
    "visit_date",
    "back_pain",
    "leg_pain",
    "odi",
    "numbness",
    "tingling",
    "weakness",
    "mme_per_day",
    "notes",
]
TREATMENT_COLUMNS = ["mrn", "code", "start_date", "end_date", "notes"]
ARCHETYPE_COLUMNS = ["mrn", "surgery_date", "surgery_number", "procedure", "archetype"]
MAX_SURGERIES = 3
FOLLOW_UP_DAYS = 3 * 365
FIBROSIS_SHARE = 0.28  # epidural fibrosis explains 20-36 % of pain after spine surgery
# treatments a patient is assessed for before and reviewed after (trajectories._procedure_visits)
PROCEDURE_CODES_WITH_VISITS = tuple(
    code for code, t in TREATMENTS.items() if t.group in ("interventional", "neuromodulation")
)
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, eq=False)
class CohortFrames:
    """The four tables to write, columns as in the models (dates as datetime64, NaN/NaT/None = unknown;
    nerve symptoms 1.0/0.0/NaN), plus the hidden truth per surgery, which is never written."""

    patients: pd.DataFrame
    surgeries: pd.DataFrame
    visits: pd.DataFrame
    treatments: pd.DataFrame
    archetypes: pd.DataFrame

    def counts(self) -> dict[str, int]:
        return {
            "patients": len(self.patients),
            "surgeries": len(self.surgeries),
            "visits": len(self.visits),
            "treatments": len(self.treatments),
        }


def generate_cohort(
    n_patients: int, seed: int = 42, today: date | None = None, visits_per_patient: float | None = None
) -> CohortFrames:
    """A synthetic cohort of n_patients, identical for the same (n_patients, seed, today, visits_per_patient).

    Nothing is dated after `today` (default: date.today()); surgeries spread over the 3 years before it.
    visits_per_patient (None: the calibrated clinic, about 6 visits per patient) adds routine follow-up
    visits every few weeks for everyone until there are about that many per patient (a dense clinic:
    params.DENSE_VISITS_PER_PATIENT gives about two million visits for 100,000 patients).
    """
    if visits_per_patient is not None and not visits_per_patient > 0:
        raise ValueError(f"visits_per_patient: {visits_per_patient!r} must be positive")
    if n_patients < 0:
        raise ValueError(f"n_patients: {n_patients!r} must not be negative")
    # A cohort of no site: the server's date. Callers writing into a site's database pass its today
    # (data_model.clock.site_today), as `paintrail seed` and the demo do.
    today_day = ((today or date.today()) - _EPOCH).days
    rng = np.random.default_rng(seed)
    n = n_patients

    proc = _choose(rng, np.broadcast_to(P.PROCEDURE_SHARES, (n, 4)))
    arch = _choose(rng, P.ARCHETYPE_SHARES[proc])
    day = today_day - rng.integers(0, FOLLOW_UP_DAYS + 1, n)
    back, leg = baseline_pain(rng, proc, arch)
    level = pd.DataFrame(
        {
            "patient": np.arange(n),
            "k": 0,
            "proc": proc,
            "arch": arch,
            "day": day.astype(float),
            "prev_day": -np.inf,
            "base_back": back,
            "base_leg": leg,
            "surgeon": P.SURGEONS[rng.integers(0, len(P.SURGEONS), n)],
            "levels": _levels(rng, proc),
            "notes": None,
        }
    )
    levels, plans, opioid_plans = [], [], []
    for k in range(MAX_SURGERIES):
        level, plan, opioids = _episode_details(rng, level, k)
        revised, delay = _revisions(rng, level, k, today_day)
        level["next_day"] = np.where(revised, level["day"].to_numpy() + delay, np.inf)
        levels.append(level)
        plans.append(plan)
        opioid_plans.append(opioids)
        if not revised.any():
            break
        level = _next_surgery(rng, level, revised, delay, k + 1)

    offsets = np.cumsum([0] + [len(lv) for lv in levels])
    eps = pd.concat(levels, ignore_index=True)
    shifted = [p.assign(episode=p["episode"] + off) for p, off in zip(plans, offsets[:-1], strict=True)]
    plan = pd.concat(shifted, ignore_index=True)
    opioids = pd.concat(opioid_plans, ignore_index=True)
    whole = rng.random(n) < P.INTEGER_ONLY_SHARE
    eps["integer_only"] = whole[eps["patient"].to_numpy()]

    mrn = _mrns(n)
    patients = _patients(rng, mrn, proc, day)
    # routine visits draw from their own stream, so the calibrated cohort is the same with or without them
    routine_rng = np.random.default_rng([seed, 1]) if visits_per_patient is not None else None
    procedures = plan[plan["code"].isin(PROCEDURE_CODES_WITH_VISITS)]
    visits = make_visits(rng, eps, opioids, today_day, visits_per_patient, routine_rng, procedures)
    treatments = _treatments(eps, plan, today_day)

    ep_order = np.lexsort((eps["day"].to_numpy(), eps["patient"].to_numpy()))
    eps = eps.iloc[ep_order]
    ep_mrn = mrn[eps["patient"].to_numpy()]
    surgeries = pd.DataFrame(
        {
            "mrn": ep_mrn,
            "surgery_date": _dates(eps["day"].to_numpy()),
            "procedure": np.asarray(P.PROCEDURES, dtype=object)[eps["proc"].to_numpy()],
            "spinal_levels": eps["levels"].to_numpy(),
            "surgeon": eps["surgeon"].to_numpy(),
            "notes": eps["notes"].to_numpy(),
        }
    )
    archetypes = pd.DataFrame(
        {
            "mrn": ep_mrn,
            "surgery_date": surgeries["surgery_date"].to_numpy(),
            "surgery_number": eps["k"].to_numpy() + 1,
            "procedure": surgeries["procedure"].to_numpy(),
            "archetype": np.asarray(P.ARCHETYPES, dtype=object)[eps["arch"].to_numpy()],
        }
    )
    visit_frame = pd.DataFrame(
        {"mrn": mrn[visits["patient"].to_numpy()], "visit_date": _dates(visits["day"].to_numpy())}
    )
    for column in VISIT_COLUMNS[2:]:
        visit_frame[column] = visits[column].to_numpy()
    return CohortFrames(patients, surgeries, visit_frame, _treatment_frame(treatments, mrn), archetypes)


def _choose(rng: np.random.Generator, shares: np.ndarray) -> np.ndarray:
    """One category index per row of a (rows x categories) share matrix, vectorised."""
    cumulative = np.cumsum(shares, axis=1)
    u = rng.random(shares.shape[0]) * cumulative[:, -1]
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), shares.shape[1] - 1)


def _levels(rng: np.random.Generator, proc: np.ndarray) -> np.ndarray:
    out = np.empty(proc.shape[0], dtype=object)
    for code, (names, shares) in enumerate(P.LEVELS):
        rows = np.flatnonzero(proc == code)
        pick = _choose(rng, np.broadcast_to(np.array(shares), (rows.shape[0], len(shares))))
        out[rows] = np.asarray(names, dtype=object)[pick]
    return out


def _episode_details(
    rng: np.random.Generator, level: pd.DataFrame, k: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Curve parameters, treatments tried, opioid use and nerve-symptom tendencies of one surgery level."""
    proc, arch = level["proc"].to_numpy(), level["arch"].to_numpy()
    n_ep = len(level)
    curves = episode_curves(rng, proc, arch)
    level = pd.concat([level.reset_index(drop=True), curves], axis=1)
    troubled = arch >= P.PERSISTENT
    fibrosis = troubled & (rng.random(n_ep) < FIBROSIS_SHARE)
    plan, t_eff = treatment_plan(rng, arch, curves["late_rfa"].to_numpy(), fibrosis)
    opioids = opioid_plan(rng, arch, np.full(n_ep, k > 0), t_eff)
    plan = pd.concat([plan, opioid_rows(opioids, rng)], ignore_index=True)
    new = troubled & (rng.random(n_ep) < P.NEW_NERVE_SHARE)
    t_new = np.where(arch == P.REBOUND, level["t_reb"].to_numpy() + rng.random(n_ep) * 60, 60 + rng.random(n_ep) * 340)
    which = rng.integers(0, 3, n_ep)
    latent = rng.random((n_ep, 3))
    level = level.assign(
        t_eff=t_eff,
        fibrosis=fibrosis,
        t_new_nerve=np.where(new, np.round(t_new), np.inf),
        new_numb=which == 0,
        new_ting=which == 1,
        new_weak=which == 2,
        u_numb=latent[:, 0],
        u_ting=latent[:, 1],
        u_weak=latent[:, 2],
    )
    return level, plan, opioids


def _revisions(rng: np.random.Generator, level: pd.DataFrame, k: int, today_day: int) -> tuple[np.ndarray, np.ndarray]:
    """Which surgeries of this level are followed by a revision, and after how many days."""
    arch = level["arch"].to_numpy()
    n_ep = len(level)
    if k >= MAX_SURGERIES - 1:
        return np.zeros(n_ep, dtype=bool), np.zeros(n_ep)
    prob = P.REVISION_PROB[arch] * (P.SECOND_REVISION_FACTOR if k > 0 else 1.0)
    lo, hi = P.REVISION_DELAY[arch, 0], P.REVISION_DELAY[arch, 1]
    delay = np.round(lo + rng.random(n_ep) * (hi - lo))
    delay = np.where(arch == P.REBOUND, level["t_reb"].to_numpy() + delay, delay)
    delay = np.where(np.isfinite(delay), delay, 0.0)
    revised = (rng.random(n_ep) < prob) & (level["day"].to_numpy() + delay <= today_day)
    return revised, delay


def _next_surgery(
    rng: np.random.Generator, level: pd.DataFrame, revised: np.ndarray, delay: np.ndarray, k: int
) -> pd.DataFrame:
    """The revision surgeries: procedure, archetype (worse with each repeat) and pre-operative pain."""
    rows = np.flatnonzero(revised)
    prev = level.iloc[rows]
    prev_proc, prev_arch = prev["proc"].to_numpy(), prev["arch"].to_numpy()
    m = rows.shape[0]
    proc = _choose(rng, P.REVISION_PROCEDURE[prev_proc])
    shares = P.ARCHETYPE_SHARES[proc].copy()
    deficit = shares[:, P.FULL] * (1.0 - P.REPEAT_FULL_FACTOR[k])
    shares[:, P.FULL] -= deficit
    shares += deficit[:, None] * P.REPEAT_DEFICIT_TO[None, :]
    arch = _choose(rng, shares)
    back, leg = true_pain(level, rows, delay[rows])
    fresh_back, fresh_leg = baseline_pain(rng, proc, arch)
    # After a full recovery the revision treats a new problem (adjacent segment): fresh pre-op pain.
    new_problem = prev_arch == P.FULL
    back = np.where(new_problem, fresh_back, np.clip(back + rng.normal(0, 0.5, m), 2.0, 10.0))
    leg = np.where(new_problem, fresh_leg, np.clip(leg + rng.normal(0, 0.5, m), 2.0, 10.0))
    note = np.array([0, 4, 2, 3, 4])[prev_arch]
    note = np.where((prev_arch == P.REBOUND) & (prev_proc != P.DISC), 4, note)
    note = np.where((prev_arch == P.PARTIAL) & (prev_proc == P.LAM), 1, note)
    note = np.where((prev_arch == P.PERSISTENT) & (prev_proc == P.FUSION), 4, note)
    same_surgeon = rng.random(m) < 0.6
    other_surgeon = P.SURGEONS[rng.integers(0, len(P.SURGEONS), m)]
    same_levels = rng.random(m) < 0.7
    return pd.DataFrame(
        {
            "patient": prev["patient"].to_numpy(),
            "k": k,
            "proc": proc,
            "arch": arch,
            "day": prev["day"].to_numpy() + delay[rows],
            "prev_day": prev["day"].to_numpy(),
            "base_back": back,
            "base_leg": leg,
            "surgeon": np.where(same_surgeon, prev["surgeon"].to_numpy(), other_surgeon),
            "levels": np.where(same_levels, prev["levels"].to_numpy(), _levels(rng, proc)),
            "notes": P.REVISION_NOTES[note],
        }
    )


def _mrns(n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.array([f"MRN{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _patients(rng: np.random.Generator, mrn: np.ndarray, proc: np.ndarray, day: np.ndarray) -> pd.DataFrame:
    n = mrn.shape[0]
    sex = _choose(rng, np.broadcast_to(P.SEX_SHARES, (n, 4)))
    female, male, last = (np.asarray(x, dtype=object) for x in (P.FEMALE_NAMES, P.MALE_NAMES, P.LAST_NAMES))
    is_female = np.where(sex >= 2, rng.random(n) < 0.5, sex == 0)
    first = np.where(is_female, female[rng.integers(0, len(female), n)], male[rng.integers(0, len(male), n)])
    name = first + " " + last[rng.integers(0, len(last), n)]
    year = day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    age = np.clip(rng.normal(P.AGE_MEAN[proc], P.AGE_SD[proc]), 18, 90)
    birth_year = (year - np.round(age)).astype(np.int64)
    return pd.DataFrame({"mrn": mrn, "display_name": name, "birth_year": birth_year, "sex": P.SEXES[sex]})


def _treatments(eps: pd.DataFrame, plan: pd.DataFrame, today_day: int) -> pd.DataFrame:
    """Treatment rows in absolute days, cut at today and at the next surgery; ends after today are open."""
    e = plan["episode"].to_numpy()
    start = eps["day"].to_numpy()[e] + plan["start_t"].to_numpy()
    end = eps["day"].to_numpy()[e] + plan["end_t"].to_numpy()
    next_day = eps["next_day"].to_numpy()[e]
    ok = (start <= today_day) & (start < next_day)
    out = plan[ok].assign(
        patient=eps["patient"].to_numpy()[e[ok]],
        k=eps["k"].to_numpy()[e[ok]],
        start_day=start[ok],
        end_day=end[ok],
        next_day=next_day[ok],
    )
    # A treatment started again after a revision ended at that surgery: no two open rows of one code.
    again = out[["patient", "k", "code"]].drop_duplicates().assign(k=lambda f: f["k"] - 1, again=True)
    out = out.merge(again, on=["patient", "k", "code"], how="left")
    cut = out["again"].eq(True).to_numpy() & ~(out["end_day"].to_numpy() <= out["next_day"].to_numpy())
    out.loc[cut, "end_day"] = out.loc[cut, "next_day"]
    out.loc[out["end_day"] > today_day, "end_day"] = np.nan
    return out.sort_values(["patient", "start_day", "episode"], kind="stable").reset_index(drop=True)


def _treatment_frame(treatments: pd.DataFrame, mrn: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mrn": mrn[treatments["patient"].to_numpy()],
            "code": treatments["code"].to_numpy(),
            "start_date": _dates(treatments["start_day"].to_numpy()),
            "end_date": _dates(treatments["end_day"].to_numpy()),
            "notes": treatments["notes"].to_numpy(),
        }
    )


def _dates(days: np.ndarray) -> np.ndarray:
    """Day numbers since 1970-01-01 (NaN: unknown) to datetime64[ns] dates (NaT: unknown)."""
    days = np.asarray(days, dtype=float)
    out = np.full(days.shape[0], np.datetime64("NaT"), dtype="datetime64[D]")
    known = np.isfinite(days)
    out[known] = days[known].astype(np.int64).astype("datetime64[D]")
    return out.astype("datetime64[ns]")
