"""The command line acts as someone: every command that reads or writes patients or accounts signs in as a
PainTrail account, is refused without one, and is audited under it; `flags` is de-identified by default."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dashboard.cli import app
from data_model.db import make_engine, read_session
from data_model.models import AuditEntry, Patient, User
from tests.helpers.cli_accounts import ADMIN, add_account, credentials

CLEAR_CASES = Path(__file__).resolve().parent.parent / "fixtures" / "csv" / "clear_cases"
FHIR = Path(__file__).resolve().parent.parent / "fixtures" / "fhir"
AS_OF = "2026-06-01"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
runner = CliRunner()


def run(*args: object, env: dict[str, str] | None = None, input: str | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env or {}, input=input)


@pytest.fixture(scope="module")
def _clinic_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clinic") / "clinic.db"
    url = f"sqlite:///{path}"
    add_account(url)
    add_account(url, "doc", "clinician", "doc-password")
    add_account(url, "nurse", "staff", "nurse-password")
    assert run("import", "csv", CLEAR_CASES, "--db", url, env=credentials()).exit_code == 0
    return path


@pytest.fixture
def clinic(_clinic_file, tmp_path) -> str:
    """The clear cases imported by the admin; a clinician and a staff account beside it (a fresh copy)."""
    path = tmp_path / "clinic.db"
    shutil.copyfile(_clinic_file, path)
    return f"sqlite:///{path}"


def rows(url: str, model, *where):
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            return list(s.scalars(select(model).where(*where)))
    finally:
        engine.dispose()


def one_line_error(result) -> str:
    assert result.exit_code != 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.output, result.stderr
    return lines[0]


# Every command that reads or writes patients or accounts, with its arguments (given a folder for outputs).
DATA_COMMANDS = {
    "flags": lambda out: ["flags"],
    "import csv": lambda out: ["import", "csv", str(CLEAR_CASES)],
    "import fhir": lambda out: ["import", "fhir", str(FHIR)],
    "seed": lambda out: ["seed", "--patients", "3"],
    "users list": lambda out: ["users", "list"],
    "export csv": lambda out: ["export", "csv", "--out", str(out / "csv")],
    "export fhir": lambda out: ["export", "fhir", "--out", str(out / "x.json")],
    "export report": lambda out: ["export", "report", "--out", str(out / "x.pdf")],
    "export chart": lambda out: ["export", "chart", "pain_curve", "--out", str(out / "x.html")],
    "export audit": lambda out: ["export", "audit", "--out", str(out / "audit.csv")],
    "backup": lambda out: ["backup", "--out", str(out / "backup.db")],
    "restore": lambda out: ["restore", str(out / "backup.db")],
}


@pytest.mark.parametrize("command", list(DATA_COMMANDS))
def test_every_data_command_without_an_account_is_refused_and_changes_nothing(clinic, tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()
    patients_before = len(rows(clinic, Patient))
    audit_before = len(rows(clinic, AuditEntry))

    result = run(*DATA_COMMANDS[command](out), "--db", clinic)

    assert result.exit_code == 2 and "--as-user" in result.stderr, result.output
    assert list(out.iterdir()) == []
    assert len(rows(clinic, Patient)) == patients_before and len(rows(clinic, AuditEntry)) == audit_before


def test_flags_is_deidentified_by_default_and_audited_under_the_account(clinic):
    result = run("flags", "--as-of", AS_OF, "--format", "csv", "--db", clinic, env=credentials("doc", "doc-password"))

    assert result.exit_code == 0, result.output
    listed = list(csv.DictReader(io.StringIO(result.stdout)))
    assert listed and all(re.fullmatch(r"P-[0-9a-f]{10}", r["pseudonym"]) for r in listed)
    assert "mrn" not in listed[0]
    text = result.stdout
    for patient in rows(clinic, Patient):
        assert patient.mrn not in text and (patient.display_name or "\0") not in text
    assert "Dr. Patel" not in text and "Dr. Chen" not in text and not ISO_DATE.search(text)
    flagged = rows(clinic, AuditEntry, AuditEntry.action == "flags")
    assert [(e.actor, json.loads(e.detail)["identified"]) for e in flagged] == [("doc", False)]


@pytest.mark.parametrize("output", ["table", "json"])
def test_flags_as_a_table_or_json_names_no_patient_either(clinic, output):
    result = run(
        "flags",
        "--as-of",
        AS_OF,
        "--format",
        output,
        "--db",
        clinic,
        env=credentials("doc", "doc-password") | {"COLUMNS": "250"},
    )

    assert result.exit_code == 0, result.output
    assert "P-" in result.stdout
    for patient in rows(clinic, Patient):
        assert patient.mrn not in result.stdout
    assert not ISO_DATE.search(result.stdout.replace(f"as of {AS_OF}", ""))


def test_identified_flags_are_for_admins_only(clinic):
    refused = run("flags", "--identified", "--db", clinic, env=credentials("doc", "doc-password"))
    staff = run("flags", "--db", clinic, env=credentials("nurse", "nurse-password"))
    admin = run("flags", "--as-of", AS_OF, "--identified", "--format", "json", "--db", clinic, env=credentials())

    assert "the clinician role may not export identified data (flags)" in one_line_error(refused)
    assert "the staff role may not export de-identified data (flags)" in one_line_error(staff)
    assert admin.exit_code == 0 and "CC-001" in admin.stdout
    refusals = rows(clinic, AuditEntry, AuditEntry.action == "command_refused")
    assert sorted(e.actor for e in refusals) == ["doc", "nurse"]


def test_adding_an_admin_without_an_admins_credentials_is_refused_when_an_admin_exists(clinic):
    without = run("users", "add", "mallory", "--role", "admin", "--db", clinic, input="mallory-password\n")
    as_clinician = run(
        "users",
        "add",
        "mallory",
        "--role",
        "admin",
        "--db",
        clinic,
        env=credentials("doc", "doc-password"),
        input="mallory-password\n",
    )
    wrong_password = run(
        "users",
        "add",
        "mallory",
        "--role",
        "admin",
        "--as-user",
        ADMIN,
        "--db",
        clinic,
        input="not-the-admins-password\nmallory-password\n",
    )

    assert "--as-user" in one_line_error(without) and "admin's credentials" in without.stderr
    assert "the clinician role may not manage accounts (users add)" in one_line_error(as_clinician)
    assert "Sign-in refused" in one_line_error(wrong_password)
    assert rows(clinic, User, func.lower(User.username) == "mallory") == []


def test_an_admin_adds_an_account_with_both_passwords_on_stdin_and_it_is_audited_under_the_admin(clinic):
    result = run(
        "users",
        "add",
        "drlee",
        "--role",
        "clinician",
        "--as-user",
        ADMIN,
        "--db",
        clinic,
        input="site-admin-password\ndrlee-password\n",
    )

    assert result.exit_code == 0, result.output
    inserted = rows(clinic, AuditEntry, AuditEntry.table_name == "users", AuditEntry.action == "insert")
    assert [e.actor for e in inserted if '"drlee"' in e.after] == [ADMIN]
    signed_in = run("flags", "--db", clinic, env=credentials("drlee", "drlee-password"))
    assert signed_in.exit_code == 0, signed_in.output


def test_the_first_admin_of_an_empty_database_needs_no_credentials_and_must_be_an_admin(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"

    clinician_first = run("users", "add", "doc", "--role", "clinician", "--db", url, input="doc-password\n")
    first = run("users", "add", "chief", "--role", "admin", "--db", url, input="chief-password\n")
    second = run("users", "add", "deputy", "--role", "admin", "--db", url, input="deputy-password\n")

    assert "no account yet" in one_line_error(clinician_first)
    assert first.exit_code == 0, first.output
    assert "--as-user" in one_line_error(second)
    assert [u.username for u in rows(url, User)] == ["chief"]


def test_import_csv_as_a_named_account_needs_its_password_and_writes_nothing_without_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    add_account(url, "nurse", "staff", "nurse-password")

    no_password = run("import", "csv", CLEAR_CASES, "--as-user", "nurse", "--db", url, input="")
    wrong = run("import", "csv", CLEAR_CASES, "--as-user", "nurse", "--db", url, input="guessed-password\n")

    assert "no password given" in one_line_error(no_password)
    assert "Sign-in refused" in one_line_error(wrong)
    assert rows(url, Patient) == []
    assert [e.actor for e in rows(url, AuditEntry, AuditEntry.table_name == "patients")] == []
    assert [json.loads(e.detail)["why"] for e in rows(url, AuditEntry, AuditEntry.action == "login_failed")] == [
        "wrong password"
    ]

    imported = run("import", "csv", CLEAR_CASES, "--as-user", "nurse", "--db", url, input="nurse-password\n")

    assert imported.exit_code == 0, imported.output
    assert {e.actor for e in rows(url, AuditEntry, AuditEntry.table_name.in_(("patients", "visits")))} == {"nurse"}


def test_seed_runs_as_the_account_and_audits_under_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'synthetic.db'}"
    add_account(url)

    result = run("seed", "--patients", 4, "--as-of", AS_OF, "--db", url, env=credentials())

    assert result.exit_code == 0, result.output
    assert [e.actor for e in rows(url, AuditEntry, AuditEntry.action == "seed")] == [ADMIN]


def test_backup_and_restore_are_for_admins_and_audited_under_them(clinic, tmp_path):
    out = tmp_path / "nightly.db"

    refused = run("backup", "--out", out, "--db", clinic, env=credentials("doc", "doc-password"))
    done = run("backup", "--out", out, "--db", clinic, env=credentials())
    restore_refused = run("restore", out, "--db", clinic, "--force", env=credentials("doc", "doc-password"))
    new = tmp_path / "restored.db"
    stranger = run("restore", out, "--db", f"sqlite:///{new}", env=credentials("ghost", "ghost-password"))
    assert "not an active account of the backup" in one_line_error(stranger) and not new.exists()
    restored = run("restore", out, "--db", f"sqlite:///{new}", env=credentials())

    assert "the clinician role may not back up or restore the database (backup)" in one_line_error(refused)
    assert done.exit_code == 0, done.output
    assert [e.actor for e in rows(clinic, AuditEntry, AuditEntry.action == "backup")] == [ADMIN]
    assert "may not back up or restore" in one_line_error(restore_refused)
    assert restored.exit_code == 0, restored.output
    assert [e.actor for e in rows(f"sqlite:///{new}", AuditEntry, AuditEntry.action == "restore")] == [ADMIN]
