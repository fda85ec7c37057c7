"""Flags about the course of pain over visits: WORSENING and REBOUND."""

# WORSENING, either or both of:
#   rising: the mean of the recent post-op visits with a pain score (the latest one and those within
#     recent_visit_days of it, at most recent_visit_max) is >= worsening_points above the mean of
#     the worsening_previous_visits (2) post-op visits before them (pain: the worse site per visit;
#     with fewer previous visits there is no trend to judge). Post-op: after the index surgery,
#     the most recent one. One visit decides only when it is the only recent one;
#   above baseline: a site's current mean (recovery.py's recent visits) is >= worsening_points above
#     the same site's baseline (back, leg, unspecified; or, when the MCID compares 'pain', the worse
#     baseline against current pain). The site that rose most is named (ties: leg, back, pain).
#   high when the pain that fired it (the recent visits' mean, or the site's current mean) is
#   >= severe_pain_threshold, else medium.
# REBOUND, for each site on its own (leg, back, unspecified pain), both of:
#   relief that lasted: on rebound_relief_visits (2) post-op visits in a row the site's score met
#     relief (the MCID against that site's baseline, or PASS: <= acceptable_pain_max), or the recent-visit
#     mean ending at a visit (visits within recent_visit_days, at most recent_visit_max, at least
#     rebound_relief_visits of them) did; the relief level is that mean, the deepest relief wins
#     (earliest on a tie), and it ends before the site's latest post-op score;
#   a sustained return: the site's current mean (recovery.py) >= relief level + rebound_points and
#     >= persistent_pain_threshold. The MCID against the old baseline need not be lost (pain 9 -> 1
#     -> 7 is a rebound although 7 is 2 below 9).
#   One flag per patient, a sentence per site (leg first); high when a returned site's current
#   mean >= severe_pain_threshold, else medium.

from __future__ import annotations

import numpy as np
import pandas as pd

from ..arrays import NO_DAY, segment_ends, segment_starts, without_noise
from ..recovery import mcid_target
from .input import (
    FlagInput,
    dated_days,
    empty_flags,
    g,
    make_flags,
    num,
    one_decimal,
    per_distinct,
    rounded,
    score_phrase,
    severity_text,
    week_text,
    when_text,
)
from .timeline import iso, take


def worsening(inp: FlagInput) -> pd.DataFrame:
    """WORSENING: pain rising over the latest visits, or a site's current pain above its baseline."""
    s, st, tl = inp.settings, inp.status, inp.timeline
    k, m = s.worsening_previous_visits, s.recent_visit_max
    n = len(st)
    known = st["surgery_known"].to_numpy(bool)
    rows = tl.latest(tl.post_pain, m + k)  # post-op only: the index surgery is the most recent one
    day_ = np.stack([take(tl.day, r, np.iinfo("int64").min) for r in rows])
    pain_ = np.stack([take(tl.pain, r) for r in rows])
    # the recent visits: the latest and those within recent_visit_days of it, at most recent_visit_max
    recent = (rows >= 0) & (day_ >= day_[0] - s.recent_visit_days)
    recent[m:] = False
    count = recent.sum(axis=0)
    latest = np.where(recent, pain_, 0.0).sum(axis=0) / np.maximum(count, 1)
    latest[count == 0] = np.nan
    # the k visits before the recent ones (NaN when there are fewer: no trend to judge)
    before = np.column_stack([pain_[count + j, np.arange(n)] for j in range(k)]).mean(axis=1)
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
        # without a recorded surgery (fbss.py) the visit's date, not weeks since an unknown day
        on = np.where(known[r], NO_DAY, take(tl.day, rows[0][r], NO_DAY))
        mean = np.where(count[r] > 1, "/10 (mean of " + count[r].astype(str).astype(object) + " visits)", "/10")
        reason[r] = "Pain rising to " + num(latest[r]) + mean + when_text(week, on) + head + num(before[r]) + tail
    a = np.flatnonzero(above)
    if len(a):
        site = np.array(sites, dtype=object)[which[a]]
        f = st.iloc[a]
        counts = np.column_stack(
            [f["current_leg_visits"], f["current_back_visits"], f["current_unspecified_visits"], _worse_site_visits(f)]
        )[np.arange(len(a)), which[a]]
        named = score_phrase(
            site, cur[a], counts, f["last_visit_week"].to_numpy(), capital=~rising[a], on=dated_days(f)
        )
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


REBOUND_SITES = (("leg", "leg_pain"), ("back", "back_pain"), ("unspecified", "pain_unspecified"))
_REBOUND_SITE_NAME = {"leg": "leg", "back": "back", "unspecified": "pain"}


def _relief_windows(
    v: np.ndarray, p: np.ndarray, d: np.ndarray, relieved: np.ndarray, k: int, recent_days: int, recent_max: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row i (one site's post-op scores in (patient, date) order): the relief level ending at i
    (NaN: none), and the row its relief began at. Relief holds when the k rows ending at i all meet
    it (their mean is the level: NaN when they do not), and the recent-visit mean ending at i (rows
    within recent_days of row i, at most recent_max), how many rows it has and the row it begins at."""
    n = len(v)
    idx = np.arange(n)
    # k in a row, all relieved
    run_ok = relieved.copy()
    run_sum = v.copy()
    for j in range(1, k):
        prev = idx - j
        same = (prev >= 0) & (p[np.maximum(prev, 0)] == p)
        run_ok &= same & relieved[np.maximum(prev, 0)]
        run_sum = run_sum + np.where(same, v[np.maximum(prev, 0)], np.nan)
    run_level = np.where(run_ok, run_sum / k, np.nan)
    # the recent-visit mean ending at i
    total, count, first = v.copy(), np.ones(n, dtype="int64"), idx.copy()
    for j in range(1, recent_max):
        prev = idx - j
        ok = (prev >= 0) & (p[np.maximum(prev, 0)] == p) & (d - d[np.maximum(prev, 0)] <= recent_days)
        ok &= count == j  # the window is contiguous: a gap ends it
        total = total + np.where(ok, v[np.maximum(prev, 0)], 0.0)
        count = count + ok
        first = np.where(ok, prev, first)
    mean = total / count
    return run_level, mean, count, first


def rebound(inp: FlagInput) -> pd.DataFrame:
    """REBOUND: per site, pain back after relief that lasted (re-herniation, a block wearing off)."""
    s, st, tl = inp.settings, inp.status, inp.timeline
    n = len(st)
    k = s.rebound_relief_visits
    reasons = np.full(n, "", dtype=object)
    severe = np.zeros(n, dtype=bool)
    for site, column in REBOUND_SITES:
        now = st[f"current_{site}"].to_numpy("float64")
        count_now = st[f"current_{site}_visits"].to_numpy("int64")
        baseline = st[f"baseline_{site}"].to_numpy("float64")
        # a return must reach the persistent-pain threshold: only those patients' visits are read
        candidate = without_noise(now) >= s.persistent_pain_threshold
        values = tl.column(column)
        rows = np.flatnonzero(candidate[tl.pos] & tl.post & ~np.isnan(values))
        if len(rows) == 0:
            continue
        p, d, v = tl.pos[rows], tl.day[rows], values[rows]
        target = mcid_target(baseline, s)[p]  # NaN without a baseline: only PASS can relieve

        def relieved(x: np.ndarray, target: np.ndarray = target) -> np.ndarray:
            x = without_noise(x)
            return (x <= without_noise(target)) | (x <= s.acceptable_pain_max)

        run_level, mean, count, first = _relief_windows(
            v, p, d, relieved(v), k, s.recent_visit_days, s.recent_visit_max
        )
        mean_level = np.where((count >= k) & relieved(mean), mean, np.nan)
        level = np.fmin(run_level, mean_level)
        begin = np.where(
            ~np.isnan(run_level) & ((run_level <= mean_level) | np.isnan(mean_level)),
            np.arange(len(v)) - (k - 1),
            first,
        )
        # relief must end before the patient's latest score of the site: the return comes after it
        last = _last_per_patient(p, np.ones(len(p), dtype=bool), n)
        level[np.arange(len(v)) >= last[p]] = np.nan
        ok = np.flatnonzero(~np.isnan(level))
        if len(ok) == 0:
            continue
        # per patient the deepest relief (earliest on a tie)
        order = ok[np.lexsort((ok, level[ok], p[ok]))]
        best = order[segment_starts(p[order])]
        who = p[best]
        hit = without_noise(now[who] - level[best]) >= s.rebound_points
        best, who = best[hit], who[hit]
        if len(who) == 0:
            continue
        f = st.iloc[who]
        name = _REBOUND_SITE_NAME[site]
        head = score_phrase(
            np.full(len(who), "pain" if site == "unspecified" else site, dtype=object),
            now[who],
            count_now[who],
            f["last_visit_week"].to_numpy(),
            verb="back to ",
            on=dated_days(f),
        )
        since = tl.since[rows]
        weeks = week_text(since[begin[best]] / 7) + "–" + week_text(since[best] / 7)
        relief = per_distinct([rounded(level[best])], lambda x: f" after relief to {one_decimal(x)}/10")
        # without a recorded surgery (fbss.py) the relief's dates, not weeks since an unknown day
        unknown = ~f["surgery_known"].to_numpy(bool)
        weeks = " at weeks " + weeks
        if unknown.any():
            weeks[unknown] = " from " + iso(d[begin[best]][unknown]) + " to " + iso(d[best][unknown])
        base = baseline[who]
        context = per_distinct(
            [rounded(base)],
            lambda b, name=name: (
                f"; {name} baseline {one_decimal(b)}"
                if not np.isnan(b)
                else f"; no {name} baseline (relief: {g(s.acceptable_pain_max)}/10 or less)"
            ),
        )
        text = head + relief + weeks + context
        before = reasons[who]
        reasons[who] = np.where(before == "", text, before + "; " + _lower_first(text))
        severe[who] |= now[who] >= s.severe_pain_threshold
    hit = reasons != ""
    if not hit.any():
        return empty_flags()
    return make_flags(st["patient_id"].to_numpy()[hit], "REBOUND", severity_text(severe[hit]), reasons[hit])


def _lower_first(text: np.ndarray) -> np.ndarray:
    return np.array([t[:1].lower() + t[1:] for t in text], dtype=object)


def _last_per_patient(pos: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """For rows sorted by patient position: per position, the last row index where mask holds (-1: none)."""
    out = np.full(n, -1, dtype="int64")
    rows = np.flatnonzero(mask)
    if len(rows):
        lasts = rows[segment_ends(pos[rows])]
        out[pos[lasts]] = lasts
    return out
