"""Hostile input to validation and commands: validation never raises, names the field, accepts only values
in range; whatever it accepts is stored and read back exactly. CSV files: test_hostile_csv_import.py.

Hypothesis runs derandomized (the same examples every run) with no example database, so CI is stable.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from data_model import commands
from data_model.audit import set_actor
from data_model.catalog import PROCEDURE_CODES, SEXES, TREATMENT_CODES
from data_model.db import read_session, write_session
from data_model.models import Patient, Surgery, Visit
from data_model.validation import (
    CONTROL_CHARS,
    EARLIEST_DATE,
    MAX_MME_PER_DAY,
    MAX_NOTE_LENGTH,
    MEASUREMENTS,
    MRN_PATTERN,
    NAME_FORBIDDEN,
    FieldError,
    check_patient,
    check_surgery,
    check_treatment,
    check_visit,
)
from tests.helpers.hostile import (
    PATIENT_FIELDS,
    PURE,
    ROUND_TRIP,
    SURGERY_FIELDS,
    SURROGATES,
    TODAY,
    TREATMENT_FIELDS,
    VISIT_FIELDS,
    any_text,
    records,
    stored_text,
)

# --- validation: never raises, errors name the field, accepted values are in range ----------------------------


def _clean_text(value, limit: int) -> None:
    assert value is None or (
        isinstance(value, str)
        and value == value.strip()
        and 0 < len(value) <= limit
        and not CONTROL_CHARS.search(value)
        and not SURROGATES.search(value)
    ), repr(value)[:80]


def _visible_name(value, limit: int) -> None:
    _clean_text(value, limit)
    assert value is None or not NAME_FORBIDDEN.search(value), repr(value)[:80]


def _in_range(value, low: float, high: float) -> None:
    assert value is None or (isinstance(value, float) and math.isfinite(value) and low <= value <= high), value


def _in_dates(value, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    assert isinstance(value, date) and not isinstance(value, datetime) and EARLIEST_DATE <= value <= TODAY, value


def _check_errors(raw: dict, errors: list[FieldError], fields: tuple[str, ...]) -> None:
    for error in errors:
        assert isinstance(error, FieldError)
        assert error.field in fields or error.field == "measurements", error.field
        if error.field == "measurements":
            assert all(
                raw.get(m) is None or str(raw.get(m)).strip() == "" or raw.get(m) != raw.get(m)
                for m in MEASUREMENTS
                if m in raw
            )
        elif error.field not in raw:
            assert error.message == "is required", error  # a missing field can only be a required one
        else:
            assert error.value is raw[error.field]  # the error shows what was given
        assert error.message and str(error)  # printable


@PURE
@given(raw=records(VISIT_FIELDS))
def test_check_visit_never_raises_and_accepts_only_values_in_range(raw):
    value, errors = check_visit(raw, TODAY)

    assert (value is None) == bool(errors)
    _check_errors(raw, errors, VISIT_FIELDS)
    if value is not None:
        _in_dates(value.visit_date)
        for name in ("back_pain", "leg_pain"):
            _in_range(getattr(value, name), 0, 10)
        _in_range(value.odi, 0, 100)
        _in_range(value.mme_per_day, 0, MAX_MME_PER_DAY)
        assert all(getattr(value, f) in (None, True, False) for f in ("numbness", "tingling", "weakness"))
        assert any(getattr(value, m) is not None for m in MEASUREMENTS)
        _clean_text(value.notes, MAX_NOTE_LENGTH)
        for name in ("back_pain", "leg_pain", "odi", "mme_per_day"):  # read only from the digits 0-9
            assert getattr(value, name) is None or not isinstance(raw.get(name), str) or raw[name].strip().isascii()


@PURE
@given(raw=records(PATIENT_FIELDS))
def test_check_patient_never_raises_and_accepts_only_values_in_range(raw):
    value, errors = check_patient(raw, TODAY)

    assert (value is None) == bool(errors)
    _check_errors(raw, errors, PATIENT_FIELDS)
    if value is not None:
        assert MRN_PATTERN.match(value.mrn) and value.mrn == str(raw["mrn"]).strip()
        _visible_name(value.display_name, 200)
        assert value.birth_year is None or (
            isinstance(value.birth_year, int) and 1900 <= value.birth_year <= TODAY.year
        )
        assert value.sex in SEXES


@PURE
@given(raw=records(SURGERY_FIELDS))
def test_check_surgery_never_raises_and_accepts_only_values_in_range(raw):
    value, errors = check_surgery(raw, TODAY)

    assert (value is None) == bool(errors)
    _check_errors(raw, errors, SURGERY_FIELDS)
    if value is not None:
        _in_dates(value.surgery_date)
        assert value.procedure in PROCEDURE_CODES
        _visible_name(value.spinal_levels, 64)
        _visible_name(value.surgeon, 120)
        _clean_text(value.notes, MAX_NOTE_LENGTH)


@PURE
@given(raw=records(TREATMENT_FIELDS))
def test_check_treatment_never_raises_and_accepts_only_values_in_range(raw):
    value, errors = check_treatment(raw, TODAY)

    assert (value is None) == bool(errors)
    _check_errors(raw, errors, TREATMENT_FIELDS)
    if value is not None:
        assert value.code in TREATMENT_CODES
        _in_dates(value.start_date)
        _in_dates(value.end_date, allow_none=True)
        assert value.end_date is None or value.end_date >= value.start_date
        _clean_text(value.notes, MAX_NOTE_LENGTH)


def TYPED_FLOATS(low: float, high: float):
    """Floats a person could type whole: none so small that its digits run past a dozen zeros."""
    return st.floats(low, high).filter(lambda x: x == 0 or abs(x) >= 1e-9)


def _digits(value: object) -> str:
    """A number as digits and a decimal point (the shortest that reads back exactly); other values as str."""
    return np.format_float_positional(value, trim="-") if isinstance(value, float) else str(value)


@PURE
@given(
    back=TYPED_FLOATS(0, 10),
    leg=st.integers(0, 10),
    odi=TYPED_FLOATS(0, 100),
    mme=st.floats(0, MAX_MME_PER_DAY),
    when=st.dates(EARLIEST_DATE, TODAY),
    flag=st.sampled_from(["0", "1", " 1 ", "true", "no", 0, 1, True, False]),
    notes=st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=MAX_NOTE_LENGTH),
    spaced=st.booleans(),
)
def test_every_value_in_range_is_accepted_as_given_whether_typed_as_text_or_number(
    back, leg, odi, mme, when, flag, notes, spaced
):
    # typed as a person types a number: digits and a point, never an exponent (refused: see below)
    pad = (lambda s: f"  {_digits(s)}\t") if spaced else _digits
    raw = {
        "visit_date": pad(when.isoformat()),
        "back_pain": pad(back),
        "leg_pain": leg,
        "odi": pad(odi),
        "mme_per_day": mme,
        "numbness": flag,
        "notes": notes,
    }

    value, errors = check_visit(raw, TODAY)

    assert errors == []
    assert (value.visit_date, value.back_pain, value.leg_pain, value.odi, value.mme_per_day) == (
        when,
        back,
        leg,
        odi,
        mme,
    )
    assert value.numbness == (str(flag).strip().lower() in ("1", "true", "yes"))
    assert value.notes == (notes.strip() or None)


HIDDEN = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\t\n\r\x85\u2028\u2029\x00\x1b\x7f"


@PURE
@given(name=st.text(max_size=20), hidden=st.sampled_from(list(HIDDEN)), at=st.integers(0, 20))
def test_a_name_hiding_a_control_or_direction_character_is_refused_or_trimmed_of_it(name, hidden, at):
    text = name[:at] + hidden + name[at:]

    value, errors = check_patient({"mrn": "H1", "display_name": text}, TODAY)

    if value is None:
        assert [e.field for e in errors] == ["display_name"]
    else:  # only at either end, where the spaces of a name are trimmed away
        assert value.display_name == (text.strip() or None) and hidden not in (value.display_name or "")


@PURE
@given(digits=st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=3))
def test_a_number_is_read_only_from_the_digits_0_to_9(digits):
    value, errors = check_visit({"visit_date": "2026-01-02", "odi": digits}, TODAY)

    if not digits.isascii():
        assert [(e.field, e.value) for e in errors] == [("odi", digits)]
    elif int(digits) <= 100:
        assert errors == [] and value.odi == int(digits)


@pytest.mark.parametrize("text", ["5_0", "1_000", "_5"])
def test_a_number_with_python_digit_separators_is_not_a_number(text):
    """float() also reads '5_0' as 50 (Python's digit separators); a clinic's file never means that."""
    _, errors = check_visit({"visit_date": "2026-01-02", "odi": text}, TODAY)
    assert [(e.field, e.value, e.message) for e in errors] == [("odi", text, "is not a number (allowed: 0 to 100)")]


@pytest.mark.parametrize("text", ["٥", "١٠", "१०", "５", "１９７０", "٧", "5٥", "𝟓"])
def test_digits_other_than_0_to_9_are_refused_not_read_as_numbers(text):
    """float() reads Arabic-Indic, Devanagari and full-width digits as numbers: a clinic never means those."""
    _, errors = check_visit({"visit_date": "2026-01-02", "odi": text}, TODAY)
    assert [(e.field, e.value) for e in errors] == [("odi", text)]
    assert errors[0].message == "is not a number written with the digits 0-9 (allowed: 0 to 100)"


@pytest.mark.parametrize(("text", "number"), [("5\u00a0", 5.0), ("\u00a0 7.5 ", 7.5), ("5,5", 5.5), ("+3", 3.0)])
def test_numbers_are_decimal_numbers_as_a_person_types_them(text, number):
    """A no-break space around the number, a decimal comma, a plus sign: a real number, read as such."""
    value, errors = check_visit({"visit_date": "2026-01-02", "odi": text}, TODAY)
    assert errors == [] and value.odi == number


@pytest.mark.parametrize("year", ["１９７０", "١٩٧٠", "197٠"])
def test_a_birth_year_in_other_digits_is_refused(year):
    _, errors = check_patient({"mrn": "D1", "birth_year": year}, TODAY)
    assert [(e.field, e.value) for e in errors] == [("birth_year", year)]


# --- commands: what validation accepts, the database stores and reads back exactly -----------------------------


@pytest.mark.postgres
@ROUND_TRIP
@given(name=any_text, notes=any_text, surgeon=any_text)
def test_any_accepted_text_is_stored_and_read_back_exactly(engine, name, notes, surgeon):
    with pytest.raises(_Rollback), write_session(engine) as session:
        set_actor(session, "fuzz")
        try:
            patient = commands.register_patient(session, {"mrn": "FUZZ1", "display_name": name})
            surgery = commands.add_surgery(
                session,
                patient.id,
                {"surgery_date": "2025-01-02", "procedure": "fusion", "surgeon": surgeon, "notes": notes},
                TODAY,
            )
            visit = commands.add_visit(
                session, patient.id, {"visit_date": "2025-02-03", "odi": 40, "notes": notes}, TODAY
            )
        except commands.ValidationFailed as refused:
            event("refused")
            assert refused.errors  # refused with reasons, before anything reached the database
            raise _Rollback from None
        ids = patient.id, surgery.id, visit.id
        session.expire_all()  # read back from the database, not the session's copies
        stored = (
            session.get(Patient, ids[0]).display_name,
            session.get(Surgery, ids[1]).surgeon,
            session.get(Surgery, ids[1]).notes,
            session.get(Visit, ids[2]).notes,
        )
        assert stored == (stored_text(name), stored_text(surgeon), stored_text(notes), stored_text(notes))
        event("stored")
        raise _Rollback  # leave the database as it was for the next example
    with read_session(engine) as s:
        assert s.scalar(select(func.count(Patient.id))) == 0


class _Rollback(Exception):
    pass
