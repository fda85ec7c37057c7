"""Finding a patient: part of an MRN, a name in any order (Last, First), the exact MRN first, and a
search that finds more than it lists says how many it found."""

from __future__ import annotations

import pytest

from data_model.audit import set_actor
from data_model.commands import register_patient
from data_model.db import read_session, write_session
from data_model.queries import find_patients

PATIENTS = [
    ("MRN001234", "Dora Oakhollow", 1975),
    ("MRN001235", "Dora Oakhollow", 1981),
    ("MRN123", "Ivo Pine", 1950),
    ("X-9", "Oak Dora", None),
    ("A_1", "Percy Under_Score", 1960),
    ("A1", "Zed 100%", 1961),
    ("AMRN1230", "Amy Ash", 1990),
]


@pytest.fixture
def clinic(engine):
    with write_session(engine) as session:
        set_actor(session, "t")
        for mrn, name, year in PATIENTS:
            register_patient(session, {"mrn": mrn, "display_name": name, "birth_year": year})
    return engine


def _found(engine, text, limit=20):
    with read_session(engine) as session:
        search = find_patients(session, text, limit)
    return list(search.shown["mrn"]), search.total, search.cut


def test_some_digits_of_an_mrn_find_every_patient_whose_mrn_holds_them(clinic):
    assert _found(clinic, "123") == (["AMRN1230", "MRN001234", "MRN001235", "MRN123"], 4, False)


def test_the_exact_mrn_comes_first_then_mrns_starting_with_the_text(clinic):
    assert _found(clinic, "mrn123")[0] == ["MRN123", "AMRN1230"]
    assert _found(clinic, "MRN")[0] == ["MRN001234", "MRN001235", "MRN123", "AMRN1230"]


@pytest.mark.parametrize("text", ["Oakhollow, Dora", "oakhollow dora", "Dora Oakhollow", "  DORA,OAKHOLLOW "])
def test_a_name_written_last_comma_first_or_in_any_order_finds_the_patient(clinic, text):
    mrns, total, _ = _found(clinic, text)
    assert (mrns, total) == (["MRN001234", "MRN001235"], 2)


def test_a_search_that_finds_more_than_it_lists_says_how_many_it_found(clinic):
    mrns, total, cut = _found(clinic, "o", limit=2)
    assert len(mrns) == 2 and total == 5 and cut


def test_percent_and_underscore_in_a_search_are_the_characters_themselves(clinic):
    assert _found(clinic, "A_1")[0] == ["A_1"]
    assert _found(clinic, "100%")[0] == ["A1"]


def test_a_blank_search_or_punctuation_alone_finds_nobody(clinic):
    assert _found(clinic, "   ") == ([], 0, False)
    assert _found(clinic, ",") == ([], 0, False)
