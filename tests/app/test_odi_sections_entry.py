"""Staff copy a paper ODI section by section on Enter visit: the total is computed from the sections,
a disagreeing total is refused naming both, and the patient page shows the sections and how the total
came about. A total alone stays one box, marked as entered."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from data_model import odi
from data_model.db import make_engine, read_session
from data_model.models import Patient, Visit

# pain intensity 4, personal care 2, lifting 3, walking 2, sitting 3, standing 2, sleeping 1, sex life
# not answered, social life 2, travelling 1: 20 points of 45 = 44.4
PAPER = {
    "pain_intensity": "4",
    "personal_care": "2",
    "lifting": "3",
    "walking": "2",
    "sitting": "3",
    "standing": "2",
    "sleeping": "1",
    "sex_life": "",
    "social_life": "2",
    "travelling": "1",
}


def _text(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def _visits(url: str, mrn: str) -> list[Visit]:
    engine = make_engine(url)
    with read_session(engine) as s:
        pid = s.scalar(select(Patient.id).where(Patient.mrn == mrn))
        visits = list(s.scalars(select(Visit).where(Visit.patient_id == pid, Visit.odi.is_not(None))))
    engine.dispose()
    return visits


def _open_sections(at, mrn: str) -> None:
    """The patient chosen on Enter visit, the switch for the ODI by section turned on."""
    at.run()
    at.text_input(key="ef_query").input(mrn).run()
    next(t for t in at.toggle if t.label == "ODI section by section").set_value(True).run()


def _type_sections(at, scores: dict[str, str], gen: int = 0) -> None:
    for key, value in scores.items():
        at.text_input(key=f"v_{odi.column(key)}_{gen}").input(value)


def _save(at, gen: int = 0):
    return at.button(key=f"FormSubmitter:visit_form_{gen}-Save visit").click().run()


def test_staff_copy_a_paper_odi_by_section_and_the_patient_page_shows_it_computed(as_user, app_db):
    at = as_user("nurse")
    _open_sections(at, "EARLY1")
    _type_sections(at, PAPER)
    at.text_input(key="v_odi_0").input("50")  # the paper's total, added up wrong
    _save(at)
    error = _text(at.error[0].value)
    assert "ODI: “50” does not match the sections, which give 44.4" in error
    assert _visits(app_db, "EARLY1") == [], "nothing saved"

    at.text_input(key="v_odi_0").input("")  # leave the total to the sections
    _save(at)
    assert not at.exception
    assert any("ODI by section, 9 of 10 answered" in _text(t.value) for t in at.toast)
    [visit] = _visits(app_db, "EARLY1")
    assert visit.odi == pytest.approx(44.444, abs=0.001) and visit.odi_source == "sections"
    assert (visit.odi_pain_intensity, visit.odi_sex_life, visit.odi_travelling) == (4, None, 1)

    at.switch_page("pages/patient.py").run()
    visits = next(df.value for df in at.dataframe if "ODI from" in df.value.columns)
    assert visits["ODI (0–100)"].iloc[0] == "44.4"
    assert visits["ODI from"].iloc[0] == "computed from 9 of 10 sections"
    sections = next(df.value for df in at.dataframe if "Walking (0–5)" in df.value.columns)
    assert list(sections.iloc[0][["Pain intensity (0–5)", "Sex life (0–5)", "Travelling (0–5)"]]) == ["4", "–", "1"]


def test_a_section_score_of_seven_is_refused_under_its_section(as_user, app_db):
    at = as_user("nurse")
    _open_sections(at, "EARLY1")
    _type_sections(at, {**PAPER, "walking": "7"})
    _save(at)
    assert "ODI, walking: “7” must be between 0 and 5" in _text(at.error[0].value)
    assert any("must be between 0 and 5" in _text(c.value) for c in at.caption), "said under the box too"
    assert _visits(app_db, "EARLY1") == []


def test_a_total_alone_is_saved_and_shown_as_entered(as_user, app_db):
    at = as_user("nurse").run()
    at.text_input(key="ef_query").input("EARLY1").run()
    at.text_input(key="v_odi_0").input("36")
    _save(at)
    [visit] = _visits(app_db, "EARLY1")
    assert visit.odi == 36.0 and visit.odi_source == "total"
    at.switch_page("pages/patient.py").run()
    visits = next(df.value for df in at.dataframe if "ODI from" in df.value.columns)
    assert visits["ODI from"].iloc[0] == "entered as a total"


def _correcting_the_paper_visit(at, app_db) -> int:
    """The paper ODI saved by section for EARLY1, then the visit open on Correct a visit: its id."""
    _open_sections(at, "EARLY1")
    _type_sections(at, PAPER)
    _save(at)
    [saved] = _visits(app_db, "EARLY1")
    at.session_state["ev_tab"] = "Correct a visit"
    at.run()
    return saved.id


def _save_correction(at, vid: int, app_db) -> Visit:
    at.button(key=f"FormSubmitter:correct_form_{vid}-Save correction").click().run()
    assert not at.exception and not at.error
    [corrected] = _visits(app_db, "EARLY1")
    return corrected


def test_correcting_another_value_keeps_the_sections_which_show_filled_in(as_user, app_db):
    at = as_user("nurse")
    vid = _correcting_the_paper_visit(at, app_db)
    assert at.text_input(key=f"c_odi_walking_{vid}").value == "2"
    assert at.text_input(key=f"c_odi_sex_life_{vid}").value == ""
    at.text_input(key=f"c_leg_{vid}").input("3")
    corrected = _save_correction(at, vid, app_db)
    assert corrected.leg_pain == 3.0 and corrected.odi_walking == 2 and corrected.odi_source == "sections"
    assert corrected.odi == pytest.approx(44.444, abs=0.001)


def test_correcting_a_section_computes_the_total_again(as_user, app_db):
    at = as_user("nurse")
    vid = _correcting_the_paper_visit(at, app_db)
    assert at.text_input(key=f"c_odi_{vid}").value == "", "the computed total is not typed back"
    at.text_input(key=f"c_odi_walking_{vid}").input("4")  # 22 of 45 points = 48.89
    corrected = _save_correction(at, vid, app_db)
    assert corrected.odi_walking == 4 and corrected.odi == pytest.approx(48.889, abs=0.001)
