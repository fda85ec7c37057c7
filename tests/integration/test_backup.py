"""`paintrail backup` / `paintrail restore`: SQLite online backups that are consistent while the app
writes, refusals that leave everything as it was, a round trip that gives back the data, and audit."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from typer.testing import CliRunner

from dashboard.cli import app
from data_model import commands
from data_model.audit import set_actor
from data_model.backup import BackupError, backup_sqlite, check_paintrail_file, pg_dump_command
from data_model.db import make_engine, read_session, run_write
from data_model.migrate import head_revision
from data_model.models import AuditEntry, Patient
from sample_data.generator import generate_cohort
from sample_data.writer import write_cohort
from tests.helpers import processes
from tests.helpers.cli_accounts import ADMIN, ADMIN_PASSWORD, add_account, credentials

TODAY = date(2026, 6, 1)
TABLES = ("patients", "surgeries", "visits", "treatments", "conditions", "users", "audit_log", "alembic_version")
runner = CliRunner()


def run(*args: object, env: dict[str, str] | None = None):
    """The command as the site's admin (tests.helpers.cli_accounts), unless env says otherwise."""
    return runner.invoke(app, [str(a) for a in args], env=credentials() if env is None else env)


def assert_one_line_error(result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def table_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def checksum(path: Path, table: str = "visits") -> str:
    conn = sqlite3.connect(path)
    try:
        digest = hashlib.sha256()
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY id"):
            digest.update(repr(row).encode())
        return digest.hexdigest()
    finally:
        conn.close()


def audit_events(path: Path, action: str) -> list[dict]:
    conn = sqlite3.connect(path)
    try:
        return [json.loads(d) for (d,) in conn.execute("SELECT detail FROM audit_log WHERE action = ?", (action,))]
    finally:
        conn.close()


@pytest.fixture
def seeded(sqlite_engine) -> tuple[str, Path]:
    """A database holding a 200-patient synthetic cohort and its admin: (url, file)."""
    write_cohort(sqlite_engine, generate_cohort(200, 5, TODAY))
    path = Path(sqlite_engine.url.database)
    add_account(f"sqlite:///{path}")
    return f"sqlite:///{path}", path


def _add_visit(url: str, mrn: str, notes: str) -> None:
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            pid = s.execute(select(Patient.id).where(Patient.mrn == mrn)).scalar_one()
        run_write(
            engine,
            lambda s: commands.add_visit(
                set_actor(s, "nurse1"),
                pid,
                {"visit_date": "2026-05-30", "back_pain": 4, "notes": notes},
                TODAY,
                allow_same_day=True,
            ),
        )
    finally:
        engine.dispose()


# --- backup while the app writes ----------------------------------------------------------------------


def test_backups_taken_while_the_app_writes_are_consistent_snapshots(sqlite_engine, tmp_path):
    # Big enough (about 6 MB) that a copy takes a while, so the writer commits during the copies.
    write_cohort(sqlite_engine, generate_cohort(600, 3, TODAY))
    pid = run_write(sqlite_engine, lambda s: commands.register_patient(set_actor(s, "setup"), {"mrn": "STEADY1"}).id)
    path = Path(sqlite_engine.url.database)
    url = f"sqlite:///{path}"
    stop = tmp_path / "stop"

    def steady_visits() -> int:
        with read_session(sqlite_engine) as s:
            return s.execute(select(func.count(AuditEntry.id)).where(AuditEntry.actor == "steady")).scalar_one()

    writer = processes.start(
        processes.helper("steady_writer", "--url", url, "--patient", pid, "--stop", stop),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    snapshots = []
    try:
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
        processes.wait_for(lambda: steady_visits() >= 20, 60, "the writer to get going")
        # Back up until three copies were taken while the writer committed (at most 12 copies).
        for n in range(12):
            before = steady_visits()
            out = tmp_path / f"backup{n}.db"
            backup_sqlite(url, out)
            snapshots.append((out, before, steady_visits()))
            if sum(after > before for _, before, after in snapshots) >= 3:
                break
    finally:
        stop.touch()
        out_text, err_text = writer.communicate(timeout=60)
    result = json.loads(out_text.strip().splitlines()[-1])
    assert result["errors"] == [], "the backup got in the writer's way: " + "; ".join(result["errors"])
    assert result["written"] == steady_visits(), "every visit the writer saved is in the database"

    for out, before, after in snapshots:
        check_paintrail_file(out)  # integrity_check ok, a PainTrail schema
        conn = sqlite3.connect(out)
        try:
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",), "one standalone file"
            notes = [n for (n,) in conn.execute("SELECT notes FROM visits WHERE patient_id = ? ORDER BY id", (pid,))]
            # A snapshot of one moment: the writer's visits 1..k, none missing, none half there...
            k = len(notes)
            assert notes == [f"steady {i}" for i in range(1, k + 1)]
            assert before <= k <= after
            # ...and each with its audit entry, written in the same transaction, and no audit entry without its visit.
            audited = conn.execute(
                "SELECT a.row_id, v.id FROM audit_log a LEFT JOIN visits v ON v.id = a.row_id "
                "WHERE a.table_name = 'visits' AND a.action = 'insert' AND a.actor = 'steady'"
            ).fetchall()
            assert len(audited) == k and all(visit is not None for _, visit in audited)
            assert conn.execute(
                "SELECT count(*) FROM visits v LEFT JOIN patients p ON p.id = v.patient_id WHERE p.id IS NULL"
            ).fetchone() == (0,)
        finally:
            conn.close()
    # The writes went on during the copies, not only between them.
    assert any(after > before for _, before, after in snapshots)


# --- the backup command -------------------------------------------------------------------------------


def test_backup_writes_a_checked_copy_refuses_to_overwrite_and_is_audited(seeded, tmp_path):
    url, path = seeded
    out = tmp_path / "nightly.db"

    done = run("backup", "--out", out, "--db", url)

    assert done.exit_code == 0, done.output
    assert f"to {out}" in done.stdout and "200 patients" in done.stdout
    assert check_paintrail_file(out).rows["patients"] == 200
    assert checksum(out) == checksum(path)
    events = audit_events(path, "backup")
    assert [e["file"] for e in events] == ["nightly.db"] and events[0]["rows"]["patients"] == 200
    assert audit_events(out, "backup") == [], "the snapshot was taken before its own audit entry"

    stamp = out.stat().st_mtime_ns
    again = run("backup", "--out", out, "--db", url)
    assert_one_line_error(again, 1, "already exists", "--force")
    assert out.stat().st_mtime_ns == stamp

    _add_visit(url, "MRN000001", "after the first backup")
    forced = run("backup", "--out", out, "--db", url, "--force")
    assert forced.exit_code == 0, forced.output
    assert checksum(out) == checksum(path)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no temporary file left behind"


def test_backup_of_a_database_that_does_not_exist_creates_nothing(tmp_path):
    missing = tmp_path / "nowhere.db"
    result = run("backup", "--out", tmp_path / "b.db", "--db", f"sqlite:///{missing}")
    assert_one_line_error(result, 1, "there is no database at")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_backup_of_postgresql_gives_the_pg_dump_command_without_the_password():
    url = "postgresql+psycopg://clinic:s3cret-pw@db.example.org:5433/paintrail"
    result = run("backup", "--out", "/srv/backups/paintrail.dump", "--db", url)
    expected = (
        "pg_dump --host=db.example.org --port=5433 --username=clinic --format=custom "
        "--file=/srv/backups/paintrail.dump paintrail"
    )
    assert_one_line_error(result, 2, "for PostgreSQL use pg_dump", expected)
    assert "s3cret" not in result.output
    assert pg_dump_command(url, "/srv/backups/paintrail.dump") == expected
    restore = run("restore", "x.dump", "--db", url)
    assert_one_line_error(restore, 2, "pg_restore --host=db.example.org --port=5433 --username=clinic")
    assert "s3cret" not in restore.output


# --- restore ------------------------------------------------------------------------------------------


def test_restore_round_trip_gives_back_the_data_as_it_was_at_the_backup(seeded, tmp_path):
    url, path = seeded
    out = tmp_path / "before-change.db"
    assert run("backup", "--out", out, "--db", url).exit_code == 0
    at_backup, visits_at_backup = table_counts(out), checksum(out)
    _add_visit(url, "MRN000002", "entered after the backup")
    app_engine = make_engine(url)  # the running app: its pooled connection stays open through the restore
    with read_session(app_engine) as s:
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "insert")) > 0

    refused = run("restore", out, "--db", url)
    assert_one_line_error(refused, 1, "is not empty", "--force")
    assert table_counts(path)["visits"] == at_backup["visits"] + 1

    restored = run("restore", out, "--db", url, "--force")

    assert restored.exit_code == 0, restored.output
    assert f"schema now at {head_revision()}" in restored.stdout
    now = table_counts(path)
    assert now == {**at_backup, "audit_log": at_backup["audit_log"] + 1}
    assert checksum(path) == visits_at_backup
    for table in ("patients", "surgeries", "treatments"):
        assert checksum(path, table) == checksum(out, table)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM visits WHERE notes = 'entered after the backup'").fetchone() == (0,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()
    events = audit_events(path, "restore")
    assert len(events) == 1 and events[0]["file"] == "before-change.db"
    assert audit_events(path, "backup") == [], "the backup's own event came after the snapshot"
    # The app that had the database open reads the restored data, not a mix.
    with read_session(app_engine) as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == at_backup["patients"]
    app_engine.dispose()


def test_restore_into_a_new_database_creates_it_at_the_current_schema(seeded, tmp_path):
    url, path = seeded
    out = tmp_path / "copy.db"
    assert run("backup", "--out", out, "--db", url).exit_code == 0
    target = tmp_path / "new" / "restored.db"
    target.parent.mkdir()

    result = run("restore", out, "--db", f"sqlite:///{target}")

    assert result.exit_code == 0, result.output
    assert checksum(target) == checksum(path)
    assert table_counts(target)["patients"] == 200
    assert check_paintrail_file(target).revision == head_revision()
    assert audit_events(path, "restore") == [], "the source database is not touched"


def test_restore_of_a_database_from_an_older_paintrail_brings_its_schema_up_to_date(tmp_path):
    from alembic import command
    from alembic.script import ScriptDirectory

    from data_model.migrate import alembic_config

    old = tmp_path / "old.db"
    config = alembic_config()
    base = ScriptDirectory.from_config(config).get_base()  # the first schema PainTrail ever had
    engine = make_engine(f"sqlite:///{old}")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, base)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO patients (mrn, sex, source, created_at, data_changed_at) "
            "VALUES ('OLD1', 'unknown', 'form', '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
        )
        conn.exec_driver_sql(  # its admin, who restores it into a new database
            "INSERT INTO users (username, role, password_hash, active, failed_logins, created_at) "
            "VALUES (?, 'admin', ?, 1, 0, '2025-01-01 00:00:00')",
            (ADMIN, PasswordHasher().hash(ADMIN_PASSWORD)),
        )
    engine.dispose()
    target = tmp_path / "restored.db"

    result = run("restore", old, "--db", f"sqlite:///{target}")

    assert result.exit_code == 0, result.output
    assert f"schema {base}" in result.stdout and f"schema now at {head_revision()}" in result.stdout
    assert check_paintrail_file(target).revision == head_revision()
    assert table_counts(target)["patients"] == 1
    assert [e["backup_revision"] for e in audit_events(target, "restore")] == [base]
    assert check_paintrail_file(old).revision == base, "the backup file itself is left as it was"


def _not_sqlite(tmp: Path) -> Path:
    path = tmp / "notes.db"
    path.write_text("mrn,visit_date\nA1,2026-01-01\n", encoding="utf-8")
    return path


def _other_sqlite(tmp: Path) -> Path:
    path = tmp / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    return path


def _damaged(tmp: Path, source: Path) -> Path:
    path = tmp / "damaged.db"
    backup_sqlite(f"sqlite:///{source}", path)
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data) - page, 7 * page):  # scribble over some b-tree pages
        data[offset : offset + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))
    return path


def _newer(tmp: Path, source: Path) -> Path:
    path = tmp / "newer.db"
    backup_sqlite(f"sqlite:///{source}", path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_not_sqlite, "is not a SQLite database"),
        (_other_sqlite, "is not a PainTrail database"),
        (_damaged, "damaged"),
        (_newer, "does not know"),
    ],
    ids=["text-file", "other-sqlite", "damaged", "newer-schema"],
)
def test_restore_refuses_anything_but_an_intact_paintrail_database_and_changes_nothing(seeded, tmp_path, make, message):
    url, path = seeded
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = make(bad_dir) if make in (_not_sqlite, _other_sqlite) else make(bad_dir, path)
    before = (table_counts(path), checksum(path))

    result = run("restore", bad, "--db", url, "--force")

    assert_one_line_error(result, 1, message)
    assert (table_counts(path), checksum(path)) == before
    with pytest.raises(BackupError, match=message):
        check_paintrail_file(bad)
