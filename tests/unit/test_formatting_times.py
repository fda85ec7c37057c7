"""Times of day as the site reads them: in its zone (a setting, else the server's), with the zone named."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from dashboard import formatting
from dashboard.formatting import day, site_zone, when, zone_caption

OSLO = site_zone("Europe/Oslo")


def test_a_stored_utc_time_reads_in_the_site_zone_with_its_abbreviation():
    assert when(datetime(2026, 12, 3, 13, 5, tzinfo=UTC), OSLO) == "2026-12-03 14:05 CET"
    assert when(datetime(2026, 7, 3, 13, 5, tzinfo=UTC), OSLO) == "2026-07-03 15:05 CEST"  # summer time
    assert when(datetime(2026, 12, 3, 13, 5, tzinfo=UTC), site_zone("America/New_York")) == "2026-12-03 08:05 EST"


def test_a_naive_stored_time_is_utc_and_a_late_evening_moves_to_the_next_day_east():
    assert when(datetime(2026, 12, 31, 23, 30), OSLO) == "2027-01-01 00:30 CET"
    assert when(pd.Timestamp("2026-12-31 23:30:00"), OSLO) == "2027-01-01 00:30 CET"
    assert when("2026-12-31T23:30:00", OSLO) == "2027-01-01 00:30 CET"


def test_an_audit_time_keeps_its_seconds_in_the_site_zone():
    assert when(datetime(2026, 12, 3, 13, 5, 7), OSLO, seconds=True) == "2026-12-03 14:05:07 CET"
    assert when(None, OSLO, missing="", seconds=True) == ""


def test_a_zone_without_a_letter_abbreviation_is_named_by_its_offset():
    assert when(datetime(2026, 7, 3, 13, 5, tzinfo=UTC), site_zone("America/Sao_Paulo")) == "2026-07-03 10:05 UTC-03"


def test_a_missing_time_is_a_dash_or_the_words_asked_for_never_none():
    assert when(None, OSLO) == "–"
    assert when(pd.NaT, OSLO) == "–"
    assert when(float("nan"), OSLO, missing="never") == "never"


def test_dates_read_as_dates_never_with_a_time():
    assert day(date(2024, 5, 4)) == "2024-05-04"
    assert day(pd.Timestamp("2024-05-04 00:00:00")) == "2024-05-04"
    assert day("2024-05-04T00:00:00") == "2024-05-04"
    assert day(None) == "–"


def test_an_empty_setting_means_the_server_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert formatting.server_zone_name() == "Asia/Tokyo"
    assert when(datetime(2026, 12, 3, 13, 5, tzinfo=UTC), site_zone("")) == "2026-12-03 22:05 JST"
    assert zone_caption(site_zone("")) == "Times in Asia/Tokyo"


@pytest.mark.parametrize("tz", ["", "Not/AZone", "../../etc/passwd"])
def test_a_server_zone_that_is_not_a_known_name_falls_back_to_the_system_files(monkeypatch, tz):
    monkeypatch.setenv("TZ", tz)
    assert formatting.is_time_zone(formatting.server_zone_name())


def test_the_command_line_says_a_lockout_end_in_the_site_zone_and_nothing_once_it_has_passed():
    from dashboard.cli.users import _locked

    assert _locked(datetime(2099, 1, 15, 12, 0), OSLO) == "2099-01-15 13:00 CET"  # stored naive: UTC
    assert _locked(datetime(2001, 1, 15, 12, 0), OSLO) == ""
    assert _locked(None, OSLO) == ""
