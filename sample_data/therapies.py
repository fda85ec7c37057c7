"""Treatments tried after each synthetic surgery, in the catalogue's stepped order, and opioid use."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import params as P

# code, inclusion chance per archetype (full, partial, persistent, rebound, late),
# gap in days after the previous step (low, high), duration in days (low, high) or None for a
# one-off procedure, share still ongoing. Rows follow the catalogue's stepped order; opioids come
# from the opioid model below, and complementary therapies are placed independently.
LADDER: tuple[tuple[str, tuple[float, ...], tuple[int, int], tuple[int, int] | None, float], ...] = (
    ("nsaid", (0.45, 0.60, 0.70, 0.60, 0.70), (0, 14), (14, 120), 0.15),
    ("neuropathic_agent", (0.08, 0.30, 0.60, 0.50, 0.55), (0, 45), (60, 365), 0.45),
    ("muscle_relaxant", (0.12, 0.25, 0.35, 0.30, 0.35), (0, 30), (7, 60), 0.05),
    ("antidepressant", (0.02, 0.08, 0.30, 0.15, 0.25), (14, 90), (90, 365), 0.50),
    ("physical_therapy", (0.40, 0.65, 0.80, 0.70, 0.80), (14, 60), (42, 112), 0.0),
    ("cbt", (0.01, 0.08, 0.35, 0.15, 0.30), (30, 120), (56, 120), 0.10),
    ("epidural_steroid_injection", (0.02, 0.20, 0.55, 0.45, 0.50), (30, 120), None, 0.0),
    ("medial_branch_block", (0.0, 0.06, 0.30, 0.10, 0.30), (14, 90), None, 0.0),
    ("radiofrequency_ablation", (0.0, 0.04, 0.18, 0.05, 0.0), (14, 60), None, 0.0),
    ("sacroiliac_joint_injection", (0.0, 0.04, 0.12, 0.05, 0.10), (14, 90), None, 0.0),
    ("adhesiolysis", (0.0, 0.01, 0.04, 0.03, 0.04), (30, 120), None, 0.0),
    ("scs_trial", (0.0, 0.01, 0.18, 0.04, 0.0), (30, 180), (5, 10), 0.0),
    ("scs_implant", (0.0, 0.0, 0.0, 0.0, 0.0), (10, 30), None, 0.0),
    ("peripheral_nerve_stimulation", (0.0, 0.005, 0.04, 0.02, 0.02), (30, 120), None, 0.0),
)
COMPLEMENTARY: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("acupuncture", (0.03, 0.08, 0.15, 0.08, 0.12)),
    ("massage", (0.04, 0.08, 0.12, 0.08, 0.10)),
    ("other_complementary", (0.01, 0.03, 0.06, 0.03, 0.05)),
)
CODES = np.array([row[0] for row in LADDER] + [row[0] for row in COMPLEMENTARY] + ["opioid"], dtype=object)
_COL = {code: i for i, code in enumerate(CODES)}
SCS_IMPLANT_AFTER_TRIAL = 0.55
ADHESIOLYSIS_IF_FIBROSIS = 0.35
MBB_BEFORE_RFA = 0.9
OUT_OF_ORDER_SHARE = 0.08
OUT_OF_ORDER_SD_DAYS = 45.0


def _uniform(rng: np.random.Generator, bounds: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    return bounds[..., 0] + rng.random(size) * (bounds[..., 1] - bounds[..., 0])


def treatment_plan(
    rng: np.random.Generator, arch: np.ndarray, late_rfa: np.ndarray, fibrosis: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Treatment rows (episode, code, start_t, end_t, notes; days after surgery) and each episode's
    effective-treatment day for late responders (inf otherwise)."""
    n_ep: int = arch.shape[0]
    n_ladder = len(LADDER)
    prob = np.array([row[1] for row in LADDER]).T[arch]  # episodes x ladder
    prob[:, _COL["adhesiolysis"]] = np.where(fibrosis, ADHESIOLYSIS_IF_FIBROSIS, prob[:, _COL["adhesiolysis"]])
    take = rng.random((n_ep, n_ladder)) < prob
    late = arch == P.LATE
    # Late responders get the treatment that works for them (a diagnostic block comes before RFA).
    take[:, _COL["radiofrequency_ablation"]] |= late & late_rfa
    take[:, _COL["medial_branch_block"]] |= late & late_rfa & (rng.random(n_ep) < MBB_BEFORE_RFA)
    take[:, _COL["scs_trial"]] |= late & ~late_rfa
    implant = take[:, _COL["scs_trial"]] & ((rng.random(n_ep) < SCS_IMPLANT_AFTER_TRIAL) | (late & ~late_rfa))
    take[:, _COL["scs_implant"]] = implant

    gap_bounds = np.array([row[2] for row in LADDER], dtype=float)
    gaps = _uniform(rng, gap_bounds, (n_ep, n_ladder)) * take
    start = np.cumsum(gaps, axis=1)
    shuffled = rng.random(n_ep) < OUT_OF_ORDER_SHARE
    start += shuffled[:, None] * rng.normal(0.0, OUT_OF_ORDER_SD_DAYS, (n_ep, n_ladder))
    start = np.maximum(np.round(start), 0.0)

    eff_col = np.where(late_rfa, _COL["radiofrequency_ablation"], _COL["scs_implant"])
    t_eff = np.where(late, start[np.arange(n_ep), eff_col], np.inf)

    durations = np.array([row[3] or (0, 0) for row in LADDER], dtype=float)
    one_off = np.array([row[3] is None for row in LADDER])
    ongoing_share = np.array([row[4] for row in LADDER])
    # Long-running medication is more often still taken by patients whose pain persists.
    ongoing_share = ongoing_share[None, :] * np.where(arch >= P.PERSISTENT, 1.5, 0.7)[:, None]
    end = start + np.round(_uniform(rng, durations, (n_ep, n_ladder)))
    end[:, one_off] = np.nan
    end[rng.random((n_ep, n_ladder)) < ongoing_share] = np.nan

    e_idx, c_idx = np.nonzero(take)
    ladder = pd.DataFrame(
        {"episode": e_idx, "code": CODES[c_idx], "start_t": start[e_idx, c_idx], "end_t": end[e_idx, c_idx]}
    )
    notes = np.full(len(ladder), None, dtype=object)
    code = ladder["code"].to_numpy()
    trial = code == "scs_trial"
    notes[trial] = np.where(implant[e_idx[trial]], "Trial successful (>50 % relief)", "Trial unsuccessful")
    esi = code == "epidural_steroid_injection"
    notes[esi] = np.where(rng.random(esi.sum()) < 0.6, "Transforaminal", "Interlaminar")
    notes[code == "radiofrequency_ablation"] = "Lumbar medial branches, bilateral"
    notes[code == "adhesiolysis"] = "For epidural fibrosis"
    ladder["notes"] = notes

    comp_prob = np.array([row[1] for row in COMPLEMENTARY]).T[arch]
    comp_take = rng.random(comp_prob.shape) < comp_prob
    ce, cc = np.nonzero(comp_take)
    comp_start = np.round(30 + rng.random(len(ce)) * 570)
    comp = pd.DataFrame(
        {
            "episode": ce,
            "code": CODES[n_ladder + cc],
            "start_t": comp_start,
            "end_t": comp_start + np.round(30 + rng.random(len(ce)) * 90),
            "notes": None,
        }
    )
    return pd.concat([ladder, comp], ignore_index=True), t_eff


def opioid_plan(rng: np.random.Generator, arch: np.ndarray, repeat: np.ndarray, t_eff: np.ndarray) -> pd.DataFrame:
    """Per-episode opioid use: user, pre-operative use, dose (MME/day), stop day (inf: long term)."""
    n_ep = arch.shape[0]
    user = rng.random(n_ep) < P.OPIOID_USER[arch] + P.OPIOID_REPEAT_EXTRA * repeat
    preop = user & (rng.random(n_ep) < P.OPIOID_PREOP_SHARE)
    dose = np.exp(rng.normal(P.OPIOID_LOG_MEDIAN, P.OPIOID_LOG_SD, n_ep))
    dose = np.maximum(np.round(dose / 2.5) * 2.5, 5.0)
    long_term = rng.random(n_ep) < P.OPIOID_LONG_TERM[arch]
    stop = _uniform(rng, P.OPIOID_STOP_DAYS[arch].astype(float), (n_ep,))
    stop = np.where(arch == P.LATE, np.where(np.isfinite(t_eff), t_eff, 0.0) + stop, stop)
    stop = np.where(long_term, np.inf, np.round(stop))
    escalate = long_term & (rng.random(n_ep) < P.OPIOID_ESCALATE_SHARE)
    return pd.DataFrame({"user": user, "preop": preop, "dose": dose, "stop_t": stop, "escalate": escalate})


def opioid_rows(plan: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The `opioid` treatment row of each user episode, starting at or just after surgery."""
    users = np.flatnonzero(plan["user"].to_numpy())
    start = np.round(rng.random(len(users)) * 2)
    stop = plan["stop_t"].to_numpy()[users]
    # numpy's stubs leave None out of ArrayLike; np.where takes it as an object scalar
    notes = np.where(plan["preop"].to_numpy()[users], "Continued from pre-operative use", None)  # type: ignore[call-overload]
    return pd.DataFrame(
        {
            "episode": users,
            "code": "opioid",
            "start_t": start,
            "end_t": np.where(np.isfinite(stop), np.maximum(stop, start), np.nan),
            "notes": notes,
        }
    )


def mme_at(plan: pd.DataFrame, episode: np.ndarray, t: np.ndarray) -> np.ndarray:
    """MME/day recorded at a visit: the dose while taken, 0 after stopping, unknown for non-users."""
    user = plan["user"].to_numpy()[episode]
    preop = plan["preop"].to_numpy()[episode]
    dose = plan["dose"].to_numpy()[episode]
    stop = plan["stop_t"].to_numpy()[episode]
    dose = np.where(plan["escalate"].to_numpy()[episode] & (t > 180), np.round(dose * 1.5 / 2.5) * 2.5, dose)
    taking = np.where(t < 0, preop, t <= stop)
    return np.where(user, np.where(taking, dose, 0.0), np.nan)
