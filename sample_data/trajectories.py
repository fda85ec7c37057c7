"""Pain curves per recovery archetype and the visits that sample them (registry time points and extras)."""

from __future__ import annotations

from dataclasses import dataclass

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


def _visit_times(rng: np.random.Generator, eps: pd.DataFrame, procedures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Candidate visits (episode, t, kind, note) before filtering by today and the next surgery.

    procedures: the injections and neuromodulation procedures of the episodes (episode, code, start_t),
    each with an assessment before it and a review after it, some of the time."""
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

    times = np.concatenate([t_old[:, None], t_base[:, None], t_reg], axis=1)
    keep = np.concatenate([old_pre[:, None], has_base[:, None], has_reg], axis=1)
    # kind: 0 older pre-operative, 1 baseline, 2 registry time point, 3 unscheduled
    slot_kinds = np.array([0, 1, 2, 2, 2, 2], dtype=np.int8)
    rows, cols = np.nonzero(keep)
    parts = [_early_reviews(rng, arch), _flare_visits(rng, eps)]
    if procedures is not None and len(procedures):
        parts += _procedure_visits(rng, procedures)
    # one frame from arrays: pandas' concat of frames with an all-None column inspects every value
    n_unscheduled = sum(len(p.episode) for p in parts)
    return pd.DataFrame(
        {
            "episode": np.concatenate([ep_idx[rows], *(p.episode for p in parts)]),
            "t": np.concatenate([times[rows, cols], *(p.t for p in parts)]),
            "kind": np.concatenate([slot_kinds[cols], np.full(n_unscheduled, 3, dtype=np.int8)]),
            "note": np.concatenate([np.full(len(rows), None, dtype=object), *(p.notes() for p in parts)]),
        }
    )


@dataclass(frozen=True)
class _Unscheduled:
    """Unscheduled candidate visits: episode, days after its surgery, and why (a note), when the clinic writes it."""

    episode: np.ndarray
    t: np.ndarray
    note: np.ndarray | None = None

    def notes(self) -> np.ndarray:
        return np.full(len(self.episode), None, dtype=object) if self.note is None else self.note


def _early_reviews(rng: np.random.Generator, arch: np.ndarray) -> _Unscheduled:
    """A wound or early pain problem in the first weeks after surgery (params.EARLY_REVIEW_SHARE)."""
    n_ep = arch.shape[0]
    lo, hi = P.EARLY_REVIEW_DAYS
    t = np.round(lo + rng.random(n_ep) * (hi - lo))
    early = np.flatnonzero(rng.random(n_ep) < P.EARLY_REVIEW_SHARE[arch])
    return _Unscheduled(early, t[early])


def _flare_visits(rng: np.random.Generator, eps: pd.DataFrame) -> _Unscheduled:
    """Visits while pain persists or after it returns, from a first visit spread over the weeks the
    patient takes to come back, at log-normal gaps (params.FLARE_*); partial responders: some, for a year."""
    n_ep = len(eps)
    arch = eps["arch"].to_numpy()
    wait = rng.gamma(2.0, 0.5, n_ep)  # mean 1, rarely near 0: no crowd on the first possible day
    partial = arch == P.PARTIAL
    troubled = np.isfinite(P.FLARE_FIRST_AFTER_DAYS[arch]) & (~partial | (rng.random(n_ep) < P.PARTIAL_EXTRA_SHARE))
    rebound = arch == P.REBOUND
    lo, hi = P.PARTIAL_EXTRA_UNTIL_DAYS
    until = np.full(n_ep, np.inf)
    until[partial] = np.round(lo + rng.random(partial.sum()) * (hi - lo))
    late = arch == P.LATE
    until[late] = eps["t_eff"].to_numpy()[late] + P.LATE_EXTRA_AFTER_TREATMENT_DAYS
    seen = np.flatnonzero(troubled)
    a = arch[seen]
    start = P.FLARE_FIRST_AFTER_DAYS[a] + wait[seen] * P.FLARE_FIRST_MEAN_DAYS[a]
    start = np.where(rebound[seen], eps["t_reb"].to_numpy()[seen] + start, start)
    spread = np.exp(rng.normal(0.0, P.FLARE_GAP_SIGMA, (seen.shape[0], P.EXTRA_VISIT_SLOTS)))
    gaps = np.clip(P.FLARE_GAP_DAYS[a, None] * spread, *P.FLARE_GAP_BOUNDS_DAYS)
    t = np.round(start[:, None] + np.cumsum(gaps, axis=1) - gaps[:, :1])
    x_rows, x_cols = np.nonzero(t < until[seen, None])
    return _Unscheduled(seen[x_rows], t[x_rows, x_cols])


def _procedure_visits(rng: np.random.Generator, procedures: pd.DataFrame) -> list[_Unscheduled]:
    """An assessment before an injection or neuromodulation procedure and a review of its effect after."""
    from data_model.catalog import TREATMENTS  # the labels the notes name the procedure by

    m = len(procedures)
    episode, start = procedures["episode"].to_numpy(), procedures["start_t"].to_numpy()
    codes, distinct = pd.factorize(procedures["code"])
    label = np.array([TREATMENTS[c].label.lower() for c in distinct], dtype=object)[codes]
    lo, hi = P.PROCEDURE_ASSESSMENT_DAYS_BEFORE
    before = start - np.round(lo + rng.random(m) * (hi - lo))
    lo, hi = P.PROCEDURE_REVIEW_DAYS_AFTER
    after = start + np.round(lo + rng.random(m) * (hi - lo))
    # after surgery only: an assessment on or before surgery day would read as the baseline
    assess = (rng.random(m) < P.PROCEDURE_ASSESSMENT) & (before >= 1)
    review = rng.random(m) < P.PROCEDURE_REVIEW
    return [
        _Unscheduled(episode[assess], before[assess], "Assessment before " + label[assess]),
        _Unscheduled(episode[review], after[review], "Review after " + label[review]),
    ]


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
    procedures: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Visits with measurements: episode, patient, day (days since 1970-01-01) and the model's columns.

    visits_per_patient (None: the calibrated clinic, about 6) adds routine follow-up visits for everyone
    until the cohort has about that many visits per patient; their times come from routine_rng, so the
    calibrated visits keep their dates. procedures: the episodes' injections and neuromodulation
    procedures (episode, code, start_t), with visits around them."""
    v = _dated(eps, _visit_times(rng, eps, procedures), today_day)
    if visits_per_patient is not None:
        n_patients = int(eps["patient"].max()) + 1 if len(eps) else 0
        wanted = visits_per_patient * n_patients - len(v)
        routine = _routine_times(routine_rng or np.random.default_rng(0), eps, today_day, wanted)
        routine = _dated(eps, routine, today_day)
        # the notes apart: pandas' concat of an object column that is all None in one piece inspects every value
        note = np.concatenate([v.pop("note").to_numpy(object), np.full(len(routine), None, dtype=object)])
        v = pd.concat([v, routine], ignore_index=True).assign(note=note)
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
    return v.drop(columns="note")


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
    # a visit made for a procedure says so, as the clinic writes why the patient came
    reason = v["note"].to_numpy(object)
    given = pd.notna(reason)
    notes[given] = reason[given]
    # Epidural fibrosis (20-36 % of pain after spine surgery) is found on imaging at a later visit.
    e, t = v["episode"].to_numpy(), v["t"].to_numpy()
    candidates = np.flatnonzero(eps["fibrosis"].to_numpy()[e] & (t >= 120))
    first = pd.Series(candidates).groupby(e[candidates]).first().to_numpy() if len(candidates) else candidates
    notes[first] = "MRI: epidural fibrosis at the operated level"
    return notes
