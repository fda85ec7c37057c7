"""Every setting in clinic words: its label, unit, what it changes and the values it may take.

One table for the settings page, the settings' own validation (the ranges) and the words a save or an
audit entry is summarised in, so a setting is never shown by its variable name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..catalog import PROCEDURES


@dataclass(frozen=True)
class Described:
    label: str  # what a clinic calls it
    unit: str  # said after a value: "2.5 points"
    what: str  # what it changes, one or two sentences
    low: float  # the values a clinic may choose, both ends included
    high: float
    section: str  # where the settings page groups it

    @property
    def whole(self) -> bool:
        """Counts (visits, days, weeks, patients) are whole numbers; scores and percentages are not."""
        return self.unit in ("visits", "days", "weeks", "patients", "sections", "attempts")

    def amount(self, value: Any) -> str:
        """'2.5 points', '6 weeks', '30 %': a value as a clinic writes it, with its unit."""
        return f"{number(value)} {self.unit}"


PAIN = "Pain thresholds"
IMPROVEMENT = "Meaningful improvement and acceptable state"
COURSE = "Worsening, rebound and early warning"
RECENT = "Baseline and current pain"
OPIOIDS = "Opioids and nerve symptoms"
FOLLOW_UP = "Follow-up visits"
CHARTS = "Cohort charts"
QUESTIONNAIRES = "ODI questionnaire"
SECTIONS = (PAIN, IMPROVEMENT, COURSE, RECENT, OPIOIDS, FOLLOW_UP, CHARTS, QUESTIONNAIRES)

# The pain scale is the numeric rating scale (NRS) 0–10; ODI is the Oswestry Disability Index 0–100.
SCALAR_SETTINGS: dict[str, Described] = {
    "persistent_pain_threshold": Described(
        "Persistent pain threshold",
        "points",
        "Pain (0–10) at or above this after the recovery window is flagged as persistent pain.",
        0,
        10,
        PAIN,
    ),
    "severe_pain_threshold": Described(
        "Severe pain threshold",
        "points",
        "Pain (0–10) at or above this makes a pain flag high severity. Not below the persistent pain threshold.",
        0,
        10,
        PAIN,
    ),
    "no_improvement_min_pain": Described(
        "Least pain for 'no meaningful improvement'",
        "points",
        "A patient whose pain (0–10) is below this is not flagged for lack of improvement: mild pain is fine.",
        0,
        10,
        PAIN,
    ),
    "no_improvement_min_odi": Described(
        "Least ODI for 'no meaningful improvement'",
        "points",
        "Judged on ODI (0–100) when pain is missing: below this (minimal disability) is not flagged.",
        0,
        100,
        PAIN,
    ),
    "mcid_nrs_points": Described(
        "Meaningful improvement in pain (MCID)",
        "points",
        "A patient whose pain (0–10) fell by at least this much since before surgery has improved "
        "meaningfully (or by the percentage below).",
        0,
        10,
        IMPROVEMENT,
    ),
    "mcid_nrs_percent": Described(
        "Meaningful improvement in pain (MCID), as a share",
        "%",
        "Pain that fell by at least this share of its value before surgery is a meaningful improvement too.",
        1,
        99,
        IMPROVEMENT,
    ),
    "mcid_odi_points": Described(
        "Meaningful improvement in ODI (MCID)",
        "points",
        "When only ODI (0–100) is known: a fall of at least this much is a meaningful improvement.",
        1,
        100,
        IMPROVEMENT,
    ),
    "mcid_odi_percent": Described(
        "Meaningful improvement in ODI (MCID), as a share",
        "%",
        "ODI that fell by at least this share of its value before surgery is a meaningful improvement too.",
        1,
        99,
        IMPROVEMENT,
    ),
    "acceptable_pain_max": Described(
        "Acceptable pain (PASS)",
        "points",
        "Pain (0–10) at or below this is an acceptable state, even without a meaningful change.",
        0,
        10,
        IMPROVEMENT,
    ),
    "acceptable_odi_max": Described(
        "Acceptable disability (ODI, PASS)",
        "points",
        "ODI (0–100) at or below this is an acceptable state, even without a meaningful change.",
        0,
        100,
        IMPROVEMENT,
    ),
    "worsening_points": Described(
        "Worsening: rise in pain",
        "points",
        "Pain (0–10) that rose by at least this much over recent visits, or above the value before surgery, "
        "is flagged as worsening.",
        0,
        10,
        COURSE,
    ),
    "worsening_previous_visits": Described(
        "Worsening: visits compared",
        "visits",
        "The latest visit is compared with the mean of this many visits before it.",
        1,
        5,
        COURSE,
    ),
    "rebound_points": Described(
        "Rebound: rise after relief",
        "points",
        "Pain (0–10) back up by at least this much above a sustained relief is flagged as a rebound.",
        0,
        10,
        COURSE,
    ),
    "rebound_relief_visits": Described(
        "Rebound: visits of sustained relief",
        "visits",
        "Relief counts as sustained over this many visits in a row.",
        2,
        5,
        COURSE,
    ),
    "off_track_percentile": Described(
        "Off track: percentile of the clinic's curve",
        "%",
        "A patient whose pain is above this percentile of the clinic's patients at the same week after the "
        "same surgery is off track.",
        1,
        99,
        COURSE,
    ),
    "off_track_consecutive_visits": Described(
        "Off track: visits in a row",
        "visits",
        "Off track is flagged after this many visits in a row above the clinic's curve.",
        1,
        5,
        COURSE,
    ),
    "off_track_min_cohort_patients": Described(
        "Off track: fewest patients for the clinic's curve",
        "patients",
        "With fewer patients after a procedure, the published reference curve is used instead of the clinic's.",
        1,
        10000,
        COURSE,
    ),
    "baseline_lookback_days": Described(
        "Baseline: days before surgery",
        "days",
        "The pain before surgery (baseline) is the last score at most this many days before the surgery.",
        1,
        365,
        RECENT,
    ),
    "recent_visit_days": Described(
        "Current pain: days before the latest visit",
        "days",
        "Current pain is the mean of the visits this close to the latest one.",
        0,
        365,
        RECENT,
    ),
    "recent_visit_max": Described(
        "Current pain: most visits",
        "visits",
        "Current pain is the mean of at most this many recent visits.",
        1,
        10,
        RECENT,
    ),
    "opioid_mme_threshold": Described(
        "Opioid dose to reassess",
        "MME/day",
        "A dose (morphine milligram equivalents per day) at or above this is flagged for reassessment.",
        1,
        1000,
        OPIOIDS,
    ),
    "opioid_mme_high": Described(
        "High opioid dose",
        "MME/day",
        "A dose at or above this is flagged high severity: it needs a justification.",
        1,
        1000,
        OPIOIDS,
    ),
    "opioid_max_weeks": Described(
        "Opioids after surgery, longest",
        "weeks",
        "Opioids continued longer than this after surgery are flagged.",
        1,
        520,
        OPIOIDS,
    ),
    "nerve_symptom_recent_days": Described(
        "New nerve symptoms: how recent",
        "days",
        "Numbness, tingling or weakness that appeared within this many days is flagged as new.",
        1,
        3650,
        OPIOIDS,
    ),
    "follow_up_upcoming_days": Described(
        "Follow-up due soon",
        "days",
        "A follow-up visit whose window opens within this many days is listed as due soon.",
        0,
        365,
        FOLLOW_UP,
    ),
    "overdue_max_weeks": Described(
        "Follow-up overdue, longest",
        "weeks",
        "A follow-up window closed longer ago than this is counted as missed, no longer overdue.",
        0,
        520,
        FOLLOW_UP,
    ),
    "cohort_min_patients": Described(
        "Fewest patients for a cohort chart point",
        "patients",
        "A time point of a cohort chart with fewer patients is drawn in grey and marked as too few.",
        1,
        10000,
        CHARTS,
    ),
    "odi_min_sections": Described(
        "ODI: fewest sections answered to score",
        "sections",
        "An ODI with fewer of its ten sections answered is kept but not scored: no total is computed.",
        1,
        10,
        QUESTIONNAIRES,
    ),
    "follow_up_lost_after_attempts": Described(
        "Lost to follow-up after attempts",
        "attempts",
        "A patient not reached after this many attempts in a row (no answer, a message left, a letter sent) is "
        "counted as lost to follow-up at that time point.",
        1,
        20,
        FOLLOW_UP,
    ),
}

WINDOW_RANGE = (1, 104)  # weeks, per procedure
TIME_ZONE_LABEL = "Site time zone"
SCHEDULE_LABEL = "Follow-up schedule"
SITE_NAME_LABEL = "Site name"
SITE_NAME_LENGTH = 120  # characters: it heads a letter on one line
# The columns of the schedule's table, as the settings page heads them
SCHEDULE_PARTS = {"label": "time point", "weeks": "weeks after surgery", "tolerance_weeks": "± weeks"}


def window(procedure: str) -> Described:
    name = PROCEDURES[procedure].label if procedure in PROCEDURES else procedure
    return Described(
        f"Recovery window: {name}",
        "weeks",
        f"Persistent pain and lack of improvement are judged only once this many weeks have passed since a {name}.",
        *WINDOW_RANGE,
        section="Recovery window per procedure",
    )


def number(value: Any) -> str:
    """2 not 2.0, 2.5 stays: numbers as a clinic writes them."""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def label_of(key: str) -> str:
    """The clinic's name for any setting key ('window_weeks.tlif' included); never the key itself."""
    if key in SCALAR_SETTINGS:
        return SCALAR_SETTINGS[key].label
    if key.startswith("window_weeks."):
        return window(key.removeprefix("window_weeks.")).label
    if key == "window_weeks":
        return "Recovery window per procedure"
    if key.startswith("follow_up_schedule."):  # a cell of the schedule's table: follow_up_schedule.<row>.<part>
        _, row, part = (key.split(".") + ["", ""])[:3]
        return f"{SCHEDULE_LABEL}, row {row}, {SCHEDULE_PARTS.get(part, part)}"
    if key.startswith("follow_up_schedule"):
        return SCHEDULE_LABEL
    if key == "time_zone":
        return TIME_ZONE_LABEL
    if key == "site_name":
        return SITE_NAME_LABEL
    return "A setting"


def _schedule(points: Any) -> str:
    return ", ".join(f"{p['label']} at {p['weeks']} ± {p['tolerance_weeks']} weeks" for p in points)


def _zone(value: Any) -> str:
    return value or "the server's own"


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Each setting that differs, in words: 'Meaningful improvement in pain (MCID): 2 → 2.5 points'.

    `before` and `after` are settings as key -> value (settings.to_values, or a stored row's value)."""
    said = []
    for key in after:
        old, new = before.get(key), after[key]
        if old == new:
            continue
        if key in SCALAR_SETTINGS:
            said.append(f"{label_of(key)}: {number(old)} → {SCALAR_SETTINGS[key].amount(new)}")
        elif key == "window_weeks":
            for procedure, weeks in new.items():
                if (old or {}).get(procedure) != weeks:
                    said.append(f"{window(procedure).label}: {number((old or {}).get(procedure))} → {weeks} weeks")
        elif key == "follow_up_schedule":
            said.append(f"{SCHEDULE_LABEL}: {_schedule(old or [])} → {_schedule(new)}")
        elif key == "time_zone":
            said.append(f"{TIME_ZONE_LABEL}: {_zone(old)} → {_zone(new)}")
        elif key == "site_name":
            said.append(f"{SITE_NAME_LABEL}: {old or 'not set'} → {new or 'not set'}")
        else:
            said.append(f"{label_of(key)}: {old} → {new}")
    return said
