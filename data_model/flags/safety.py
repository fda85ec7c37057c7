"""Flags about safety and care process: NEW_NERVE_SYMPTOMS, HIGH_OPIOID_DOSE and OVERDUE_FOLLOW_UP."""

# NEW_NERVE_SYMPTOMS: per symptom (weakness, numbness, tingling), over the post-op visits alone
#   (dated after the most recent surgery, up to as_of): the records of one day resolve to one state
#   (present when any record that day says present: a symptom seen is not unseen by a second form),
#   and the latest day that recorded it says present (1) while the previous post-op day that
#   recorded it says absent (0): new. Pre-operative records never make a symptom new (only
#   evidence after the most recent surgery counts, issue 14), nor does a symptom recorded on one
#   post-op day only, or one present all along. Only when that latest day is within
#   nerve_symptom_recent_days of as_of. high when weakness is new (a motor deficit needs prompt
#   re-evaluation), else medium.
# HIGH_OPIOID_DOSE, either or both of:
#   dose: the latest recorded MME/day (any visit) >= opioid_mme_threshold (medium: reassess) or
#     >= opioid_mme_high (high: needs justification), CDC 2022;
#   continued past opioid_max_weeks (13) after the index surgery (medium): as_of is on or after that
#     date, opioid use is recorded at or after it (an 'opioid' treatment ongoing on as_of, unless a
#     visit after the treatment started records 0 MME/day as the latest dose; or the latest recorded
#     MME/day > 0 on a visit on or after that date) and was also recorded in the first
#     opioid_max_weeks (an 'opioid' treatment running at some point from the surgery day to that
#     date, or a visit from the surgery day on with MME > 0).
# OVERDUE_FOLLOW_UP: a time point of the follow-up schedule (follow_up.py) is 'overdue'. low, medium
#   when two or more are.

from __future__ import annotations

import numpy as np
import pandas as pd

from ..arrays import NO_DAY, days, segment_ends
from ..follow_up import OVERDUE, schedule_core, time_point_name, window_days
from ..recovery import index_positions
from .input import FlagInput, empty_flags, g, make_flags, num, severity_text, week_text
from .timeline import Timeline, iso, take

SYMPTOMS = ("weakness", "numbness", "tingling")  # reason order: the motor deficit first


def new_nerve_symptoms(inp: FlagInput) -> pd.DataFrame:
    """NEW_NERVE_SYMPTOMS: numbness, tingling or weakness present now, absent at an earlier post-op visit."""
    s, st, tl = inp.settings, inp.status, inp.timeline
    reason = np.full(len(st), "", dtype=object)
    new_weakness = np.zeros(len(st), dtype=bool)
    for symptom in SYMPTOMS:
        pos, day, state = _post_op_days(tl, tl.column(symptom))
        if len(pos) == 0:
            continue
        ends = np.flatnonzero(segment_ends(pos))
        has_previous = (ends >= 1) & (pos[np.maximum(ends - 1, 0)] == pos[ends])
        last, previous = ends[has_previous], ends[has_previous] - 1
        new_rows = (
            (state[last] > 0) & (state[previous] == 0) & (day[last] >= tl.as_of_day - s.nerve_symptom_recent_days)
        )
        last, previous = last[new_rows], previous[new_rows]
        if len(last) == 0:
            continue
        new = np.zeros(len(st), dtype=bool)
        new[pos[last]] = True
        if symptom == "weakness":
            new_weakness = new
        # text only for the rows that need it: string work is the slow part of a vectorised rule
        note = ": a motor deficit, needs prompt re-evaluation" if symptom == "weakness" else ""
        text = np.empty(len(st), dtype=object)
        text[pos[last]] = f"{symptom} on " + iso(day[last]) + " (absent on " + iso(day[previous]) + ")" + note
        before = reason[new]
        reason[new] = np.where(before == "", "New " + text[new], before + "; new " + text[new])
    hit = reason != ""
    if not hit.any():
        return empty_flags()
    return make_flags(
        st["patient_id"].to_numpy()[hit], "NEW_NERVE_SYMPTOMS", severity_text(new_weakness[hit]), reason[hit]
    )


def _post_op_days(tl: Timeline, value: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(patient position, day, state) per post-op day that recorded the symptom, in (patient, day)
    order; a day's records resolve to one state: present when any of them says present."""
    rows = np.flatnonzero(tl.post & ~np.isnan(value))
    if len(rows) == 0:
        empty = np.array([], dtype="int64")
        return empty, empty, np.array([], dtype="float64")
    pos, day = tl.pos[rows], tl.day[rows]
    starts = np.flatnonzero(np.r_[True, (pos[1:] != pos[:-1]) | (day[1:] != day[:-1])])
    return pos[starts], day[starts], np.maximum.reduceat(value[rows], starts)


def _opioid_treatments(inp: FlagInput, surgery_day: np.ndarray, limit_day: np.ndarray):
    """Per patient position: ongoing on as_of (and the latest such start day), and running at some
    point from the surgery day to the limit day. Treatments starting after as_of do not exist yet."""
    t = inp.treatments
    n = len(surgery_day)
    ongoing, early = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    started = np.full(n, NO_DAY, dtype="int64")
    t = t[t["code"].to_numpy() == "opioid"]
    if t.empty:
        return ongoing, started, early
    pos = index_positions(inp.status, t["patient_id"])
    start = days(t["start_date"].to_numpy())
    end = days(t["end_date"].to_numpy())  # NaT: NO_DAY
    ok = (pos >= 0) & (start <= inp.timeline.as_of_day)
    pos, start, end = pos[ok], start[ok], end[ok]
    open_ended = end == NO_DAY
    now = open_ended | (end > inp.timeline.as_of_day)
    ongoing[pos[now]] = True
    np.maximum.at(started, pos[now], start[now])
    ran_early = (start < limit_day[pos]) & (open_ended | (end >= surgery_day[pos]))
    early[pos[ran_early]] = True
    return ongoing, started, early


def high_opioid_dose(inp: FlagInput) -> pd.DataFrame:
    """HIGH_OPIOID_DOSE: MME/day at or above the CDC 2022 thresholds, or opioids continued past 3 months."""
    s, st, tl = inp.settings, inp.status, inp.timeline
    mme = tl.column("mme_per_day")
    last = tl.latest(~np.isnan(mme))[0]
    dose, dose_day = take(mme, last), take(tl.day, last, NO_DAY)
    high, reassess = dose >= s.opioid_mme_high, dose >= s.opioid_mme_threshold

    surgery_day = tl.surgery_day
    limit_day = surgery_day + s.opioid_max_weeks * 7
    ongoing, started, treated_early = _opioid_treatments(inp, surgery_day, limit_day)
    stopped = (dose == 0) & (dose_day > started)  # a visit after the start says 0 MME/day
    on_treatment = ongoing & ~stopped
    on_visit = (dose > 0) & (dose_day >= limit_day)
    using_late = (tl.as_of_day >= limit_day) & (on_treatment | on_visit)
    # was it recorded in the first weeks too? Only the visits of patients still in doubt are read
    doubt = using_late & ~treated_early
    rows = np.flatnonzero(doubt[tl.pos])
    rows = rows[mme[rows] > 0]
    rows = rows[(tl.since[rows] >= 0) & (tl.day[rows] < limit_day[tl.pos[rows]])]
    dosed_early = np.zeros(len(st), dtype=bool)
    dosed_early[tl.pos[rows]] = True
    # "continued past 13 weeks after surgery" needs the surgery's date (fbss.py): the dose alone is judged
    continued = using_late & (treated_early | dosed_early) & st["surgery_known"].to_numpy(bool)

    hit = reassess | continued
    if not hit.any():
        return empty_flags()
    reason = np.full(len(st), "", dtype=object)
    # text only for the rows that show it: string work is the slow part of a vectorised rule
    dosed = np.flatnonzero(hit & (dose_day != NO_DAY))
    dose_text = np.full(len(st), "", dtype=object)
    dose_text[dosed] = num(dose[dosed]) + " MME/day on " + iso(dose_day[dosed])
    r = np.flatnonzero(reassess)
    if len(r):
        level = np.where(
            high[r],
            f": at or above {g(s.opioid_mme_high)} MME/day, which needs justification (CDC 2022)",
            f": at or above {g(s.opioid_mme_threshold)} MME/day, reassess (CDC 2022)",
        )
        reason[r] = "Opioid dose " + dose_text[r] + level
    c = np.flatnonzero(continued)
    if len(c):
        evidence = np.empty(len(c), dtype=object)
        from_visit = on_visit[c]
        v, t = c[from_visit], c[~from_visit]
        evidence[from_visit] = num(dose[v]) + " MME/day at week " + week_text((dose_day[v] - surgery_day[v]) / 7)
        latest_dose = np.where(dose_day[t] != NO_DAY, "; latest dose " + dose_text[t], "; no MME/day recorded")
        evidence[~from_visit] = "opioid treatment ongoing since " + iso(started[t]) + latest_dose
        below = np.where(
            (dose_day[c] != NO_DAY) & ~reassess[c],
            f", below the CDC 2022 reassessment threshold of {g(s.opioid_mme_threshold)} MME/day)",
            ")",
        )
        lead = f"continued past {s.opioid_max_weeks} weeks after surgery ("
        both = reassess[c]
        start = np.full(len(c), "Opioids " + lead, dtype=object)
        start[both] = reason[c[both]] + ("; opioids " + lead)
        reason[c] = start + evidence + below
    return make_flags(st["patient_id"].to_numpy()[hit], "HIGH_OPIOID_DOSE", severity_text(high[hit]), reason[hit])


def overdue_follow_up(inp: FlagInput) -> pd.DataFrame:
    """OVERDUE_FOLLOW_UP: a scheduled time point whose window closed without a visit."""
    s, st, tl = inp.settings, inp.status, inp.timeline
    due, _, end = window_days(s)
    closed = (tl.as_of_day - tl.surgery_day)[None, :] - end[:, None]  # days since each window closed
    recent_close = (closed >= 1) & (closed <= s.overdue_max_weeks * 7)  # [time point, patient position]
    if not recent_close.any():
        return empty_flags()
    # only time points whose window closed lately can be overdue: look up visits for those alone
    status, _ = schedule_core(tl.surgery_day, tl.visit_index, s, tl.as_of_day, only=recent_close, which_visit=False)
    # the schedule counts from the surgery: none without a recorded one (fbss.py)
    late = (status == OVERDUE) & recent_close & st["surgery_known"].to_numpy(bool)[None, :]
    count = late.sum(axis=0)
    hit = count > 0
    if not hit.any():
        return empty_flags()
    surgery = tl.surgery_day[hit]
    reason = np.full(int(hit.sum()), "", dtype=object)
    for j, point in enumerate(s.follow_up_schedule):
        now = late[j, hit]
        if not now.any():
            continue
        name = time_point_name(point.label)
        text = (
            f"{name[:1].upper()}{name[1:]} overdue: due "
            + iso(surgery[now] + due[j])
            + " (window closed "
            + iso(surgery[now] + end[j])
            + "), no visit"
        )
        reason[now] = np.where(reason[now] == "", text, reason[now] + "; " + text)
    severity = severity_text(False, count[hit] >= 2)
    return make_flags(st["patient_id"].to_numpy()[hit], "OVERDUE_FOLLOW_UP", severity, reason)
