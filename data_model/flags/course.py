"""Flags about the course of pain over visits: WORSENING and REBOUND."""

# WORSENING, either or both of:
#   rising: the latest post-op visit with a pain score is >= worsening_points above the mean of the
#     worsening_previous_visits (2) post-op visits before it (pain: the worse site per visit; with
#     fewer previous visits there is no trend to judge);
#   above baseline: a site's current mean (recovery.py's recent visits) is >= worsening_points above
#     the same site's baseline (back, leg, unspecified; or, when the MCID compares 'pain', the worse
#     baseline against current pain). The site that rose most is named (ties: leg, back, pain).
#   high when the pain that fired it (the latest visit's, or the site's current mean) is
#   >= severe_pain_threshold, else medium.
# REBOUND: an initial meaningful improvement, then pain back. The measure is the MCID measure's
#   site (leg, back, or 'pain' = the worse site) when there is a pain baseline, else 'pain'.
#   best = the lowest post-op score of that measure before its latest visit (earliest on a tie).
#   With a pain baseline: best met the MCID against it, and now mcid_met is False and the current
#   mean >= best + rebound_points. Without: best is >= mcid_nrs_points below the first post-op score,
#   and now current_pain >= best + rebound_points and >= persistent_pain_threshold.
#   high when the current score >= severe_pain_threshold, else medium.

from __future__ import annotations

import numpy as np
import pandas as pd

from ..arrays import segment_ends, segment_starts, without_noise
from ..recovery import mcid_target
from .input import (
    FlagInput,
    empty_flags,
    make_flags,
    num,
    one_decimal,
    per_distinct,
    rounded,
    score_phrase,
    severity_text,
    week_text,
)
from .timeline import take


def worsening(inp: FlagInput) -> pd.DataFrame:
    """WORSENING: pain rising over the latest visits, or a site's current pain above its baseline."""
    s, st, tl = inp.settings, inp.status, inp.timeline
    k = s.worsening_previous_visits
    rows = tl.latest(tl.post_pain, k + 1)
    latest = take(tl.pain, rows[0])
    before = np.column_stack([take(tl.pain, r) for r in rows[1:]]).mean(axis=1)  # NaN if fewer
    rise = without_noise(latest - before)
    rising = rise >= s.worsening_points

    sites = ("leg", "back", "pain", "pain")
    overall = (st["mcid_measure"] == "pain").to_numpy()
    current = np.column_stack(
        [
            st["current_leg"],
            st["current_back"],
            st["current_unspecified"],
            np.where(overall, st["current_pain"], np.nan),
        ]
    )
    baseline = np.column_stack(
        [
            st["baseline_leg"],
            st["baseline_back"],
            st["baseline_unspecified"],
            np.where(overall, st["mcid_baseline"], np.nan),
        ]
    )
    rises = without_noise(current - baseline)
    best = np.fmax.reduce(rises, axis=1)
    above = best >= s.worsening_points
    which = np.argmax(np.nan_to_num(rises, nan=-np.inf) == best[:, None], axis=1)  # first: tie order

    if not (rising | above).any():
        return empty_flags()
    cur, base = current[np.arange(len(st)), which], baseline[np.arange(len(st)), which]
    severe = (rising & (latest >= s.severe_pain_threshold)) | (above & (cur >= s.severe_pain_threshold))
    reason = np.full(len(st), "", dtype=object)
    # text only for the rows that show it: string work is the slow part of a vectorised rule
    r = np.flatnonzero(rising)
    if len(r):
        previous = f" from a mean of {{}} over the {k} visits before" if k > 1 else " from {} at the visit before"
        head, tail = previous.split("{}")
        week = take(tl.since, rows[0][r], 0) / 7
        reason[r] = "Pain rising to " + num(latest[r]) + "/10 at week " + week_text(week) + head + num(before[r]) + tail
    a = np.flatnonzero(above)
    if len(a):
        site = np.array(sites, dtype=object)[which[a]]
        f = st.iloc[a]
        counts = np.column_stack(
            [f["current_leg_visits"], f["current_back_visits"], f["current_unspecified_visits"], _worse_site_visits(f)]
        )[np.arange(len(a)), which[a]]
        named = score_phrase(site, cur[a], counts, f["last_visit_week"].to_numpy(), capital=~rising[a])
        rise_text = per_distinct(
            [rounded(best[a])], lambda up: f", {one_decimal(up)} point{'' if up == 1 else 's'} above its baseline of "
        )
        text = named + rise_text + num(base[a])
        reason[a] = np.where(rising[a], reason[a] + "; " + text, text)
    hit = rising | above
    return make_flags(st["patient_id"].to_numpy()[hit], "WORSENING", severity_text(severe[hit]), reason[hit])


def _worse_site_visits(st: pd.DataFrame) -> np.ndarray:
    site = st["current_site"]
    return np.select(
        [site == "back", site == "leg"],
        [st["current_back_visits"], st["current_leg_visits"]],
        st["current_unspecified_visits"],
    )


def _first_per_patient(pos: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """For rows sorted by patient position: per position, the first row index where mask holds (-1: none)."""
    out = np.full(n, -1, dtype="int64")
    rows = np.flatnonzero(mask)
    if len(rows):
        firsts = rows[segment_starts(pos[rows])]
        out[pos[firsts]] = firsts
    return out


def rebound(inp: FlagInput) -> pd.DataFrame:
    """REBOUND: pain back after an initial meaningful improvement (re-herniation, a block wearing off)."""
    s, st, tl = inp.settings, inp.status, inp.timeline
    n = len(st)
    # 1 leg, 2 back, 3 'pain' (the worse site), 0 no pain baseline (ODI or nothing to compare)
    code = st["mcid_measure"].map({"leg": 1, "back": 2, "pain": 3}).fillna(0).to_numpy("int64")
    with_baseline = code > 0
    now = np.where(with_baseline, st["mcid_current"], st["current_pain"])
    # only patients whose pain is not (or no longer) a success can have rebounded: read their visits alone
    not_met = st["mcid_met"].eq(False).fillna(False).to_numpy()
    candidate = np.where(with_baseline, not_met, now >= s.persistent_pain_threshold)
    rows = np.flatnonzero(candidate[tl.pos] & tl.post)
    if len(rows) == 0:
        return empty_flags()
    pos, day, pain = tl.pos[rows], tl.day[rows], tl.pain[rows]
    c = code[pos]
    value = np.where(c == 1, tl.column("leg_pain")[rows], np.where(c == 2, tl.column("back_pain")[rows], pain))
    valid = ~np.isnan(value)
    last = _last_per_patient(pos, valid, n)
    earlier = np.flatnonzero(valid & (day < take(day, last, np.iinfo("int64").max)[pos]))
    if len(earlier) == 0:
        return empty_flags()
    p, v = pos[earlier], value[earlier]
    new = segment_starts(p)
    starts, seg = np.flatnonzero(new), np.cumsum(new) - 1
    low = np.minimum.reduceat(v, starts)
    first_low = np.minimum.reduceat(np.where(v == low[seg], np.arange(len(v)), len(v)), starts)
    best, best_row = np.full(n, np.nan), np.full(n, -1)
    best[p[starts]], best_row[p[starts]] = low, earlier[first_low]  # best_row indexes `rows`

    mcid_baseline = st["mcid_baseline"].to_numpy("float64")
    improved_vs_baseline = without_noise(best) <= without_noise(mcid_target(mcid_baseline, s))
    first_row = _first_per_patient(pos, ~np.isnan(pain), n)
    first_pain = take(pain, first_row)
    improved_from_first = without_noise(first_pain - best) >= s.mcid_nrs_points
    back_up = without_noise(now - best) >= s.rebound_points
    hit = candidate & back_up & np.where(with_baseline, improved_vs_baseline, improved_from_first)
    if not hit.any():
        return empty_flags()
    h = np.flatnonzero(hit)
    f = st.iloc[h]
    site = np.array(["pain", "leg", "back", "pain"], dtype=object)[code[h]]
    counts = np.where(with_baseline[h], f["mcid_visits"], _worse_site_visits(f))
    since = tl.since[rows]
    known = with_baseline[h]
    # pieces of few values each are formatted once per value, then joined row by row
    after = per_distinct([rounded(best[h])], lambda b: f" after {one_decimal(b)}/10 at week ")
    best_week = week_text(take(since, best_row[h], 0) / 7)
    context = per_distinct(
        [known, rounded(np.where(known, mcid_baseline[h], first_pain[h]))],
        lambda with_base, v: (
            f"; baseline {one_decimal(v)}"
            if with_base
            else f"; no pain baseline, first post-op pain {one_decimal(v)}/10 at week "
        ),
    )
    u = ~known
    context[u] = context[u] + week_text(take(since, first_row[h][u], 0) / 7)
    head = score_phrase(site, now[h], counts, f["last_visit_week"].to_numpy(), verb="back to ")
    reason = head + after + best_week + (" (relief then return)" + context)
    return make_flags(f, "REBOUND", severity_text(now[h] >= s.severe_pain_threshold), reason)


def _last_per_patient(pos: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """For rows sorted by patient position: per position, the last row index where mask holds (-1: none)."""
    out = np.full(n, -1, dtype="int64")
    rows = np.flatnonzero(mask)
    if len(rows):
        lasts = rows[segment_ends(pos[rows])]
        out[pos[lasts]] = lasts
    return out
