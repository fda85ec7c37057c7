"""The site's clock: the zone the clinic lives in and its today, the date every flag is judged as of.

Stored times are UTC; the server may run in any zone (often UTC). What a clinic calls "today" (weeks
since surgery, an overdue follow-up, a visit "in the future") is the date on the clinic's wall:
`site_today(settings)`, in the zone of `Settings.time_zone` (an IANA name; empty: the server's zone).
Pages, commands and the CLI take their as-of date from here, never from date.today().

`utc_now` is the one reading of the real clock: tests replace it (or pass `now`) to fix the time.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .settings import Settings, is_time_zone

if TYPE_CHECKING:
    from sqlalchemy import Engine


def utc_now() -> datetime:
    """The real clock, as an aware UTC moment."""
    return datetime.now(UTC)


def server_zone_name() -> str:
    """The IANA name of the server's own zone: $TZ, else where /etc/localtime points, else /etc/timezone."""
    named = os.environ.get("TZ", "").removeprefix(":")
    if named and is_time_zone(named):
        return named
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        target = ""
    if "zoneinfo/" in target and is_time_zone(name := target.split("zoneinfo/", 1)[1]):
        return name
    try:
        written = Path("/etc/timezone").read_text(encoding="utf-8").strip()
    except OSError:
        written = ""
    return written if written and is_time_zone(written) else "UTC"


def site_zone(setting: str | Settings) -> ZoneInfo:
    """The site's zone: the setting (an IANA name, or the settings holding it), or the server's zone when
    it is empty."""
    name = setting.time_zone if isinstance(setting, Settings) else setting
    return ZoneInfo(name or server_zone_name())


def site_now(setting: str | Settings, now: datetime | None = None) -> datetime:
    """`now` (default: the real clock) on the site's wall clock. A naive `now` is refused: it names no moment."""
    moment = utc_now() if now is None else now
    if moment.tzinfo is None:
        raise ValueError("now must be an aware datetime (a naive one could be any zone's)")
    return moment.astimezone(site_zone(setting))


def site_today(setting: str | Settings, now: datetime | None = None) -> date:
    """The site's date at `now` (default: the real clock): 2026-12-03 23:30 UTC is 2026-12-04 in Sydney
    and 2026-12-03 in Los Angeles."""
    return site_now(setting, now).date()


def site_day_of(moment: datetime, setting: str | Settings) -> date:
    """The site's date of a stored moment (naive means UTC, as the store keeps it)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(site_zone(setting)).date()


def site_today_of(engine: Engine, now: datetime | None = None) -> date:
    """The site's date at `now` (default: the real clock), with the settings read from the database."""
    from .db import read_session  # the store is loaded only by those who read it
    from .queries import load_settings

    with read_session(engine) as session:
        return site_today(load_settings(session), now)
