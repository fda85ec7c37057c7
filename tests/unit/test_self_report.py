"""What a patient's self-report becomes: the visit's values, and the pain medicines in the note staff read."""

from __future__ import annotations

from datetime import date

import pytest

from data_model import odi
from data_model.self_report import Answers, medicines_note, visit_values
from data_model.validation import ValidationFailed

TODAY = date(2026, 12, 3)


def test_the_medicines_chosen_read_in_the_catalogues_names_then_what_the_patient_typed():
    assert (
        medicines_note(("opioid", "nsaid"), "  paracetamol   1 g ")
        == "Pain medicines now (patient's report): NSAIDs; Opioid; other: paracetamol 1 g"
    )


def test_no_pain_medicine_is_said_so_and_no_answer_leaves_no_note():
    assert medicines_note(("none",), "") == "Pain medicines now (patient's report): none"
    assert medicines_note((), "  ") is None


def test_the_answers_make_a_visit_of_today_with_every_section_left_out_as_blank():
    raw = visit_values(Answers(back_pain=4, odi_items={"walking": 2}, weakness=True), TODAY)

    assert raw["visit_date"] == TODAY and raw["back_pain"] == 4 and raw["leg_pain"] is None
    assert raw["weakness"] is True and raw["numbness"] is None
    assert raw[odi.column("walking")] == 2
    assert [raw[odi.column(key)] for key in odi.KEYS if key != "walking"] == [None] * 9
    assert "odi" not in raw, "the total is computed from the sections when the visit is saved"


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        (Answers(), "questionnaire"),
        (Answers(back_pain=3, medicines=("none", "opioid")), "medicines"),
        (Answers(back_pain=3, medicines=("none",), other_medicines="tramadol"), "medicines"),
        (Answers(back_pain=3, medicines=("aspirin",)), "medicines"),
        (Answers(back_pain=3, other_medicines="x" * 301), "other medicines"),
    ],
)
def test_answers_that_cannot_be_saved_name_what_is_wrong(answers, field):
    with pytest.raises(ValidationFailed) as refused:
        visit_values(answers, TODAY)
    assert [error.field for error in refused.value.errors] == [field]
