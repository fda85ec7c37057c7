"""Pain curves per recovery archetype and the visits that sample them (registry time points and extras)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import params as P
from .therapies import mme_at


def episode_curves(rng: np.random.Generator, proc: np.ndarray, arch: np.ndarray) -> pd.DataFrame:
    """Per-episode curve parameters: relief, speed, rebound and late-response timing."""
    n_ep = proc.shape[0]
    relief = P.RELIEF[arch, 0] + rng.random(n_ep) * (P.RELIEF[arch, 1] - P.RELIEF[arch, 0])
    tau = P.RECOVERY_TAU_DAYS[proc] * np.exp(rng.normal(0.0, 0.3, n_ep))
    reb_lo, reb_hi = P.REBOUND_DAY[proc, 0], P.REBOUND_DAY[proc, 1]
    t_reb = np.where(arch == P.REBOUND, np.round(reb_lo + rng.random(n_ep) * (reb_hi - reb_lo)), np.inf)
    lo, hi = P.RELIEF_AFTER_REBOUND
    r_after = lo + rng.random(n_ep) * (hi - lo)
    lo, hi = P.RELIEF_LATE_TREATMENT
    r_treat = lo + rng.random(n_ep) * (hi - lo)
    late_rfa = rng.random(n_ep) < P.LATE_RFA_SHARE
    lo, hi = P.RFA_RELIEF_DAYS
    rfa_days = np.round(lo + rng.random(n_ep) * (hi - lo))
    return pd.DataFrame(
        {
            "relief": relief,
            "tau": tau,
            "t_reb": t_reb,
            "r_after": r_after,
            "r_treat": r_treat,
            "late_rfa": late_rfa,
            "rfa_days": rfa_days,
        }
    )


def baseline_pain(rng: np.random.Generator, proc: np.ndarray, arch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pre-operative (back, leg) pain for a new problem."""
    shift = P.BASE_ARCHETYPE_SHIFT[arch]
    back = P.BASE_MEAN[proc, 0] + shift + rng.normal(0.0, P.BASE_SD, proc.shape[0])
    leg = P.BASE_MEAN[proc, 1] + shift + rng.normal(0.0, P.BASE_SD, proc.shape[0])
    return np.clip(back, 2.0, 10.0), np.clip(leg, 2.0, 10.0)


def true_pain(eps: pd.DataFrame, e: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free (back, leg) pain of episode e at t days after its surgery (t < 0: baseline)."""

    def col(name: str) -> np.ndarray:
        return eps[name].to_numpy()[e]

    proc = col("proc")
    tt = np.maximum(t, 0.0)
    relief = col("relief") * (1.0 - np.exp(-tt / col("tau")))
    with np.errstate(invalid="ignore"):
        back_again = np.clip((t - col("t_reb")) / P.REBOUND_RAMP_DAYS, 0.0, 1.0)
        relief = relief * (1.0 - back_again) + col("r_after") * back_again
        since = t - col("t_eff")
        works = np.clip(since / P.TREATMENT_RAMP_DAYS, 0.0, 1.0)
        fades = np.clip((since - col("rfa_days")) / P.RFA_FADE_DAYS, 0.0, 1.0)
    works = np.nan_to_num(works) * np.where(col("late_rfa"), 1.0 - np.nan_to_num(fades), 1.0)
    relief = relief + (col("r_treat") - relief) * works
    post = t >= 0
    back = col("base_back") * (1.0 - relief * P.SITE_RELIEF[proc, 0] * post)
    back = back + post * P.INCISION_BACK_PAIN[proc] * np.exp(-tt / 14.0)
    leg = col("base_leg") * (1.0 - relief * P.SITE_RELIEF[proc, 1] * post)
    return np.clip(back, 0.0, 10.0), np.clip(leg, 0.0, 10.0)


def _visit_times(rng: np.random.Generator, eps: pd.DataFrame) -> pd.DataFrame:
    """Candidate visits (episode, t, kind) before filtering by today and the next surgery."""
    n_ep = len(eps)
    arch = eps["arch"].to_numpy()
    first = eps["k"].to_numpy() == 0
    ep_idx = np.arange(n_ep)

    old_pre = first & (rng.random(n_ep) < P.EARLY_PREOP_VISIT)
    t_old = -np.round(100 + rng.random(n_ep) * 265)
    has_base = rng.random(n_ep) >= P.BASELINE_MISSING
    t_base = -np.minimum(1 + np.round(rng.exponential(18.0, n_ep)), 85)
    t_reg = np.round(P.REGISTRY_DAYS + rng.normal(0.0, 1.0, (n_ep, 4)) * P.REGISTRY_JITTER_SD)
    has_reg = rng.random((n_ep, 4)) >= P.REGISTRY_MISSED

    # Extra visits every 1-3 months while pain persists (partial responders: some, less often).
    start_x = np.full(n_ep, np.inf)
    end_x = np.full(n_ep, np.inf)
    gap_lo = np.full(n_ep, 30.0)
    gap_hi = np.full(n_ep, 90.0)
    start_x[arch == P.PERSISTENT] = 60.0
    rebound = arch == P.REBOUND
    start_x[rebound] = eps["t_reb"].to_numpy()[rebound] + 7 + np.round(rng.random(rebound.sum()) * 23)
    late = arch == P.LATE
    start_x[late] = 60.0
    end_x[late] = eps["t_eff"].to_numpy()[late] + 180.0
    partial = (arch == P.PARTIAL) & (rng.random(n_ep) < P.PARTIAL_EXTRA_SHARE)
    start_x[partial], end_x[partial] = 90.0, 540.0
    gap_lo[partial], gap_hi[partial] = 60.0, 120.0
    seen = np.flatnonzero(np.isfinite(start_x))  # only episodes with extra visits get the slots
    lo, hi = gap_lo[seen, None], gap_hi[seen, None]
    gaps = lo + rng.random((seen.shape[0], P.EXTRA_VISIT_SLOTS)) * (hi - lo)
    t_extra = start_x[seen, None] + np.round(np.cumsum(gaps, axis=1)) - np.round(gaps[:, :1])
    x_rows, x_cols = np.nonzero(t_extra < end_x[seen, None])

    times = np.concatenate([t_old[:, None], t_base[:, None], t_reg], axis=1)
    keep = np.concatenate([old_pre[:, None], has_base[:, None], has_reg], axis=1)
    # kind: 0 older pre-operative, 1 baseline, 2 registry time point, 3 extra
    slot_kinds = np.array([0, 1, 2, 2, 2, 2], dtype=np.int8)
    rows, cols = np.nonzero(keep)
    return pd.DataFrame(
        {
            "episode": np.concatenate([ep_idx[rows], seen[x_rows]]),
            "t": np.concatenate([times[rows, cols], t_extra[x_rows, x_cols]]),
            "kind": np.concatenate([slot_kinds[cols], np.full(x_rows.shape[0], 3, dtype=np.int8)]),
        }
    )


def _routine_times(rng: np.random.Generator, eps: pd.DataFrame, today_day: int, wanted: float) -> pd.DataFrame:
    """Routine follow-up visits (kind 4) for every episode, from ROUTINE_START_DAYS after surgery to the
    next surgery or today, spaced so that about `wanted` of them fall in that span (a dense clinic)."""
    n_ep = len(eps)
    start = eps["day"].to_numpy() + P.ROUTINE_START_DAYS
    stop = np.minimum(eps["next_day"].to_numpy(), today_day + 1.0)
    span = np.maximum(stop - start, 0.0)
    if n_ep == 0 or wanted <= 0 or span.sum() <= 0:
        return pd.DataFrame(
            {
                "episode": np.array([], dtype=np.int64),
                "t": np.array([], dtype=float),
                "kind": np.array([], dtype=np.int8),
            }
        )
    # the mean gap that spreads `wanted` visits over every episode's span, kept within 2 weeks - 3 months
    gap = float(np.clip(span.sum() / wanted, *P.ROUTINE_GAP_BOUNDS_DAYS))
    lo, hi = gap * (1 - P.ROUTINE_GAP_SPREAD), gap * (1 + P.ROUTINE_GAP_SPREAD)
    seen = np.flatnonzero(span > 0)
    slots = int(np.ceil(span.max() / lo)) + 1
    gaps = lo + rng.random((seen.shape[0], slots)) * (hi - lo)
    t = P.ROUTINE_START_DAYS + np.round(np.cumsum(gaps, axis=1) - gaps[:, :1] * rng.random((seen.shape[0], 1)))
    rows, cols = np.nonzero(t < span[seen, None] + P.ROUTINE_START_DAYS)
    return pd.DataFrame({"episode": seen[rows], "t": t[rows, cols], "kind": np.full(len(rows), 4, dtype=np.int8)})


def _dated(eps: pd.DataFrame, v: pd.DataFrame, today_day: int) -> pd.DataFrame:
    """Candidate visits that fall inside their episode (after the surgery before, before the next) and by today."""
    e = v["episode"].to_numpy()
    day = eps["day"].to_numpy()[e] + v["t"].to_numpy()
    next_day = eps["next_day"].to_numpy()[e]
    prev_day = eps["prev_day"].to_numpy()[e]
    ok = (day <= today_day) & (day < next_day) & (day > prev_day)
    return v[ok].assign(day=day[ok].astype(np.int64))


def make_visits(
    rng: np.random.Generator,
    eps: pd.DataFrame,
    opioids: pd.DataFrame,
    today_day: int,
    visits_per_patient: float | None = None,
    routine_rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """Visits with measurements: episode, patient, day (days since 1970-01-01) and the model's columns.

    visits_per_patient (None: the calibrated clinic, about 6) adds routine follow-up visits for everyone
    until the cohort has about that many visits per patient; their times come from routine_rng, so the
    calibrated visits keep their dates."""
    v = _dated(eps, _visit_times(rng, eps), today_day)
    if visits_per_patient is not None:
        n_patients = int(eps["patient"].max()) + 1 if len(eps) else 0
        wanted = visits_per_patient * n_patients - len(v)
        routine = _routine_times(routine_rng or np.random.default_rng(0), eps, today_day, wanted)
        v = pd.concat([v, _dated(eps, routine, today_day)], ignore_index=True)
    v["patient"] = eps["patient"].to_numpy()[v["episode"].to_numpy()]
    # One visit a day per patient; registry and baseline visits win over extras.
    v = v.sort_values(["patient", "day", "kind"], kind="stable").drop_duplicates(["patient", "day"])
    v = v.reset_index(drop=True)
    e, t = v["episode"].to_numpy(), v["t"].to_numpy()
    n = len(v)

    back, leg = true_pain(eps, e, t)
    earlier = v["kind"].to_numpy() == 0  # pain was milder at an earlier pre-operative visit
    back = back - earlier * rng.random(n) * 1.5
    leg = leg - earlier * rng.random(n) * 1.5
    back = np.clip(back + rng.normal(0.0, P.VISIT_NOISE_SD, n), 0.0, 10.0)
    leg = np.clip(leg + rng.normal(0.0, P.VISIT_NOISE_SD, n), 0.0, 10.0)
    whole = eps["integer_only"].to_numpy()[e]
    back = np.where(whole, np.round(back), np.round(back, 1))
    leg = np.where(whole, np.round(leg), np.round(leg, 1))

    worse, milder = np.maximum(back, leg), np.minimum(back, leg)
    odi = 6.0 + 3.6 * worse + 1.2 * milder + rng.normal(0.0, 5.0, n)
    odi = np.clip(2.0 * np.round(odi / 2.0), 0.0, 100.0)  # ODI is scored in steps of 2 %

    nerves = _nerve_symptoms(rng, eps, e, t, leg)

    no_back = rng.random(n) < 0.02
    no_leg = (rng.random(n) < 0.03) & ~no_back
    v["back_pain"] = np.where(no_back, np.nan, back)
    v["leg_pain"] = np.where(no_leg, np.nan, leg)
    v["odi"] = np.where(rng.random(n) < P.ODI_MISSING, np.nan, odi)
    v["numbness"], v["tingling"], v["weakness"] = nerves
    mme = mme_at(opioids, e, t)
    # Once a patient has taken opioids the clinic keeps recording the dose, 0 included.
    patient = eps["patient"].to_numpy()
    ever = np.zeros(patient.max() + 1 if len(patient) else 0, dtype=bool)
    ever[patient[opioids["user"].to_numpy()]] = True
    v["mme_per_day"] = np.where(np.isnan(mme) & ever[patient[e]], 0.0, mme)
    v["notes"] = _visit_notes(rng, eps, v, worse)
    return v


def _nerve_symptoms(
    rng: np.random.Generator, eps: pd.DataFrame, e: np.ndarray, t: np.ndarray, leg: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numbness, tingling, weakness as 1.0/0.0/NaN; a per-episode latent keeps them steady over visits."""
    arch = eps["arch"].to_numpy()[e]
    t_reb = eps["t_reb"].to_numpy()[e]
    shift = np.where((arch == P.REBOUND) & (t < t_reb), 0.0, P.NERVE_ARCHETYPE_SHIFT[arch]) * (t >= 0)
    appeared = t >= eps["t_new_nerve"].to_numpy()[e]
    new = appeared[:, None] * eps[["new_numb", "new_ting", "new_weak"]].to_numpy()[e]
    logit = P.NERVE_INTERCEPT[None, :] + P.NERVE_LEG_SLOPE * leg[:, None] + shift[:, None] + 2.5 * new
    latent = eps[["u_numb", "u_ting", "u_weak"]].to_numpy()[e]
    u = 0.85 * latent + 0.15 * rng.random(latent.shape)
    present = (u < 1.0 / (1.0 + np.exp(-logit))).astype(float)
    present[rng.random(len(e)) < P.NERVE_NOT_RECORDED] = np.nan
    return present[:, 0], present[:, 1], present[:, 2]


GOOD_NOTES = np.array(["Walking tolerance improved", "Back at work", "Sleeping better"], dtype=object)
BAD_NOTES = np.array(
    [
        "Sleep disturbed by pain",
        "Flare after lifting",
        "Requests medication review",
        "Pain worse in the evenings",
    ],
    dtype=object,
)


def _visit_notes(rng: np.random.Generator, eps: pd.DataFrame, v: pd.DataFrame, worse: np.ndarray) -> np.ndarray:
    n = len(v)
    notes = np.full(n, None, dtype=object)
    noted = rng.random(n) < 0.04
    pick = rng.integers(0, 12, n)
    notes[noted] = np.where(
        worse[noted] < 4, GOOD_NOTES[pick[noted] % len(GOOD_NOTES)], BAD_NOTES[pick[noted] % len(BAD_NOTES)]
    )
    # Epidural fibrosis (20-36 % of pain after spine surgery) is found on imaging at a later visit.
    e, t = v["episode"].to_numpy(), v["t"].to_numpy()
    candidates = np.flatnonzero(eps["fibrosis"].to_numpy()[e] & (t >= 120))
    first = pd.Series(candidates).groupby(e[candidates]).first().to_numpy() if len(candidates) else candidates
    notes[first] = "MRI: epidural fibrosis at the operated level"
    return notes
