"""Field validation shared by forms and importers: each bad value is named with the field."""

from __future__ import annotations

from datetime import date

import pytest

from data_model.validation import Fields, before_birth, check_patient, check_visit

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize("text", ["20260101", "2026-W05-1", "2026-1-5", "01/02/2026", "2026-02-30"])
def test_a_date_not_written_as_yyyy_mm_dd_is_refused(text):
    _, errors = check_visit({"visit_date": text, "back_pain": 3}, TODAY)
    assert [e.field for e in errors] == ["visit_date"] and "YYYY-MM-DD" in errors[0].message


def test_a_correct_iso_date_is_accepted():
    visit, errors = check_visit({"visit_date": "2026-05-31", "back_pain": "3.5"}, TODAY)
    assert not errors and visit.visit_date == date(2026, 5, 31) and visit.back_pain == 3.5


def test_a_pain_score_above_ten_names_the_field_and_the_value():
    _, errors = check_visit({"visit_date": "2026-05-31", "leg_pain": "11"}, TODAY)
    assert str(errors[0]) == "leg_pain: must be between 0 and 10 (got '11')"


@pytest.mark.parametrize(
    "name",
    ["Ann\u202eeoD", "Ann\u202aDoe", "Ann\u2066Doe\u2069", "Ann\tDoe", "Ann\nDoe", "Ann\x85Doe", "Ann\u2028Doe"],
    ids=[
        "right-to-left-override",
        "left-to-right-embedding",
        "isolates",
        "tab",
        "line-break",
        "next-line",
        "line-separator",
    ],
)
def test_a_name_with_an_invisible_control_or_direction_character_is_refused(name):
    _, errors = check_patient({"mrn": "N1", "display_name": name}, TODAY)
    assert [(e.field, e.value) for e in errors] == [("display_name", name)]
    assert errors[0].message.startswith("contains an invisible control or text-direction character (U+")


@pytest.mark.parametrize("name", ["Zoë Ångström", "李小龍", "محمد علي", "שרה כהן", "O'Brien-Smith, Jr."])
def test_names_in_any_script_are_accepted(name):
    patient, errors = check_patient({"mrn": "N1", "display_name": name}, TODAY)
    assert errors == [] and patient.display_name == name


def test_an_mrn_with_a_direction_character_says_so():
    _, errors = check_patient({"mrn": "\u202eN1"}, TODAY)
    assert [(e.field, e.message) for e in errors] == [
        ("mrn", "contains an invisible control or text-direction character (U+202E)")
    ]


def test_a_notes_field_keeps_its_line_breaks():
    visit, errors = check_visit({"visit_date": "2026-05-31", "back_pain": 2, "notes": "line one\nline two"}, TODAY)
    assert errors == [] and visit.notes == "line one\nline two"


def test_a_date_in_the_birth_year_is_fine_and_one_before_it_is_refused():
    assert before_birth("visit_date", date(1975, 1, 1), 1975) == []
    assert before_birth("visit_date", date(2026, 1, 1), None) == []
    [error] = before_birth("visit_date", date(1974, 12, 31), 1975)
    assert (error.field, error.value, error.message) == (
        "visit_date",
        "1974-12-31",
        "is before the patient's birth year 1975",
    )


def test_a_visit_with_no_measurement_is_refused_in_clinic_words():
    _, errors = check_visit({"visit_date": "2026-05-31", "notes": "phoned"}, TODAY)
    assert [e.field for e in errors] == ["measurements"]
    assert "back_pain" not in errors[0].message and "back pain, leg pain, ODI" in errors[0].message


@pytest.mark.parametrize("text", ["２０２６-０１-０１", "٢٠٢٦-٠١-٠١"])
def test_a_date_in_other_digits_is_not_a_date(text):
    _, errors = check_visit({"visit_date": text, "back_pain": 3}, TODAY)
    assert [(e.field, e.message) for e in errors] == [("visit_date", "is not a date in the form YYYY-MM-DD")]


@pytest.mark.parametrize(("text", "value"), [("5,5", 5.5), ("5.5", 5.5), (",5", 0.5), ("7", 7.0), ("0,25", 0.25)])
def test_a_visit_score_typed_with_a_decimal_comma_is_read_as_meant(text, value):
    fields = Fields({"back_pain": text})
    assert fields.number("back_pain", 0, 10) == value and fields.errors == []


@pytest.mark.parametrize("text", ["1e1", "inf", "nan", "5,5,5", "5.5.5", "5, 5"])
def test_a_visit_score_in_scientific_notation_or_with_stray_separators_is_refused(text):
    fields = Fields({"back_pain": text})
    assert fields.number("back_pain", 0, 10) is None
    assert [(e.field, e.value) for e in fields.errors] == [("back_pain", text)]
