"""FHIR R4 questionnaires: a visit's ODI sections and a patient's self-report go out as QuestionnaireResponses
beside the Observations, with a Questionnaire for each form, and come back the same way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy import Engine, select

from data_model import commands, odi
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, run_write
from data_model.exchange.fhir import questionnaire as Q
from data_model.exchange.fhir.bundle_import import import_fhir
from data_model.exchange.fhir.export import export_fhir
from data_model.migrate import upgrade
from data_model.models import Patient, Visit

TODAY = date(2026, 6, 1)
# Staff copy a paper ODI: pain intensity 4, personal care 2, lifting 3, walking 2, sitting 3, standing 2,
# sleeping 1, sex life not answered, social life 2, travelling 1: 20 of 45 points = 44.44
STAFF = dict(zip(odi.KEYS, (4, 2, 3, 2, 3, 2, 1, None, 2, 1), strict=True))
# The patient's own: all ten, 1 2 1 2 1 2 1 2 1 2 = 15 of 50 points = 30
PATIENT = dict(zip(odi.KEYS, (1, 2, 1, 2, 1, 2, 1, 2, 1, 2), strict=True))
ITEM_FIELDS = ("odi", "odi_source", *odi.COLUMNS)


def _sections(scores: dict[str, int | None]) -> dict[str, int | None]:
    return {odi.column(key): value for key, value in scores.items()}


@pytest.fixture
def clinic(engine) -> Engine:
    def action(session):
        set_actor(session, "nurse1")
        pid = commands.register_patient(session, {"mrn": "Q100", "display_name": "Quin Form"}).id
        commands.add_visit(session, pid, {"visit_date": "2026-03-02", "back_pain": 5, **_sections(STAFF)}, TODAY)
        commands.add_visit(
            session,
            pid,
            {"visit_date": "2026-04-06", "back_pain": 3, "leg_pain": 6, "numbness": 1, **_sections(PATIENT)},
            TODAY,
            source="patient",
        )
        commands.add_visit(session, pid, {"visit_date": "2026-05-04", "odi": 36}, TODAY)

    run_write(engine, action)
    return engine


@pytest.fixture
def twin(tmp_path) -> Iterator[Engine]:
    empty = make_engine(f"sqlite:///{tmp_path / 'twin.db'}")
    upgrade(empty)
    yield empty
    empty.dispose()


def _visits(engine: Engine) -> list[tuple]:
    """Each visit's date, pain, symptoms and ODI (total, how it came about, sections), by date."""
    with read_session(engine) as s:
        rows = s.scalars(select(Visit).order_by(Visit.visit_date))
        return [
            (v.visit_date, v.back_pain, v.leg_pain, v.numbness, *(getattr(v, name) for name in ITEM_FIELDS))
            for v in rows
        ]


def _export(engine: Engine, **options) -> dict:
    with read_session(engine) as s:
        return export_fhir(s, **options)


def _write(bundle: dict, path: Path) -> Path:
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_export_holds_a_valid_response_per_form_answered_and_each_form_once(clinic):
    bundle = _export(clinic)
    for resource in _resources(bundle, "Questionnaire") + _resources(bundle, "QuestionnaireResponse"):
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    assert sorted(q["url"] for q in _resources(bundle, "Questionnaire")) == [Q.ODI_URL, Q.SELF_REPORT_URL]
    staff, patient = _resources(bundle, "QuestionnaireResponse")
    assert staff["questionnaire"] == f"{Q.ODI_URL}|1" and "source" not in staff
    answers = {item["linkId"]: item["answer"][0] for item in staff["item"]}
    assert "sex_life" not in answers, "a section not answered is left out"
    assert answers["walking"] == {"valueInteger": 2} and answers["odi_total"]["valueDecimal"] == pytest.approx(
        44.444, abs=0.001
    )
    assert patient["questionnaire"] == f"{Q.SELF_REPORT_URL}|1" and patient["source"] == patient["subject"]
    linked = [item["linkId"] for item in patient["item"]]
    assert linked == ["back_pain", "leg_pain", "odi", "numbness"]
    group = next(item for item in patient["item"] if item["linkId"] == "odi")
    assert len(group["item"]) == 11  # ten sections and the total
    # the ODI total also stays an Observation, as before (LOINC 97909-6)
    assert sum(1 for o in _resources(bundle, "Observation") if o["code"]["text"] == "ODI") == 3


def test_an_export_imported_into_an_empty_database_gives_back_the_sections_and_how_the_total_came_about(
    clinic, twin, tmp_path
):
    path = _write(_export(clinic), tmp_path / "export.json")
    report = import_fhir(twin, [path], "nurse1", today=TODAY)
    assert report.ok and not report.total("skipped"), report.format()
    assert _visits(twin) == _visits(clinic)
    staff = _visits(twin)[0]
    assert staff[4] == pytest.approx(44.444, abs=0.001) and staff[5] == "sections" and staff[4 + 2 + 7] is None
    assert _visits(twin)[2][4:6] == (36.0, "total")
    # ... and into the database it came from, it adds nothing
    before = _visits(clinic)
    assert import_fhir(clinic, [path], "nurse1", today=TODAY).ok
    assert _visits(clinic) == before


def test_a_deidentified_export_of_the_responses_is_valid_and_imports_the_same_answers(clinic, twin, tmp_path):
    bundle = _export(clinic, deidentify=True, key="test-site-secret-0123456789")
    for resource in _resources(bundle, "QuestionnaireResponse"):
        get_fhir_model_class("QuestionnaireResponse").model_validate(resource)
    assert import_fhir(twin, [_write(bundle, tmp_path / "d.json")], "nurse1", today=TODAY).ok
    assert [row[4:] for row in _visits(twin)] == [row[4:] for row in _visits(clinic)]


def _foreign(items: list[dict], status: str = "completed") -> dict:
    """Another system's bundle: a patient and an ODI response alone, no Observation, no total."""
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "https://other.example/mrn", "type": {"coding": [{"code": "MR"}]}, "value": "EXT9"}],
    }
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": "r1",
        "questionnaire": Q.ODI_URL,
        "status": status,
        "subject": {"reference": "Patient/p1"},
        "authored": "2026-05-20T10:30:00+02:00",
        "item": items,
    }
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}, {"resource": response}]}


def _item(key: str, score: int) -> dict:
    return {"linkId": key, "answer": [{"valueInteger": score}]}


def test_a_response_with_eight_sections_and_no_total_gets_its_total_computed(twin, tmp_path):
    # 1 + 2 + 3 + 4 + 5 + 0 + 1 + 2 = 18 of 40 points = 45.0; sex life and travelling not answered
    scores = dict(zip(odi.KEYS[:7] + ("social_life",), (1, 2, 3, 4, 5, 0, 1, 2), strict=True))
    path = _write(_foreign([_item(k, v) for k, v in scores.items()]), tmp_path / "f.json")
    report = import_fhir(twin, [path], "nurse1", today=TODAY)
    assert report.ok and report.total("imported")["visits"] == 1, report.format()
    with read_session(twin) as s:
        visit = s.scalars(select(Visit)).one()
        assert visit.visit_date == date(2026, 5, 20) and visit.odi == 45.0 and visit.odi_source == "sections"
        assert visit.odi_standing == 0 and visit.odi_sex_life is None and visit.odi_social_life == 2
        assert s.scalar(select(Patient.mrn)) == "EXT9"


def test_a_response_with_a_section_scored_six_is_skipped_whole_and_named(twin, tmp_path):
    items = [_item(k, 2) for k in odi.KEYS[:9]] + [_item("travelling", 6)]
    report = import_fhir(twin, [_write(_foreign(items), tmp_path / "bad.json")], "nurse1", today=TODAY)
    assert report.ok and report.total("imported")["visits"] == 0
    [error] = report.bundles[0].errors
    assert "QuestionnaireResponse/r1" in error and "ODI section Travelling must be between 0 and 5" in error


def test_a_response_still_in_progress_is_not_imported(twin, tmp_path):
    path = _write(_foreign([_item(k, 1) for k in odi.KEYS], status="in-progress"), tmp_path / "wip.json")
    report = import_fhir(twin, [path], "nurse1", today=TODAY)
    assert report.total("imported")["visits"] == 0
    assert report.total("skipped")["QuestionnaireResponse: status in-progress"] == 1
