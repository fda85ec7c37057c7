"""The `paintrail` command line: what it prints, what it writes, and one-line errors (SQLite)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dashboard.cli import app
from dashboard.demo import DEMO_ACCOUNTS
from data_model.access.accounts import sign_in
from data_model.db import make_engine, read_session
from data_model.models import AuditEntry, Patient, Surgery, Treatment, User, Visit
from tests.helpers.cli_accounts import ADMIN, add_account, credentials

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "csv"
CLEAR_CASES = FIXTURES / "clear_cases"
BAD = FIXTURES / "bad"
AS_OF = "2026-06-01"
PERSISTING = {"CC-001", "CC-005", "CC-006"}  # tests/fixtures/csv/clear_cases/README.md
MODELS = {"patients": Patient, "surgeries": Surgery, "visits": Visit, "treatments": Treatment, "audit": AuditEntry}

runner = CliRunner()


@pytest.fixture
def db(tmp_path) -> str:
    """A database whose first admin exists (ADMIN); run() signs in as it unless told otherwise."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    add_account(url)
    return url


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input, env=credentials() if env is None else env)


def counts(url: str) -> dict[str, int]:
    """Rows per table; the audit trail without sign-ins (every command signs in, and that is audited)."""
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            found = {name: s.execute(select(func.count()).select_from(m)).scalar_one() for name, m in MODELS.items()}
            found["audit"] -= s.execute(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "login")
            ).scalar_one()
            return found
    finally:
        engine.dispose()


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


def paintrail_command() -> list[str]:
    """The installed console script, next to this interpreter (falls back to `python -m dashboard.cli`)."""
    script = Path(sys.executable).parent / "paintrail"
    return [str(script)] if script.exists() else [sys.executable, "-m", "dashboard.cli"]


# --- import csv + flags --------------------------------------------------------------------------


def test_the_installed_command_imports_the_clear_cases_and_flags_exactly_the_persisting_ones(tmp_path, db):
    env = {k: v for k, v in os.environ.items() if k != "PAINTRAIL_DATABASE_URL"} | credentials()

    imported = subprocess.run(
        [*paintrail_command(), "import", "csv", str(CLEAR_CASES), "--db", db],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr
    assert "visits.csv: 34 rows" in imported.stdout

    flagged = subprocess.run(
        [*paintrail_command(), "flags", "--as-of", AS_OF, "--format", "csv", "--identified", "--db", db],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert flagged.returncode == 0, flagged.stderr
    rows = list(csv.DictReader(io.StringIO(flagged.stdout)))
    header = flagged.stdout.splitlines()[0].split(",")
    assert header[:4] == ["mrn", "flags", "severity", "reasons"]
    assert header[4:7] == ["procedure", "weeks_since_surgery", "current_pain"]
    assert {r["mrn"] for r in rows if "PERSISTENT_PAIN" in r["flags"].split(";")} == PERSISTING


def test_import_csv_prints_the_counts_and_audits_the_account(db):
    result = run("import", "csv", CLEAR_CASES, "--db", db)

    assert result.exit_code == 0, result.output
    assert "Imported 54 rows from clear_cases" in result.stdout and "patients.csv: 6 rows" in result.stdout
    assert counts(db)["visits"] == 34
    engine = make_engine(db)
    with read_session(engine) as s:
        actors = set(s.scalars(select(AuditEntry.actor).where(AuditEntry.table_name == "visits")))
    engine.dispose()
    assert actors == {ADMIN}


def test_a_bad_folder_prints_every_problem_exits_non_zero_and_changes_nothing(db):
    run("import", "csv", CLEAR_CASES, "--db", db)
    before = counts(db)

    result = run("import", "csv", BAD / "all_in_one", "--db", db)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Nothing was imported from all_in_one: 4 problems found." in result.stderr
    assert "visits.csv line 4, column back_pain: 'moderate' is not a number" in result.stderr
    assert "surgeries.csv line 4, column mrn: 'BD-230'" in result.stderr
    assert counts(db) == before


def test_import_as_a_named_account_is_audited_as_that_account_and_checked(db):
    run("users", "add", "nurse1", "--role", "staff", "--db", db, input="long-enough-pw\n")
    nurse = credentials("nurse1", "long-enough-pw")

    assert_one_line_error(run("import", "csv", CLEAR_CASES, "--db", db, "--as-user", "ghost", env=nurse), "ghost")

    result = run("import", "csv", CLEAR_CASES, "--db", db, "--as-user", "nurse1", env=nurse)
    assert result.exit_code == 0, result.output
    engine = make_engine(db)
    with read_session(engine) as s:
        assert set(s.scalars(select(AuditEntry.actor).where(AuditEntry.table_name == "patients"))) == {"nurse1"}
    engine.dispose()


def test_import_of_a_missing_folder_is_a_one_line_error(db, tmp_path):
    assert_one_line_error(run("import", "csv", tmp_path / "nowhere", "--db", db), "nowhere", "not a folder")


def test_flags_json_and_table_show_the_same_patients(db):
    run("import", "csv", CLEAR_CASES, "--db", db)

    as_json = run("flags", "--as-of", AS_OF, "--format", "json", "--identified", "--db", db)
    table = run("flags", "--as-of", AS_OF, "--identified", "--db", db)

    assert as_json.exit_code == 0 and table.exit_code == 0, as_json.output + table.output
    records = json.loads(as_json.stdout)
    assert isinstance(records, list) and {"mrn", "flags", "severity", "reasons"} <= set(records[0])
    assert {r["mrn"] for r in records if "PERSISTENT_PAIN" in r["flags"]} == PERSISTING
    assert all(mrn in table.stdout for mrn in {r["mrn"] for r in records})


def test_flags_on_an_empty_database_prints_the_csv_header_only(db):
    result = run("flags", "--format", "csv", "--db", db)
    identified = run("flags", "--format", "csv", "--identified", "--db", db)

    assert result.exit_code == 0, result.output
    assert result.stdout == "pseudonym,flags,severity,reasons,procedure,weeks_since_surgery,current_pain\n"
    assert identified.stdout == "mrn,flags,severity,reasons,procedure,weeks_since_surgery,current_pain\n"


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "01/06/2026"])
def test_flags_with_an_invalid_date_names_the_value_on_one_line(db, bad):
    assert_one_line_error(run("flags", "--as-of", bad, "--db", db), "--as-of", repr(bad))


def test_usage_mistakes_are_one_line_errors():
    assert_one_line_error(run("flags", "--format", "xml"), "--format")
    assert_one_line_error(run("users", "add", "bob"), "--role")


def test_an_unusable_database_is_a_one_line_error(tmp_path):
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("these are not the tables you are looking for\n")

    assert_one_line_error(run("flags", "--db", "nonsense://"), "nonsense")
    assert_one_line_error(run("flags", "--db", f"sqlite:///{not_a_database}"), "cannot open the database")
    assert_one_line_error(run("users", "list", "--db", f"sqlite:///{tmp_path}/no/such/folder/x.db"), "cannot open")


# --- users -----------------------------------------------------------------------------------------


def test_users_add_reads_the_password_from_stdin_and_the_account_can_sign_in(db):
    result = run(
        "users",
        "add",
        "drlee",
        "--role",
        "clinician",
        "--display-name",
        "Dr Lee",
        "--db",
        db,
        input="correct horse battery\n",
    )

    assert result.exit_code == 0, result.output
    engine = make_engine(db)
    signed_in = sign_in(engine, "drlee", "correct horse battery").user
    engine.dispose()
    assert signed_in is not None and (signed_in.role, signed_in.display_name) == ("clinician", "Dr Lee")
    listed = run("users", "list", "--db", db)
    assert listed.exit_code == 0 and "drlee" in listed.stdout and "clinician" in listed.stdout


def test_a_short_password_is_a_one_line_error_and_creates_nothing(db):
    result = run("users", "add", "drlee", "--role", "clinician", "--db", db, input="short\n")

    assert_one_line_error(result, "password", "8 characters")
    assert "short" not in result.stderr  # the password itself is never echoed
    engine = make_engine(db)
    with read_session(engine) as s:
        assert s.scalar(select(func.count(User.id))) == 1, "the admin only"
    engine.dispose()


def test_a_duplicate_user_and_an_empty_password_are_one_line_errors(db):
    run("users", "add", "drlee", "--role", "clinician", "--db", db, input="long-enough-pw\n")

    assert_one_line_error(
        run("users", "add", "DrLee", "--role", "admin", "--db", db, input="another-long-pw\n"), "already exists"
    )
    assert_one_line_error(run("users", "add", "nurse2", "--role", "staff", "--db", db, input=""), "no password")


# --- seed and demo ----------------------------------------------------------------------------------


def test_seed_writes_the_requested_number_of_patients(db):
    result = run("seed", "--patients", 50, "--seed", 7, "--as-of", AS_OF, "--db", db)

    assert result.exit_code == 0, result.output
    stored = counts(db)
    assert stored["patients"] == 50 and stored["surgeries"] >= 50 and stored["visits"] > 50
    assert "50 patients" in result.stdout


def test_seeding_the_same_cohort_twice_is_refused_and_adds_nothing(db):
    run("seed", "--patients", 5, "--as-of", AS_OF, "--db", db)
    before = counts(db)

    assert_one_line_error(run("seed", "--patients", 5, "--as-of", AS_OF, "--db", db), "already in the database")
    assert counts(db) == before


def test_seed_refuses_a_database_with_real_patients(db):
    run("import", "csv", CLEAR_CASES, "--db", db)
    before = counts(db)

    assert_one_line_error(run("seed", "--patients", 5, "--db", db), "real")
    assert counts(db) == before


def test_demo_prepares_patients_and_accounts_once_and_ignores_the_configured_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    real = tmp_path / "real.db"
    env = {"PAINTRAIL_DATABASE_URL": f"sqlite:///{real}"}

    first = run("demo", "--no-serve", "--patients", 40, env=env)

    assert first.exit_code == 0, first.output
    demo_url = f"sqlite:///{tmp_path / 'paintrail-demo.db'}"
    assert not real.exists(), "demo must never touch the configured (real) database"
    after_first = counts(demo_url)
    assert after_first["patients"] == 40
    engine = make_engine(demo_url)
    for username, role, password in DEMO_ACCOUNTS:
        assert sign_in(engine, username, password).user.role == role
    engine.dispose()

    second = run("demo", "--no-serve", "--patients", 40, env=env)

    assert second.exit_code == 0, second.output
    after_second = counts(demo_url)
    assert {k: v for k, v in after_second.items() if k != "audit"} == {
        k: v for k, v in after_first.items() if k != "audit"
    }
    engine = make_engine(demo_url)
    with read_session(engine) as s:
        assert s.scalar(select(func.count(User.id))) == len(DEMO_ACCOUNTS)
    engine.dispose()


def _accounts(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            return sorted(s.scalars(select(User.username)))
    finally:
        engine.dispose()


def test_demo_on_a_database_of_imported_patients_is_refused_and_adds_no_account(db):
    assert run("import", "csv", CLEAR_CASES, "--db", db).exit_code == 0
    before = counts(db)

    result = run("demo", "--db", db, "--no-serve", "--patients", 5)

    assert_one_line_error(result, "not a demo database", "6 patients that are not synthetic")
    assert _accounts(db) == [ADMIN] and counts(db) == before


def test_demo_on_a_database_with_a_real_account_is_refused_even_without_patients(db):
    result = run("demo", "--db", db, "--no-serve", "--patients", 5)

    assert_one_line_error(result, "not a demo database", "1 accounts of its own")
    assert _accounts(db) == [ADMIN] and counts(db)["patients"] == 0


def test_demo_on_a_database_holding_an_admins_synthetic_cohort_is_refused(db):
    assert run("seed", "--patients", 5, "--as-of", AS_OF, "--db", db).exit_code == 0

    result = run("demo", "--db", db, "--no-serve", "--patients", 5)

    assert_one_line_error(result, "not a demo database")
    assert _accounts(db) == [ADMIN]


def test_demo_on_a_database_an_older_demo_did_not_make_is_refused(tmp_path):
    """Synthetic patients and no account, written by something else than the demo: not the demo's own."""
    url = f"sqlite:///{tmp_path / 'other.db'}"
    engine = make_engine(url)
    try:
        from data_model.migrate import upgrade
        from sample_data.generator import generate_cohort
        from sample_data.writer import write_cohort

        upgrade(engine)
        write_cohort(engine, generate_cohort(3, 1, date.fromisoformat(AS_OF)), actor="cli:someone")
    finally:
        engine.dispose()

    assert_one_line_error(run("demo", "--db", url, "--no-serve"), "not a demo database", "made by something else")
    assert _accounts(url) == []


def test_version_is_printed():
    result = run("--version")

    assert result.exit_code == 0 and result.stdout.startswith("paintrail ")


def test_every_command_has_help():
    for command in (["seed"], ["flags"], ["import", "csv"], ["users", "add"], ["users", "list"], ["serve"], ["demo"]):
        result = run(*command, "--help")
        assert result.exit_code == 0, command
        assert "--db" in result.stdout, command
        if command[0] in ("seed", "flags", "import", "users"):
            assert "--as-user" in result.stdout, command


def test_flags_without_as_of_evaluates_today_and_an_empty_database_gives_an_empty_json_list(db):
    result = run("flags", "--format", "json", "--db", db)

    assert result.exit_code == 0 and json.loads(result.stdout) == []
