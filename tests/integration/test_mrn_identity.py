"""An MRN names one patient whatever its case and surrounding spaces: in the forms, the CSV and FHIR
imports, the database itself, and databases that already hold case variants when they are upgraded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from dashboard.cli import app
from data_model.audit import set_actor
from data_model.commands import register_patient
from data_model.db import make_engine, read_session, write_session
from data_model.exchange.csv_folder.folder_import import CsvImportFailed, import_csv_folder
from data_model.exchange.fhir.bundle_import import import_fhir
from data_model.migrate import SchemaUpgradeRefused, alembic_config, current_revision, head_revision, upgrade
from data_model.models import Patient, Visit
from data_model.validation import ValidationFailed
from tests.helpers.cli_accounts import credentials

FHIR = Path(__file__).resolve().parent.parent / "fixtures" / "fhir"
TODAY = date(2026, 6, 1)

runner = CliRunner()


def _register(engine, mrn: str, **values) -> int:
    with write_session(engine) as session:
        return register_patient(set_actor(session, "t"), {"mrn": mrn, **values}).id


def _mrns(engine) -> list[str]:
    # Plain SQL: it also reads a database left at an older schema (the app's reads need the current one).
    with engine.connect() as conn:
        return sorted(conn.execute(text("SELECT mrn FROM patients")).scalars())


def test_a_new_patient_with_an_mrn_differing_only_in_case_or_spaces_is_refused(engine):
    _register(engine, "MRN900001")

    for variant in ("mrn900001", "  Mrn900001 "):
        with pytest.raises(ValidationFailed) as refused:
            _register(engine, variant)
        [error] = refused.value.errors
        assert (error.field, error.value) == ("mrn", variant.strip())
        assert error.message == "already belongs to another patient (as MRN900001; case does not make an MRN different)"
    assert _mrns(engine) == ["MRN900001"]


def test_the_database_itself_refuses_a_case_variant_written_past_the_commands(engine):
    _register(engine, "MRN900001")
    with pytest.raises(IntegrityError):
        _insert(engine, "mrn900001")
    assert _mrns(engine) == ["MRN900001"]


def _csv(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return folder


def test_a_csv_patient_already_stored_in_another_case_is_refused_naming_the_stored_mrn(engine, tmp_path):
    _register(engine, "P1")
    folder = _csv(tmp_path, {"patients.csv": "mrn\np1\n"})

    with pytest.raises(CsvImportFailed) as failure:
        import_csv_folder(engine, folder, "nurse1", TODAY)

    assert [str(p) for p in failure.value.report.problems] == [
        "patients.csv line 2, column mrn: 'p1' is already in the database as P1 (this import only adds new patients)"
    ]


def test_two_csv_rows_with_one_mrn_in_two_cases_are_duplicates(engine, tmp_path):
    folder = _csv(tmp_path, {"patients.csv": "mrn\nQ1\nq1\n"})

    with pytest.raises(CsvImportFailed) as failure:
        import_csv_folder(engine, folder, "nurse1", TODAY)

    assert [str(p) for p in failure.value.report.problems] == [
        "patients.csv line 3, column mrn: 'q1' is a duplicate of line 2 (Q1: case does not make an MRN different)"
    ]
    assert _mrns(engine) == []


def test_csv_visits_naming_an_mrn_in_another_case_go_to_that_patient(engine, tmp_path):
    stored = _register(engine, "P1")
    folder = _csv(
        tmp_path,
        {"patients.csv": "mrn\nN1\n", "visits.csv": "mrn,visit_date,back_pain\np1,2026-01-05,4\nn1,2026-01-06,5\n"},
    )

    import_csv_folder(engine, folder, "nurse1", TODAY)

    with read_session(engine) as s:
        owners = dict(
            s.execute(select(Visit.back_pain, Patient.mrn).join(Patient, Patient.id == Visit.patient_id)).all()
        )
        assert owners == {4.0: "P1", 5.0: "N1"}
        assert s.scalar(select(Visit.patient_id).where(Visit.back_pain == 4.0)) == stored
    assert _mrns(engine) == ["N1", "P1"]


def test_a_fhir_patient_with_the_mrn_in_another_case_is_the_patient_already_registered(engine, tmp_path):
    stored = _register(engine, "sp-001", display_name="Marta Olsen")  # the bundle says SP-001
    report = import_fhir(engine, [FHIR / "spine_followup.json"], "nurse1", today=TODAY)

    assert report.ok
    assert report.bundles[0].matched_by_mrn == ["SP-001 (source form, registered as sp-001)"]
    with read_session(engine) as s:
        assert s.scalar(select(func.count(Patient.id))) == 1
        assert set(s.scalars(select(Visit.patient_id))) == {stored}


# --- databases written before MRNs were unique whatever their case -------------------------------------------


def _database_at_0002(tmp_path: Path, mrns: list[str]):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
    for mrn in mrns:
        _insert(engine, mrn)
    return engine


def test_an_old_database_holding_case_variants_is_not_upgraded_and_keeps_every_patient(tmp_path):
    engine = _database_at_0002(tmp_path, ["MRN1", "mrn1", "MRN2", "Mrn2", "OK3"])
    try:
        with pytest.raises(SchemaUpgradeRefused) as refused:
            upgrade(engine)
        message = str(refused.value)
        assert "2 MRN(s) given to more than one patient" in message
        assert "MRN1 (patient 1) and mrn1 (patient 2)" in message and "MRN2 (patient 3) and Mrn2 (patient 4)" in message
        assert "Nothing was changed" in message
        assert current_revision(engine) == "0002"
        assert _mrns(engine) == ["MRN1", "MRN2", "Mrn2", "OK3", "mrn1"]
    finally:
        engine.dispose()


def test_the_command_line_says_why_in_one_line_instead_of_a_traceback(tmp_path):
    _database_at_0002(tmp_path, ["MRN1", "mrn1"]).dispose()

    result = runner.invoke(app, ["flags", "--db", f"sqlite:///{tmp_path / 'old.db'}"], env=credentials())

    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert (
        len(lines) == 1 and lines[0].startswith("Error: cannot upgrade the database") and "mrn1 (patient 2)" in lines[0]
    )


def test_an_old_database_without_case_variants_is_upgraded(tmp_path):
    engine = _database_at_0002(tmp_path, ["MRN1", "MRN2"])
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with pytest.raises(IntegrityError):
            _insert(engine, "mrn2")
    finally:
        engine.dispose()


def _insert(engine, mrn: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patients (mrn, sex, source, created_at, data_changed_at) "
                "VALUES (:mrn, 'unknown', 'sql', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"mrn": mrn},
        )


def test_a_downgrade_to_0002_drops_the_index_again(tmp_path):
    engine = _database_at_0002(tmp_path, ["A1"])
    try:
        upgrade(engine)
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0002")
        _insert(engine, "a1")
        assert _mrns(engine) == ["A1", "a1"]
    finally:
        engine.dispose()
