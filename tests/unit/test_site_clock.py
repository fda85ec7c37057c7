"""The site's today: the date on the clinic's wall (its time zone setting), never the server's date."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from data_model import clock
from data_model.settings import DEFAULT_SETTINGS

# 23:30 UTC on 3 December: already the 4th in Sydney (UTC+11), still the 3rd in Los Angeles (UTC-8)
LATE_EVENING_UTC = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
# 04:00 UTC on 4 December: the 4th in Sydney and in UTC, still the evening of the 3rd in Los Angeles
EARLY_MORNING_UTC = datetime(2026, 12, 4, 4, 0, tzinfo=UTC)


def _in(zone: str):
    return replace(DEFAULT_SETTINGS, time_zone=zone)


@pytest.mark.parametrize(
    ("zone", "now", "today"),
    [
        ("Australia/Sydney", LATE_EVENING_UTC, date(2026, 12, 4)),
        ("America/Los_Angeles", LATE_EVENING_UTC, date(2026, 12, 3)),
        ("UTC", LATE_EVENING_UTC, date(2026, 12, 3)),
        ("Australia/Sydney", EARLY_MORNING_UTC, date(2026, 12, 4)),
        ("America/Los_Angeles", EARLY_MORNING_UTC, date(2026, 12, 3)),
    ],
)
def test_the_sites_today_is_the_date_in_its_zone_near_midnight(zone, now, today):
    assert clock.site_today(_in(zone), now) == today


def test_the_same_moment_written_in_another_zone_is_the_same_site_date():
    in_oslo = LATE_EVENING_UTC.astimezone(clock.site_zone("Europe/Oslo"))  # 00:30 on the 4th in Oslo
    assert clock.site_today(_in("America/Los_Angeles"), in_oslo) == date(2026, 12, 3)


def test_an_empty_setting_means_the_servers_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Australia/Sydney")
    assert clock.site_today(DEFAULT_SETTINGS, LATE_EVENING_UTC) == date(2026, 12, 4)
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    assert clock.site_today(DEFAULT_SETTINGS, LATE_EVENING_UTC) == date(2026, 12, 3)


def test_without_a_now_the_real_clock_is_read_through_its_one_seam(monkeypatch):
    monkeypatch.setattr(clock, "utc_now", lambda: LATE_EVENING_UTC)
    assert clock.site_today(_in("Australia/Sydney")) == date(2026, 12, 4)
    assert clock.site_today("America/Los_Angeles") == date(2026, 12, 3)  # the setting's name is enough


def test_a_naive_now_is_refused_it_names_no_moment():
    with pytest.raises(ValueError, match="aware"):
        clock.site_today(_in("UTC"), datetime(2026, 12, 3, 23, 30))


def test_a_stored_moment_falls_on_the_sites_date():
    stored = datetime(2026, 12, 3, 23, 30)  # naive: UTC, as the store keeps it
    assert clock.site_day_of(stored, _in("Australia/Sydney")) == date(2026, 12, 4)
    assert clock.site_day_of(stored, _in("America/Los_Angeles")) == date(2026, 12, 3)
