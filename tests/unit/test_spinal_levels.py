"""Spinal levels are entered in their clinical form (L4-L5, L5-S1), so the field cannot carry free text."""

from __future__ import annotations

from datetime import date

import pytest

from data_model.validation import check_surgery

TODAY = date(2026, 6, 1)


def _levels(text: str):
    return check_surgery({"surgery_date": "2026-01-12", "procedure": "fusion", "spinal_levels": text}, TODAY)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("L4-L5", "L4-L5"),
        ("L5-S1", "L5-S1"),
        ("l4-l5", "L4-L5"),
        ("L4-5", "L4-L5"),
        ("L4/5", "L4-L5"),
        ("L4–L5", "L4-L5"),
        ("L3-L5", "L3-L5"),
        ("T12-L1", "T12-L1"),
        ("C5-C6", "C5-C6"),
        ("L5", "L5"),
        ("L4-L5, L5-S1", "L4-L5, L5-S1"),
        ("L4-L5 and L5-S1", "L4-L5, L5-S1"),
        ("L5-L6", "L5-L6"),
    ],
)
def test_levels_as_clinics_write_them_are_stored_in_one_clinical_form(typed, stored):
    surgery, errors = _levels(typed)
    assert errors == [] and surgery.spinal_levels == stored


@pytest.mark.parametrize(
    "typed",
    ["John Smith", "L4-L5 (Dr Chen)", "L5-L4", "L9-L10", "C8", "+L4-L5", "lumbar", "see notes", "L4-L5, ask Mary"],
)
def test_anything_else_is_refused_naming_the_field_and_the_clinical_form(typed):
    surgery, errors = _levels(typed)
    assert surgery is None and [e.field for e in errors] == ["spinal_levels"]
    assert "L4-L5" in errors[0].message and "L5-S1" in errors[0].message and errors[0].value == typed


def test_no_levels_at_all_is_fine():
    surgery, errors = _levels("")
    assert errors == [] and surgery.spinal_levels is None
