"""Field validation shared by forms and importers: each bad value is named with the field."""

from __future__ import annotations

from datetime import date

import pytest

from data_model.validation import check_visit

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
