"""Who may export on the command line: --as-user and its password, the role matrix, refusals audited."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dashboard.cli import app
from data_model.access.accounts import MAX_FAILED_LOGINS, REFUSED, add_user
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, write_session
from data_model.models import AuditEntry, SiteSecret, User
from sample_data.generator import generate_cohort
from sample_data.writer import write_cohort

TODAY = date(2026, 6, 1)
PASSWORDS = {"doc": "doc-password", "nurse": "nurse-password", "boss": "boss-password"}
ROLES = {"doc": "clinician", "nurse": "staff", "boss": "admin"}
runner = CliRunner()


@pytest.fixture
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'roles.db'}"
    engine = make_engine(url)
    try:
        from data_model.migrate import upgrade

        upgrade(engine)
        write_cohort(engine, generate_cohort(6, 5, TODAY))
        with write_session(engine) as s:
            set_actor(s, "setup")
            for name, role in ROLES.items():
                add_user(s, name, role, PASSWORDS[name])
    finally:
        engine.dispose()
    return url


def first_mrn(url: str) -> str:
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            from data_model.models import Patient

            return s.execute(select(Patient.mrn).order_by(Patient.id).limit(1)).scalar_one()
    finally:
        engine.dispose()


def audit(url: str, action: str) -> list[AuditEntry]:
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
    finally:
        engine.dispose()


def user_row(url: str, name: str) -> User:
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            return s.execute(select(User).where(User.username == name)).scalar_one()
    finally:
        engine.dispose()


def export(db: str, user: str, *args: str, password: str | None = None, stdin: str | None = None):
    env = (
        {"PAINTRAIL_PASSWORD": password if password is not None else PASSWORDS[user]}
        if stdin is None
        else {"PAINTRAIL_PASSWORD": ""}
    )
    return runner.invoke(app, ["export", *args, "--as-user", user, "--db", db], env=env, input=stdin)


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.output, result.stderr
    return lines[0]


# (command, the arguments after `export`, given the out path and an MRN)
COMMANDS = {
    "fhir": lambda out, mrn: ["fhir", "--out", str(out / "x.json")],
    "csv": lambda out, mrn: ["csv", "--out", str(out / "x")],
    "chart": lambda out, mrn: ["chart", "pain_curve", "--format", "html", "--out", str(out / "x.html")],
    "chart trajectory": lambda out, mrn: ["chart", "trajectory", "--mrn", mrn, "--out", str(out / "x.html")],
    "report": lambda out, mrn: ["report", "--out", str(out / "x.pdf")],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_staff_are_refused_every_export_in_one_line_with_nothing_written_and_the_refusal_audited(db, tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()

    result = export(db, "nurse", *COMMANDS[command](out, first_mrn(db)))

    line = one_line_error(result)
    assert "the staff role may not export de-identified data" in line and "clinicians and admins may" in line
    assert list(out.iterdir()) == []
    refused = audit(db, "export_refused")
    assert len(refused) == 1 and refused[0].actor == "nurse"
    assert json.loads(refused[0].detail) == {
        "command": f"export {command.split()[0]}",
        "role": "staff",
        "action": "export_deidentified",
    }
    assert audit(db, "site_secret_created") == []  # not even the key is made for a refused export


@pytest.mark.parametrize("command", ["fhir", "csv", "chart trajectory"])
def test_a_clinician_is_refused_an_identified_export(db, tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()

    result = export(db, "doc", *COMMANDS[command](out, first_mrn(db)), "--identified")

    assert "the clinician role may not export identified data" in one_line_error(result)
    assert "admins may" in result.stderr
    assert list(out.iterdir()) == []
    assert [e.actor for e in audit(db, "export_refused")] == ["doc"]


@pytest.mark.parametrize("command", ["fhir", "csv", "chart trajectory"])
def test_an_admin_may_export_identified_data_and_the_export_is_audited_under_the_account(db, tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()
    mrn = first_mrn(db)

    result = export(db, "boss", *COMMANDS[command](out, mrn), "--identified")

    assert result.exit_code == 0, result.output
    written = [p for p in out.rglob("*") if p.is_file()]
    assert written and any(mrn in p.read_text(encoding="utf-8") for p in written)
    event = {"fhir": "export_fhir", "csv": "export_csv", "chart trajectory": "export_chart"}[command]
    assert [(e.actor, json.loads(e.detail)["identified"]) for e in audit(db, event)] == [("boss", True)]


def test_a_clinician_exports_deidentified_with_the_password_on_stdin(db, tmp_path):
    out = tmp_path / "x.json"

    result = export(db, "doc", "fhir", "--out", str(out), stdin=PASSWORDS["doc"] + "\n")

    assert result.exit_code == 0, result.output
    assert first_mrn(db) not in out.read_text(encoding="utf-8")
    assert [e.actor for e in audit(db, "site_secret_created")] == ["doc"]


def test_a_wrong_password_is_refused_counted_and_locks_the_account_like_the_app(db, tmp_path):
    out = tmp_path / "x.json"

    first = export(db, "doc", "fhir", "--out", str(out), password="not-the-password")

    assert f"--as-user doc: {REFUSED}" in one_line_error(first)
    assert user_row(db, "doc").failed_logins == 1 and not out.exists()
    for _ in range(MAX_FAILED_LOGINS - 1):
        export(db, "doc", "fhir", "--out", str(out), stdin="still-wrong\n")
    assert user_row(db, "doc").locked_until is not None
    locked = export(db, "doc", "fhir", "--out", str(out))  # the right password, but locked now
    assert "locked" in one_line_error(locked) and not out.exists()
    assert len(audit(db, "login_failed")) == MAX_FAILED_LOGINS
    assert len(audit(db, "login_refused_locked")) == 1


def test_an_unknown_account_is_refused_like_a_wrong_password(db, tmp_path):
    result = export(db, "ghost", "csv", "--out", str(tmp_path / "x"), password="whatever-it-is")

    assert REFUSED in one_line_error(result)
    assert not (tmp_path / "x").exists()


def test_every_export_needs_as_user(db, tmp_path):
    result = runner.invoke(app, ["export", "csv", "--out", str(tmp_path / "x"), "--db", db])

    assert result.exit_code == 2 and "--as-user" in result.stderr
    assert not (tmp_path / "x").exists()


def test_no_password_at_all_is_a_one_line_error(db, tmp_path):
    result = export(db, "doc", "csv", "--out", str(tmp_path / "x"), stdin="")

    assert "no password given" in one_line_error(result) and "PAINTRAIL_PASSWORD" in result.stderr


def test_the_site_secret_is_never_written_into_the_audit_trail(db, tmp_path):
    assert export(db, "doc", "csv", "--out", str(tmp_path / "x")).exit_code == 0
    engine = make_engine(db)
    try:
        with read_session(engine) as s:
            secret = s.scalar(select(SiteSecret.value))
            trail = " ".join(
                (e.before or "") + (e.after or "") + (e.detail or "") for e in s.scalars(select(AuditEntry))
            )
    finally:
        engine.dispose()
    assert secret and secret not in trail
    assert Path(tmp_path / "x" / "patients.csv").exists()


@pytest.mark.parametrize("who", ["nurse", "doc"])
def test_only_admins_export_the_audit_trail(db, tmp_path, who):
    out = tmp_path / "audit.csv"
    result = runner.invoke(
        app,
        ["export", "audit", "--out", str(out), "--as-user", who, "--db", db],
        env={"PAINTRAIL_PASSWORD": PASSWORDS[who]},
    )
    assert result.exit_code == 1 and not out.exists()
    assert "may not" in result.stderr


def test_an_admin_exports_the_audit_trail_with_who_and_what(db, tmp_path):
    out = tmp_path / "audit.csv"
    result = runner.invoke(
        app,
        ["export", "audit", "--out", str(out), "--as-user", "boss", "--db", db],
        env={"PAINTRAIL_PASSWORD": PASSWORDS["boss"]},
    )
    assert result.exit_code == 0, result.output
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {"id", "at", "actor", "action", "table", "before", "after"} <= set(rows[0])
    assert any(r["action"] == "seed" for r in rows) and any(r["table"] == "users" for r in rows)
