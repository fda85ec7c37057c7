"""Clinical thresholds as one typed, validated settings object (defaults from DESIGN.md)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .catalog import PROCEDURES


@dataclass(frozen=True)
class FollowUpPoint:
    label: str
    weeks: int  # weeks after surgery the visit is scheduled
    tolerance_weeks: int  # the visit is due this many weeks either side


DEFAULT_SCHEDULE: tuple[FollowUpPoint, ...] = (
    FollowUpPoint("6 weeks", 6, 2),
    FollowUpPoint("3 months", 13, 3),
    FollowUpPoint("12 months", 52, 6),
    FollowUpPoint("24 months", 104, 8),
)


def _default_windows() -> dict[str, int]:
    return {code: p.default_window_weeks for code, p in PROCEDURES.items()}


@dataclass(frozen=True)
class Settings:
    """Every threshold the rules use; a clinic overrides any of them on the settings page."""

    window_weeks: dict[str, int] = field(default_factory=_default_windows)
    persistent_pain_threshold: float = 4.0  # NRS at or above which pain "persists"
    severe_pain_threshold: float = 7.0  # NRS at or above which a flag is high severity
    mcid_nrs_points: float = 2.0  # Ostelo 2008
    mcid_nrs_percent: float = 30.0  # Ostelo 2008; NORspine success
    mcid_odi_points: float = 10.0
    mcid_odi_percent: float = 30.0
    # Acceptable symptom state (PASS): fine without a meaningful change. European Spine Study Group
    # (Mannion 2020) ODI <= 18 and NRS <= 3 at 12 months; NORspine ODI 20, back NRS 2.5, leg NRS 3.5
    acceptable_pain_max: float = 3.0  # NRS at or below which pain is acceptable
    acceptable_odi_max: float = 20.0  # ODI at or below which disability is acceptable
    no_improvement_min_pain: float = 3.0  # mild pain (<3) is not flagged for lack of improvement
    # ...and on the ODI fallback, minimal disability (ODI < 20; Fairbank's 0-20 band) is not either
    no_improvement_min_odi: float = 20.0
    baseline_lookback_days: int = 90  # baseline: the last score this close before surgery
    recent_visit_days: int = 42  # current pain: visits this close to the latest one...
    recent_visit_max: int = 3  # ...at most this many of them
    # Early warning against the cohort curve (OFF_TRACK)
    off_track_percentile: float = 80.0
    off_track_consecutive_visits: int = 2
    off_track_min_cohort_patients: int = 30  # fewer than this: use the documented fallback curve
    # WORSENING / REBOUND
    worsening_points: float = 2.0  # rise over recent visits, or above baseline, by this much
    worsening_previous_visits: int = 2  # the latest visit is compared with the mean of this many before it
    rebound_points: float = 2.0  # pain back up by this much above its sustained relief (REBOUND)
    rebound_relief_visits: int = 2  # relief is sustained over this many visits in a row (or their recent mean)
    # NEW_NERVE_SYMPTOMS: a symptom that appeared longer ago than this is no longer "new"
    nerve_symptom_recent_days: int = 90
    # HIGH_OPIOID_DOSE (CDC 2022)
    opioid_mme_threshold: float = 50.0
    opioid_mme_high: float = 90.0
    opioid_max_weeks: int = 13  # opioids continued past 3 months
    # OVERDUE_FOLLOW_UP
    follow_up_schedule: tuple[FollowUpPoint, ...] = DEFAULT_SCHEDULE
    follow_up_upcoming_days: int = 14  # a window opening this soon is "due soon"
    overdue_max_weeks: int = 26  # a window closed longer ago than this is "missed", not "overdue"

    # Cohort charts: a time point with fewer patients than this is greyed and says so (too few to read)
    cohort_min_patients: int = field(
        default=10,
        metadata={
            "label": "Fewest patients for a cohort chart point",
            "unit": "patients",
            "help": "A time point of a cohort chart with fewer patients is drawn in grey and marked as too few.",
        },
    )

    def window_for(self, procedure: str) -> int:
        return self.window_weeks.get(procedure, self.window_weeks["other"])


DEFAULT_SETTINGS = Settings()


class SettingsError(ValueError):
    """A setting value out of range: the message names the setting and the value."""


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high):
        raise SettingsError(f"{name}: {value!r} is outside {low:g}–{high:g}")


def validate(settings: Settings) -> Settings:
    """Raise SettingsError naming the first out-of-range setting; return the settings otherwise."""
    for proc in PROCEDURES:
        if proc not in settings.window_weeks:
            raise SettingsError(f"window_weeks.{proc}: missing")
    for proc, weeks in settings.window_weeks.items():
        if proc not in PROCEDURES:
            raise SettingsError(f"window_weeks: unknown procedure {proc!r}")
        _check_range(f"window_weeks.{proc}", weeks, 1, 104)
    for name in (
        "persistent_pain_threshold",
        "severe_pain_threshold",
        "mcid_nrs_points",
        "no_improvement_min_pain",
        "worsening_points",
        "rebound_points",
        "acceptable_pain_max",
    ):
        _check_range(name, getattr(settings, name), 0, 10)
    if settings.severe_pain_threshold < settings.persistent_pain_threshold:
        raise SettingsError(
            f"severe_pain_threshold: {settings.severe_pain_threshold:g} is below "
            f"persistent_pain_threshold {settings.persistent_pain_threshold:g}"
        )
    for name in ("mcid_nrs_percent", "mcid_odi_percent", "off_track_percentile"):
        _check_range(name, getattr(settings, name), 1, 99)
    _check_range("mcid_odi_points", settings.mcid_odi_points, 1, 100)
    _check_range("no_improvement_min_odi", settings.no_improvement_min_odi, 0, 100)
    _check_range("acceptable_odi_max", settings.acceptable_odi_max, 0, 100)
    _check_range("rebound_relief_visits", settings.rebound_relief_visits, 2, 5)
    _check_range("worsening_previous_visits", settings.worsening_previous_visits, 1, 5)
    _check_range("nerve_symptom_recent_days", settings.nerve_symptom_recent_days, 1, 3650)
    _check_range("baseline_lookback_days", settings.baseline_lookback_days, 1, 365)
    _check_range("recent_visit_days", settings.recent_visit_days, 0, 365)
    _check_range("recent_visit_max", settings.recent_visit_max, 1, 10)
    _check_range("off_track_consecutive_visits", settings.off_track_consecutive_visits, 1, 5)
    _check_range("off_track_min_cohort_patients", settings.off_track_min_cohort_patients, 1, 10000)
    _check_range("opioid_mme_threshold", settings.opioid_mme_threshold, 1, 1000)
    _check_range("opioid_mme_high", settings.opioid_mme_high, 1, 1000)
    _check_range("opioid_max_weeks", settings.opioid_max_weeks, 1, 520)
    _check_range("cohort_min_patients", settings.cohort_min_patients, 1, 10000)
    _check_range("follow_up_upcoming_days", settings.follow_up_upcoming_days, 0, 365)
    _check_range("overdue_max_weeks", settings.overdue_max_weeks, 0, 520)
    if not settings.follow_up_schedule:
        raise SettingsError("follow_up_schedule: at least one time point is needed")
    for point in settings.follow_up_schedule:
        _check_range(f"follow_up_schedule[{point.label}].weeks", point.weeks, 1, 520)
        _check_range(f"follow_up_schedule[{point.label}].tolerance_weeks", point.tolerance_weeks, 0, 52)
    return settings


# --- Storage as key/value rows (the settings table holds only what a clinic changed) -------------


def to_values(settings: Settings) -> dict[str, Any]:
    """Flatten to JSON-ready key -> value, the form the settings table and the audit log store."""
    values = asdict(settings)
    values["follow_up_schedule"] = [asdict(p) for p in settings.follow_up_schedule]
    return values


def from_values(values: dict[str, Any]) -> Settings:
    """Build validated Settings from stored overrides; unknown keys are an error, missing keys default."""
    known = {f.name for f in fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    updates: dict[str, Any] = {}
    for key, value in values.items():
        if key == "window_weeks":
            merged = dict(DEFAULT_SETTINGS.window_weeks)
            merged.update({k: int(v) for k, v in value.items()})
            updates[key] = merged
        elif key == "follow_up_schedule":
            updates[key] = tuple(FollowUpPoint(**p) for p in value)
        else:
            default = getattr(DEFAULT_SETTINGS, key)
            try:
                updates[key] = type(default)(value)
            except (TypeError, ValueError):
                raise SettingsError(f"{key}: {value!r} is not a number") from None
    return validate(replace(DEFAULT_SETTINGS, **updates))


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
