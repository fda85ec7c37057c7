"""Settings in clinic words: every setting has a label, unit, what it changes and a range; a save is said in words;
values typed into the settings form are judged, naming the setting and what was typed."""

from __future__ import annotations

from dataclasses import fields

import pytest

from dashboard.widgets.feedback import sentence
from data_model.settings import (
    DEFAULT_SETTINGS,
    Settings,
    SettingsError,
    from_values,
    to_values,
    typed_schedule,
    typed_values,
)
from data_model.settings.words import SCALAR_SETTINGS, changes, label_of
from data_model.validation import ValidationFailed

SHAPED = {"window_weeks", "follow_up_schedule", "time_zone", "site_name"}  # settings with a form of their own


def test_every_number_setting_has_clinic_words_a_unit_an_explanation_and_its_default_in_range():
    for f in fields(Settings):
        if f.name in SHAPED:
            continue
        described = SCALAR_SETTINGS.get(f.name)
        assert described is not None, f"{f.name} has no clinic words: it would be shown by its variable name"
        assert "_" not in described.label and described.unit and described.what.endswith(".")
        assert described.low <= getattr(DEFAULT_SETTINGS, f.name) <= described.high


def test_a_change_is_said_with_labels_units_and_numbers_as_a_clinic_writes_them():
    before = to_values(DEFAULT_SETTINGS)
    after = to_values(from_values({"mcid_nrs_points": 2.5, "recent_visit_max": 4, "window_weeks": {"fusion": 30}}))
    assert changes(before, after) == [
        "Recovery window: Fusion: 26 → 30 weeks",
        "Meaningful improvement in pain (MCID): 2 → 2.5 points",
        "Current pain: most visits: 3 → 4 visits",
    ]
    assert changes(before, before) == []


def test_the_time_zone_change_names_the_server_zone_when_left_empty():
    assert changes({"time_zone": ""}, {"time_zone": "Europe/Oslo"}) == [
        "Site time zone: the server's own → Europe/Oslo"
    ]


def test_typed_settings_are_judged_each_naming_the_setting_and_what_was_typed():
    with pytest.raises(ValidationFailed) as refused:
        typed_values(
            {
                "mcid_nrs_points": "12",
                "recent_visit_max": "2.5",
                "opioid_mme_high": "lots",
                "window_weeks.fusion": "",
                "time_zone": "Europe/Olso",
            }
        )
    assert [(e.field, e.value, e.message) for e in refused.value.errors] == [
        ("mcid_nrs_points", "12", "must be between 0 and 10"),
        ("recent_visit_max", "2.5", "must be a whole number"),
        ("opioid_mme_high", "lots", "is not a number (allowed: 1 to 1000)"),
        ("window_weeks.fusion", "", "is required"),
        ("time_zone", "Europe/Olso", "is not a time zone this server knows (e.g. Europe/Oslo)"),
    ]
    assert label_of("window_weeks.fusion") == "Recovery window: Fusion"


def test_valid_typed_settings_become_values_of_their_kind():
    assert typed_values({"mcid_nrs_points": " 2.5 ", "recent_visit_max": "4", "time_zone": " UTC "}) == {
        "mcid_nrs_points": 2.5,
        "recent_visit_max": 4,
        "time_zone": "UTC",
    }


def test_a_refused_stored_setting_is_named_in_clinic_words_and_by_its_key_for_the_command_line():
    with pytest.raises(SettingsError) as refused:
        from_values({"time_zone": "Mars/Olympus"})
    assert str(refused.value) == "time_zone: 'Mars/Olympus' is not a known time zone"
    assert refused.value.in_words == (
        "Site time zone: “Mars/Olympus” is not a time zone this server knows (a name such as Europe/Oslo or "
        "America/New_York)."
    )
    with pytest.raises(SettingsError) as refused:
        from_values({"opioid_max_weeks": 600})
    assert refused.value.in_words == "Opioids after surgery, longest: “600” must be between 1 and 520 weeks."


def test_the_follow_up_schedule_typed_in_its_table_is_judged_cell_by_cell_naming_row_and_column():
    rows = [
        {"label": "6 weeks", "weeks": "6", "tolerance_weeks": "2"},
        {"label": "3 months", "weeks": "600", "tolerance_weeks": "three"},
        {"label": None, "weeks": None, "tolerance_weeks": ""},  # a row added and left empty
    ]
    with pytest.raises(ValidationFailed) as refused:
        typed_schedule(rows)
    assert [(label_of(e.field), e.value, e.message) for e in refused.value.errors] == [
        ("Follow-up schedule, row 2, weeks after surgery", "600", "must be between 1 and 520"),
        ("Follow-up schedule, row 2, ± weeks", "three", "is not a number (allowed: 0 to 52)"),
    ]
    assert typed_schedule(rows[:1] + rows[2:]) == [{"label": "6 weeks", "weeks": 6, "tolerance_weeks": 2}]


def test_the_site_name_is_said_in_words_and_judged_as_a_name_on_one_line():
    assert changes({"site_name": ""}, {"site_name": "Riverside Spine Clinic"}) == [
        "Site name: not set → Riverside Spine Clinic"
    ]
    assert typed_values({"site_name": "  Riverside Spine Clinic "}) == {"site_name": "Riverside Spine Clinic"}
    with pytest.raises(ValidationFailed) as refused:
        typed_values({"site_name": "Riverside\u202eClinic"})
    assert refused.value.errors[0].field == "site_name" and "invisible" in refused.value.errors[0].message
    with pytest.raises(ValidationFailed):
        typed_values({"site_name": "x" * 121})
    assert label_of("site_name") == "Site name"


def test_the_attempts_after_which_a_patient_is_lost_is_a_whole_number_setting():
    assert typed_values({"follow_up_lost_after_attempts": "4"}) == {"follow_up_lost_after_attempts": 4}
    with pytest.raises(ValidationFailed) as refused:
        typed_values({"follow_up_lost_after_attempts": "2.5"})
    assert refused.value.errors[0].message == "must be a whole number"


def test_two_time_points_of_one_name_or_one_week_are_refused_in_words():
    renamed = [
        {"label": "6 weeks", "weeks": 6, "tolerance_weeks": 2},
        {"label": "12 months", "weeks": 52, "tolerance_weeks": 6},
        {"label": "12 Months", "weeks": 104, "tolerance_weeks": 8},
    ]
    with pytest.raises(SettingsError) as same_name:
        from_values({**to_values(DEFAULT_SETTINGS), "follow_up_schedule": renamed})
    assert same_name.value.in_words == (
        "Follow-up schedule: two time points are named “12 Months” (at 52 and 104 weeks); "
        "each time point needs a name of its own."
    )
    twice = [
        {"label": "3 months", "weeks": 13, "tolerance_weeks": 3},
        {"label": "Q1", "weeks": 13, "tolerance_weeks": 2},
    ]
    with pytest.raises(SettingsError) as same_week:
        from_values({**to_values(DEFAULT_SETTINGS), "follow_up_schedule": twice})
    assert same_week.value.in_words == (
        "Follow-up schedule: “3 months” and “Q1” are both at 13 weeks after surgery; each time point needs a week of its own."
    )


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("mcid_nrs_points", "5,5", 5.5),  # a decimal comma, as a clinic types it
        ("mcid_nrs_points", " 2,25 ", 2.25),
        ("mcid_nrs_percent", "30%", 30.0),  # a percentage keeps its meaning: stored as the number of percent
        ("mcid_nrs_percent", "30 %", 30.0),
        ("mcid_odi_percent", "27,5 %", 27.5),
        ("off_track_percentile", "80", 80.0),
        ("recent_visit_max", "4,0", 4),
    ],
)
def test_a_setting_typed_with_a_decimal_comma_or_a_percent_sign_is_read_as_meant(key, text, value):
    assert typed_values({key: text}) == {key: value}


@pytest.mark.parametrize("text", ["1e2", "1E1", "inf", "-inf", "nan", "Infinity"])
def test_scientific_notation_inf_and_nan_are_refused_naming_the_setting_and_the_value(text):
    with pytest.raises(ValidationFailed) as refused:
        typed_values({"opioid_mme_threshold": text})
    (error,) = refused.value.errors
    assert (error.field, error.value) == ("opioid_mme_threshold", text)
    assert error.message == "is not a plain number: type digits, e.g. 5.5 or 5,5 (allowed: 1 to 1000)"
    assert sentence(error, labels={"opioid_mme_threshold": label_of("opioid_mme_threshold")}) == (
        f"Opioid dose to reassess: “{text}” is not a plain number: type digits, e.g. 5.5 or 5,5 (allowed: 1 to 1000)."
    )


def test_a_percent_sign_is_only_for_a_percentage_and_a_comma_before_three_digits_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        typed_values({"mcid_nrs_points": "30%", "opioid_mme_high": "1,500"})
    assert [(e.field, e.value, e.message) for e in refused.value.errors] == [
        ("mcid_nrs_points", "30%", "is not a number (allowed: 0 to 10)"),
        (
            "opioid_mme_high",
            "1,500",
            "could be read two ways: type it without a comma, or with a decimal point (allowed: 1 to 1000)",
        ),
    ]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "America/Argentina/Buenos_Aires", "UTC"])
def test_a_time_zone_named_by_region_and_city_is_accepted(zone):
    assert typed_values({"time_zone": zone}) == {"time_zone": zone}


@pytest.mark.parametrize("zone", ["CET", "EST", "PST8PDT", "EST5EDT", "GMT", "US/Eastern", "Etc/GMT+1"])
def test_a_time_zone_abbreviation_or_alias_is_refused_with_an_example(zone):
    with pytest.raises(ValidationFailed) as refused:
        typed_values({"time_zone": zone})
    (error,) = refused.value.errors
    assert (error.field, error.value) == ("time_zone", zone)
    assert "Europe/Berlin" in error.message and "abbreviation" in error.message
