"""Imports never lose a file or a row in silence: files read as one table are refused by name, a file that
cannot be read is reported by name in one line while the others import, implausible values are refused
with file, line, column and value."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dashboard.cli import app
from data_model.audit import set_actor
from data_model.commands import register_patient
from data_model.db import make_engine, read_session, write_session
from data_model.exchange.csv_folder.files import same_file_clashes
from data_model.exchange.csv_folder.folder_import import CsvImportFailed, import_csv_folder
from data_model.exchange.fhir.bundle_import import import_fhir
from data_model.models import AuditEntry, Patient, Visit
from tests.helpers.cli_accounts import add_account

FHIR = Path(__file__).resolve().parent.parent / "fixtures" / "fhir"
TODAY = date(2026, 6, 1)
PATIENTS = "mrn,display_name,birth_year\nG1,Gail Guard,1960\n"
runner = CliRunner()


def _written(engine) -> tuple[int, int, int]:
    with read_session(engine) as s:
        patients, visits, audit = (
            s.execute(select(func.count()).select_from(m)).scalar_one() for m in (Patient, Visit, AuditEntry)
        )
        return patients, visits, audit


def _folder(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    folder = tmp_path / "upload"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return folder


def _refused(engine, folder: Path) -> list[str]:
    before = _written(engine)
    with pytest.raises(CsvImportFailed) as failure:
        import_csv_folder(engine, folder, "nurse1", TODAY)
    assert _written(engine) == before, "a refused folder writes nothing"
    return [str(p) for p in failure.value.report.problems]


# --- files read as one table ----------------------------------------------------------------------------------


def test_a_folder_with_patients_csv_and_PATIENTS_csv_is_refused_naming_both_and_nothing_is_written(engine, tmp_path):
    folder = _folder(
        tmp_path,
        {
            "patients.csv": PATIENTS,
            "PATIENTS.csv": "mrn\nG2\n",
            "visits.csv": "mrn,visit_date,back_pain\nG1,2026-01-05,4\n",
        },
    )

    problems = _refused(engine, folder)

    assert problems == ["patients.csv: is the same file as PATIENTS.csv (case does not count): keep one of the two"]


def test_the_import_command_refuses_the_two_files_and_exits_1(tmp_path):
    folder = _folder(tmp_path, {"patients.csv": PATIENTS, "Patients.CSV": PATIENTS})
    db = f"sqlite:///{tmp_path / 'cli.db'}"

    nurse = add_account(db, "nurse", "staff")

    result = runner.invoke(app, ["import", "csv", str(folder), "--db", db], env=nurse)

    assert result.exit_code == 1
    assert "Patients.CSV" in result.stderr and "patients.csv" in result.stderr
    assert "Traceback" not in result.output
    engine = make_engine(db)
    try:
        with read_session(engine) as s:  # the nurse's sign-in is all the command wrote
            assert set(s.scalars(select(AuditEntry.action))) == {"insert", "login"}
            assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "insert")) == 1
        assert _written(engine)[:2] == (0, 0)
    finally:
        engine.dispose()


def test_a_file_given_twice_is_refused_by_name():
    problems = [str(p) for p in same_file_clashes(["visits.csv", "patients.csv", "visits.csv"])]
    assert problems == ["visits.csv: was given 2 times: give each file once"]


# --- files that cannot be read --------------------------------------------------------------------------------


def _three_bundles(tmp_path: Path, middle: str) -> Path:
    """a_spine.json, b_broken.json (middle, written as given) and c_trimmed.json in one folder."""
    folder = tmp_path / "bundles"
    folder.mkdir()
    (folder / "a_spine.json").write_bytes((FHIR / "spine_followup.json").read_bytes())
    (folder / "b_broken.json").write_text(middle, encoding="utf-8")
    (folder / "c_trimmed.json").write_bytes((FHIR / "synthea_trimmed.json").read_bytes())
    return folder


NESTED_100000 = '{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}"
HUGE_NUMBER = '{"resourceType": "Bundle", "total": ' + "9" * 5000 + ', "entry": []}'


@pytest.mark.parametrize(
    ("middle", "reason"),
    [
        (NESTED_100000, "is nested too deeply to be read as JSON"),
        (HUGE_NUMBER, "holds a number with thousands of digits"),
        ('{"resourceType": "Bundle", "entry": [', "is not JSON (Expecting value at line 1, column 38)"),
    ],
    ids=["nested-100000-deep", "5000-digit-number", "cut-short"],
)
def test_of_three_bundles_the_unreadable_middle_one_is_reported_by_name_and_the_others_import(
    engine, tmp_path, middle, reason
):
    folder = _three_bundles(tmp_path, middle)

    report = import_fhir(engine, [folder], "nurse1", today=TODAY)

    assert [(Path(b.path).name, b.ok) for b in report.bundles] == [
        ("a_spine.json", True),
        ("b_broken.json", False),
        ("c_trimmed.json", True),
    ]
    assert report.bundles[1].rejected.startswith(reason)
    assert "\n" not in report.bundles[1].rejected
    with read_session(engine) as s:
        assert set(s.scalars(select(Patient.display_name))) == {"Marta Olsen", "Ada Lovelace"}


def test_the_import_command_reports_the_deep_file_in_one_line_without_a_traceback(tmp_path):
    folder = _three_bundles(tmp_path, NESTED_100000)
    db = f"sqlite:///{tmp_path / 'cli.db'}"

    result = runner.invoke(app, ["import", "fhir", str(folder), "--db", db], env=add_account(db, "nurse", "staff"))

    assert result.exit_code == 1
    assert "b_broken.json: REJECTED, nothing was written: is nested too deeply" in result.stdout
    assert "a_spine.json: imported 1 patient" in result.stdout and "c_trimmed.json: imported 1 patient" in result.stdout
    assert "Traceback" not in result.output and "RecursionError" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bundle_that_breaks_the_importer_itself_is_one_rejected_line_and_the_next_still_imports(
    engine, tmp_path, monkeypatch
):
    from data_model.exchange.fhir import bundle_import

    real = bundle_import.load_bundle

    def breaks_on_b(path):
        if path.name.startswith("b_"):
            raise RuntimeError("something no one foresaw\nsecond line")
        return real(path)

    monkeypatch.setattr(bundle_import, "load_bundle", breaks_on_b)
    folder = _three_bundles(tmp_path, "{}")

    report = import_fhir(engine, [folder], "nurse1", today=TODAY, label=lambda p: p.name)

    assert [(b.path, b.rejected) for b in report.bundles] == [
        ("a_spine.json", None),
        ("b_broken.json", "could not be imported (something no one foresaw)"),
        ("c_trimmed.json", None),
    ]


# --- implausible values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"visits.csv": "mrn,visit_date,back_pain\nG1,1950-03-01,4\n"},
            "visits.csv line 2, column visit_date: '1950-03-01' is before the patient's birth year 1960",
        ),
        (
            {"patients.csv": "mrn,birth_year\nG2,１９７０\n"},
            "patients.csv line 2, column birth_year: '１９７０' is not a number written with the digits 0-9",
        ),
        (
            {"visits.csv": "mrn,visit_date,back_pain\nG1,2026-01-05,٧\n"},
            "visits.csv line 2, column back_pain: '٧' is not a number written with the digits 0-9",
        ),
        (
            {"patients.csv": "mrn,display_name\nG2,Ann\u202eeoD\n"},
            "patients.csv line 2, column display_name: 'Ann\\u202eeoD' contains an invisible control or "
            "text-direction character (U+202E)",
        ),
        (
            {"patients.csv": "mrn,display_name\nG2\u2066,Ann\n"},
            "patients.csv line 2, column mrn: 'G2\\u2066' contains an invisible control or text-direction "
            "character (U+2066)",
        ),
        (
            {"patients.csv": 'mrn,display_name\nG2,"Ann\tDoe"\n'},
            "patients.csv line 2, column display_name: 'Ann\\tDoe' contains an invisible control",
        ),
        (
            {"surgeries.csv": "mrn,surgery_date,procedure\nG1,1959-12-31,fusion\n"},
            "surgeries.csv line 2, column surgery_date: '1959-12-31' is before the patient's birth year 1960",
        ),
    ],
    ids=[
        "visit-before-birth",
        "full-width-year",
        "arabic-indic-seven",
        "right-to-left-override-in-name",
        "isolate-in-mrn",
        "tab-in-name",
        "surgery-before-birth",
    ],
)
def test_an_implausible_value_is_refused_with_file_line_column_and_value(engine, tmp_path, files, expected):
    folder = _folder(
        tmp_path,
        {"patients.csv": PATIENTS, **files}
        if "patients.csv" not in files
        else {**files, "visits.csv": "mrn,visit_date,back_pain\nG2,2026-01-05,4\n"},
    )

    problems = _refused(engine, folder)

    assert any(p.startswith(expected) for p in problems), problems


def test_a_visit_before_the_birth_year_of_a_patient_already_stored_is_refused(engine, tmp_path):
    with write_session(engine) as session:
        register_patient(set_actor(session, "t"), {"mrn": "OLD1", "birth_year": 2020})
    folder = _folder(tmp_path, {"visits.csv": "mrn,visit_date,back_pain\nold1,2019-12-31,4\nOLD1,2020-01-01,5\n"})

    assert _refused(engine, folder) == [
        "visits.csv line 2, column visit_date: '2019-12-31' is before the patient's birth year 2020"
    ]


def test_a_fhir_observation_before_the_birth_year_is_skipped_as_a_data_error(engine, tmp_path):
    bundle = json.loads((FHIR / "spine_followup.json").read_text(encoding="utf-8"))
    observation = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "sp-obs-1")
    observation["effectiveDateTime"] = "1950-03-01"  # Marta Olsen was born in 1970
    path = tmp_path / "early.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")

    report = import_fhir(engine, [path], "nurse1", today=TODAY)

    assert report.ok
    assert any(
        "sp-obs-1" in e and "dated 1950-03-01, before the patient's birth year 1970" in e
        for e in report.bundles[0].errors
    ), report.bundles[0].errors
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).where(Visit.visit_date == date(1950, 3, 1))) == 0


def test_a_fhir_birth_date_in_full_width_digits_rejects_the_bundle(engine, tmp_path):
    bundle = json.loads((FHIR / "spine_followup.json").read_text(encoding="utf-8"))
    bundle["entry"][0]["resource"]["birthDate"] = "１９７０-05-01"
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")

    report = import_fhir(engine, [path], "nurse1", today=TODAY)

    assert not report.ok and "birth" in report.bundles[0].rejected.lower()
    with read_session(engine) as s:
        assert s.scalar(select(func.count(Patient.id))) == 0
