"""The ODI scored from its ten sections: sum over the answered ones ÷ (5 × answered) × 100, none below the
clinic's minimum of answered sections. Expected totals are worked out by hand in each test."""

from __future__ import annotations

from datetime import date

import pytest

from data_model import odi
from data_model.validation import check_visit

TODAY = date(2026, 6, 1)
# Pain intensity 3, personal care 1, lifting 4, walking 2, sitting 3, standing 2, sleeping 1, sex life 0,
# social life 2, travelling 2: the sum of all ten is 20.
SCORES = dict(zip(odi.KEYS, (3, 1, 4, 2, 3, 2, 1, 0, 2, 2), strict=True))


def _without(*skipped: str) -> dict[str, int | None]:
    return {key: (None if key in skipped else value) for key, value in SCORES.items()}


def test_the_sections_are_the_paper_form_s_ten_in_order():
    assert [label for _, label in odi.SECTIONS] == [
        "Pain intensity",
        "Personal care",
        "Lifting",
        "Walking",
        "Sitting",
        "Standing",
        "Sleeping",
        "Sex life",
        "Social life",
        "Travelling",
    ]


def test_all_ten_sections_answered():
    # 20 of a possible 50 points: 40 %
    assert odi.score(SCORES) == pytest.approx(40.0)


def test_nine_sections_answered_the_skipped_one_lowers_the_denominator():
    # sex life (0) skipped: 20 of 45 points = 44.44 %
    assert odi.score(_without("sex_life")) == pytest.approx(44.444, abs=0.001)


def test_eight_sections_answered_is_still_scored():
    # lifting (4) and sex life (0) skipped: 16 of 40 points = 40 %
    assert odi.score(_without("lifting", "sex_life")) == pytest.approx(40.0)


def test_seven_sections_answered_is_not_scored():
    assert odi.score(_without("lifting", "sex_life", "travelling")) is None


def test_seven_sections_are_scored_when_the_clinic_allows_seven():
    # lifting (4), sex life (0), travelling (2) skipped: 14 of 35 points = 40 %
    assert odi.score(_without("lifting", "sex_life", "travelling"), min_sections=7) == pytest.approx(40.0)


def test_all_zeros_is_no_disability():
    assert odi.score(dict.fromkeys(odi.KEYS, 0)) == 0.0


def test_all_fives_is_the_highest_disability():
    assert odi.score(dict.fromkeys(odi.KEYS, 5)) == 100.0


def _form(scores: dict[str, int | None], **more) -> dict:
    raw = {odi.column(key): ("" if value is None else str(value)) for key, value in scores.items()}
    return {"visit_date": "2026-05-31", **raw, **more}


def test_a_visit_with_sections_stores_them_and_a_total_computed_from_them():
    visit, errors = check_visit(_form(_without("sex_life")), TODAY)
    assert not errors
    assert visit.odi == pytest.approx(44.444, abs=0.001) and visit.odi_source == odi.FROM_SECTIONS
    assert visit.odi_items() == _without("sex_life")


def test_a_total_copied_from_the_paper_form_that_agrees_is_accepted():
    visit, errors = check_visit(_form(SCORES, odi="40"), TODAY)
    assert not errors and visit.odi == 40.0 and visit.odi_source == odi.FROM_SECTIONS


def test_a_total_that_disagrees_with_the_sections_is_refused_naming_the_computed_one():
    _, errors = check_visit(_form(SCORES, odi="50"), TODAY)
    assert [e.field for e in errors] == ["odi"]
    assert errors[0].value == "50" and "40.0" in errors[0].message


def test_too_few_sections_keep_their_answers_without_a_total():
    visit, errors = check_visit(_form(_without("lifting", "sex_life", "travelling")), TODAY)
    assert not errors and visit.odi is None and visit.odi_lifting is None and visit.odi_walking == 2


def test_a_total_beside_too_few_sections_is_refused():
    _, errors = check_visit(_form(_without("lifting", "sex_life", "travelling"), odi="40"), TODAY)
    assert [e.field for e in errors] == ["odi"] and "7 of the 10" in errors[0].message


def test_a_section_score_of_six_names_the_section_and_the_value():
    _, errors = check_visit(_form({**SCORES, "walking": 6}), TODAY)
    assert [(e.field, e.value) for e in errors] == [("odi_walking", "6")]
    assert "between 0 and 5" in errors[0].message


def test_a_total_alone_is_marked_entered():
    visit, errors = check_visit({"visit_date": "2026-05-31", "odi": "36"}, TODAY)
    assert not errors and visit.odi == 36.0 and visit.odi_source == odi.ENTERED_TOTAL
    assert set(visit.odi_items().values()) == {None}
