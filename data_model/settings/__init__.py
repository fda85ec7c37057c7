"""Clinical thresholds as one typed, validated settings object (defaults from DESIGN.md)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..catalog import PROCEDURES
from ..odi import DEFAULT_MIN_SECTIONS
from ..validation import NAME_FORBIDDEN, FieldError, Fields, ValidationFailed
from .words import SCALAR_SETTINGS, SCHEDULE_PARTS, SITE_NAME_LENGTH, WINDOW_RANGE, label_of, number


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

    # ODI questionnaire: fewer sections answered than this is not scored (Fairbank & Pynsent 2000 allow
    # up to two skipped sections)
    odi_min_sections: int = DEFAULT_MIN_SECTIONS

    # The zone the app shows times of day in (an IANA name, e.g. Europe/Oslo); empty: the server's own zone.
    # Stored times stay UTC; only what a person reads is converted.
    time_zone: str = ""

    # Follow-up outreach (data_model/outreach): a patient not reached after this many attempts in a row is
    # lost to follow-up at that time point
    follow_up_lost_after_attempts: int = 3
    # The clinic's name as its reminder letters are signed; empty: the letters say "the clinic"
    site_name: str = ""

    def window_for(self, procedure: str) -> int:
        return self.window_weeks.get(procedure, self.window_weeks["other"])


DEFAULT_SETTINGS = Settings()


class SettingsError(ValueError):
    """A setting value refused: str() names the setting's key and the value (the CLI, which takes keys);
    in_words names the setting as the clinic calls it and the value as typed (the settings page)."""

    def __init__(self, key: str, value: Any, problem: str, in_words: str | None = None) -> None:
        super().__init__(f"{key}: {value!r} {problem}" if value is not None else f"{key}: {problem}")
        self.key, self.value = key, value
        self.in_words = in_words or f"{label_of(key)}: {problem}."


def _check_range(key: str, value: float, low: float, high: float, unit: str = "") -> None:
    if not (low <= value <= high):
        raise SettingsError(
            key,
            value,
            f"is outside {low:g}–{high:g}",
            f"{label_of(key)}: “{number(value)}” must be between {low:g} and {high:g}{' ' + unit if unit else ''}.",
        )


def is_time_zone(name: str) -> bool:
    """An IANA zone name the server knows (Europe/Oslo, UTC); never a path."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


# The areas of the IANA zone names a clinic's zone is written in: Europe/Berlin, America/New_York,
# America/Argentina/Buenos_Aires. Not the abbreviations the database keeps for old systems (CET, EST, PST),
# which name no place and may not follow the clinic's daylight saving, nor Etc/GMT+1 (its sign is reversed).
ZONE_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def is_region_city(name: str) -> bool:
    """A zone named as a clinic's place is (Region/City, e.g. Europe/Berlin), or UTC; not CET, EST or US/Eastern."""
    area, _, place = name.partition("/")
    return name == "UTC" or (area in ZONE_AREAS and bool(place) and is_time_zone(name))


def _without_percent_sign(raw: Any) -> Any:
    """'30%', '30 %' -> '30'; anything else as it is."""
    if isinstance(raw, str) and raw.strip().endswith("%"):
        return raw.strip().removesuffix("%").strip()
    return raw


def validate(settings: Settings) -> Settings:
    """Raise SettingsError naming the first refused setting; return the settings otherwise."""
    for proc in PROCEDURES:
        if proc not in settings.window_weeks:
            raise SettingsError(f"window_weeks.{proc}", None, "missing")
    for proc, weeks in settings.window_weeks.items():
        if proc not in PROCEDURES:
            raise SettingsError("window_weeks", proc, "is not a known procedure")
        _check_range(f"window_weeks.{proc}", weeks, *WINDOW_RANGE, unit="weeks")
    for key, described in SCALAR_SETTINGS.items():
        _check_range(key, getattr(settings, key), described.low, described.high, described.unit)
    if settings.severe_pain_threshold < settings.persistent_pain_threshold:
        raise SettingsError(
            "severe_pain_threshold",
            settings.severe_pain_threshold,
            f"is below persistent_pain_threshold {settings.persistent_pain_threshold:g}",
            f"{label_of('severe_pain_threshold')}: “{number(settings.severe_pain_threshold)}” must not be below "
            f"the {label_of('persistent_pain_threshold').lower()} ({number(settings.persistent_pain_threshold)}).",
        )
    if settings.time_zone and not is_time_zone(settings.time_zone):
        raise SettingsError(
            "time_zone",
            settings.time_zone,
            "is not a known time zone",
            f"{label_of('time_zone')}: “{settings.time_zone}” is not a time zone this server knows "
            "(a name such as Europe/Oslo or America/New_York).",
        )
    if len(settings.site_name) > SITE_NAME_LENGTH or NAME_FORBIDDEN.search(settings.site_name):
        raise SettingsError(
            "site_name",
            settings.site_name,
            "is not a name on one line",
            f"{label_of('site_name')}: at most {SITE_NAME_LENGTH} characters on one line, no invisible characters.",
        )
    if not settings.follow_up_schedule:
        raise SettingsError("follow_up_schedule", None, "at least one time point is needed")
    for point in settings.follow_up_schedule:
        _check_range(f"follow_up_schedule[{point.label}].weeks", point.weeks, 1, 520, "weeks after surgery")
        _check_range(f"follow_up_schedule[{point.label}].tolerance_weeks", point.tolerance_weeks, 0, 52, "weeks")
    # Each time point is one point of the cohort charts and one column of the follow-up lists: two of
    # the same name, or at the same week, would be drawn on top of each other and counted twice.
    seen_labels: dict[str, FollowUpPoint] = {}
    seen_weeks: dict[int, FollowUpPoint] = {}
    for point in settings.follow_up_schedule:
        same_name, same_week = seen_labels.get(point.label.strip().casefold()), seen_weeks.get(point.weeks)
        if same_name is not None:
            raise SettingsError(
                "follow_up_schedule",
                point.label,
                "names two time points",
                f"{label_of('follow_up_schedule')}: two time points are named “{point.label}” (at {same_name.weeks} "
                f"and {point.weeks} weeks); each time point needs a name of its own.",
            )
        if same_week is not None:
            raise SettingsError(
                "follow_up_schedule",
                point.weeks,
                "holds two time points at the same week",
                f"{label_of('follow_up_schedule')}: “{same_week.label}” and “{point.label}” are both at {point.weeks} "
                "weeks after surgery; each time point needs a week of its own.",
            )
        seen_labels[point.label.strip().casefold()] = point
        seen_weeks[point.weeks] = point
    return settings


def typed_schedule(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The follow-up schedule as typed in its table (one row per time point, every cell text) as values;
    ValidationFailed names each refused cell as 'follow_up_schedule.<row>.<part>' (rows from 1). A row left
    wholly empty is no time point."""
    fields_ = Fields({})
    points = []
    for row_number, row in enumerate(rows, start=1):
        cells = {part: row.get(part) for part in SCHEDULE_PARTS}
        if all(value is None or str(value).strip() == "" for value in cells.values()):
            continue
        name = f"follow_up_schedule.{row_number}"
        fields_.raw = {f"{name}.{part}": value for part, value in cells.items()}
        label = fields_.text(f"{name}.label", max_length=40, required=True)
        weeks = fields_.integer(f"{name}.weeks", 1, 520, required=True)
        tolerance = fields_.integer(f"{name}.tolerance_weeks", 0, 52, required=True)
        if label is not None and weeks is not None and tolerance is not None:
            points.append({"label": label, "weeks": weeks, "tolerance_weeks": tolerance})
    if fields_.errors:
        raise ValidationFailed(fields_.errors)
    return points


def typed_values(typed: dict[str, str]) -> dict[str, Any]:
    """Settings typed into text boxes (keys as in SCALAR_SETTINGS, 'window_weeks.<procedure>', 'time_zone')
    as values for from_values; ValidationFailed names every box that holds no allowed value. Judged here,
    not by number boxes with limits: those put back their last value when a typed one breaks a limit."""
    # A percentage may be typed with its sign ("30%", "30 %"); it is stored as the number of percent (30).
    cleaned = {
        key: _without_percent_sign(raw) if key in SCALAR_SETTINGS and SCALAR_SETTINGS[key].unit == "%" else raw
        for key, raw in typed.items()
    }
    fields_ = Fields(cleaned)
    values: dict[str, Any] = {}
    windows: dict[str, int] = {}
    for key in typed:
        if key in SCALAR_SETTINGS:
            described = SCALAR_SETTINGS[key]
            value: float | None
            if described.whole:
                value = fields_.integer(key, int(described.low), int(described.high), required=True)
            else:
                value = fields_.number(key, described.low, described.high, required=True)
            if value is not None:
                values[key] = value
        elif key.startswith("window_weeks."):
            weeks = fields_.integer(key, *WINDOW_RANGE, required=True)
            if weeks is not None:
                windows[key.removeprefix("window_weeks.")] = weeks
        elif key == "site_name":
            values[key] = fields_.name(key, SITE_NAME_LENGTH) or ""
        elif key == "time_zone":
            zone = (typed[key] or "").strip()
            if zone and not is_time_zone(zone):
                fields_.errors.append(FieldError(key, zone, "is not a time zone this server knows (e.g. Europe/Oslo)"))
            elif zone and not is_region_city(zone):
                fields_.errors.append(
                    FieldError(
                        key,
                        zone,
                        "is an abbreviation or an old alias, not a place: type the region and city, "
                        "e.g. Europe/Berlin (or UTC)",
                    )
                )
            values[key] = zone
        else:
            fields_.errors.append(FieldError(key, typed[key], "is not a setting"))
    if fields_.errors:  # each refusal quotes what was typed, its percent sign included
        raise ValidationFailed([FieldError(e.field, typed.get(e.field, e.value), e.message) for e in fields_.errors])
    if windows:
        values["window_weeks"] = windows
    return values


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
        raise SettingsError(
            ", ".join(sorted(unknown)), None, "unknown setting(s)", "A setting this version does not know."
        )
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
                raise SettingsError(
                    key, value, "is not a number", f"{label_of(key)}: “{value}” is not a number."
                ) from None
    return validate(replace(DEFAULT_SETTINGS, **updates))


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
