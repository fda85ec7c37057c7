"""Recording post-laminectomy syndrome through data_model.commands: validated, nothing saved on bad input."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from dashboard.widgets.feedback import sentence
from data_model import commands
from data_model.audit import set_actor
from data_model.db import read_session, run_write, write_session
from data_model.models import Condition
from data_model.validation import ValidationFailed

TODAY = date(2026, 6, 1)


def _patient(engine) -> int:
    def action(session):
        set_actor(session, "nurse1")
        return commands.register_patient(session, {"mrn": "FB9", "birth_year": 1960}).id

    return run_write(engine, action)


def _refusal(engine, patient_id: int, typed: object) -> str:
    with pytest.raises(ValidationFailed) as refused, write_session(engine) as s:
        set_actor(s, "nurse1")
        commands.record_fbss(s, patient_id, {"diagnosed_on": typed}, TODAY)
    (error,) = refused.value.errors
    assert error.field == "diagnosed_on"
    return f"{error.value} {error.message}"


def _conditions(engine) -> int:
    with read_session(engine) as s:
        return s.execute(select(func.count()).select_from(Condition)).scalar_one()


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "is required"),
        ("2021-02-30", "is not a date in the form YYYY-MM-DD"),
        ("2026-06-02", "is in the future"),
        ("1959-12-31", "before"),  # born 1960
    ],
)
def test_a_bad_diagnosis_date_is_refused_and_nothing_is_saved(engine, typed, said):
    patient_id = _patient(engine)
    assert said in _refusal(engine, patient_id, typed)
    assert _conditions(engine) == 0


def test_the_same_diagnosis_on_the_same_day_is_refused_the_second_time(engine):
    patient_id = _patient(engine)
    with write_session(engine) as s:
        set_actor(s, "nurse1")
        commands.record_fbss(s, patient_id, {"diagnosed_on": "2021-03-15"}, TODAY)
    with pytest.raises(ValidationFailed) as refused, write_session(engine) as s:
        set_actor(s, "nurse1")
        commands.record_fbss(s, patient_id, {"diagnosed_on": "2021-03-15"}, TODAY)
    # the sentence under the form's date field reads as one sentence
    (error,) = refused.value.errors
    assert sentence(error) == "Date diagnosed: “2021-03-15” is already recorded as the date of this diagnosis."
    assert _conditions(engine) == 1
