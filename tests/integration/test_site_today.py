"""Every flag is judged on the site's date (its time zone), not the server's: a follow-up due on the
clinic's today is overdue only once the clinic's day is over, in data_model and on the command line,
which also says times as the clinic reads them. The clock is fixed (a `now` passed, or
data_model.clock.utc_now replaced): nothing here depends on the wall clock."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dashboard.cli import app
from data_model import clock, commands
from data_model.audit import set_actor
from data_model.db import read_session, run_write
from data_model.models import AuditEntry
from data_model.queries import load_settings
from data_model.services.evaluation import evaluate_clinic
from data_model.services.follow_ups import follow_up_list
from tests.conftest import subprocess_url
from tests.helpers.cli_accounts import add_account

# 23:30 UTC on 3 December: the 4th in Sydney, still the 3rd in Los Angeles
NOW = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
# The 6-week visit is due 42 days after surgery, give or take 2 weeks: its window closes on day 56,
# the 3rd of December. Los Angeles is on its last day; Sydney's clinic has gone past it.
SURGERY_DAY = date(2026, 12, 3) - timedelta(days=56)
runner = CliRunner()


def _site_in(engine, zone: str) -> None:
    run_write(
        engine,
        lambda s: commands.save_settings(set_actor(s, "lead"), replace(load_settings(s), time_zone=zone)),
    )


def _operated_patient(engine) -> None:
    def action(session):
        set_actor(session, "nurse1")
        patient = commands.register_patient(session, {"mrn": "TZ001", "display_name": "Sid Sydney"})
        commands.add_surgery(session, patient.id, {"surgery_date": SURGERY_DAY, "procedure": "discectomy"})

    run_write(engine, action)


@pytest.mark.parametrize(
    ("zone", "site_date", "status"),
    [("Australia/Sydney", date(2026, 12, 4), "overdue"), ("America/Los_Angeles", date(2026, 12, 3), "due")],
)
def test_a_follow_up_due_today_is_judged_on_the_sites_date(engine, zone, site_date, status):
    _site_in(engine, zone)
    _operated_patient(engine)
    as_of = clock.site_today_of(engine, NOW)
    assert as_of == site_date
    with read_session(engine) as session:
        rows = follow_up_list(session, evaluate_clinic(session, as_of))
    six_weeks = rows[(rows["mrn"] == "TZ001") & (rows["time_point"] == "6 weeks")]
    assert six_weeks["status"].tolist() == [status]


@pytest.mark.parametrize(
    ("zone", "overdue"), [("Australia/Sydney", True), ("America/Los_Angeles", False)], ids=["Sydney", "Los Angeles"]
)
def test_the_flags_command_judges_on_the_sites_date_by_default(engine, monkeypatch, zone, overdue):
    _site_in(engine, zone)
    _operated_patient(engine)
    url, _ = subprocess_url(engine)
    env = add_account(url)
    monkeypatch.setattr(clock, "utc_now", lambda: NOW)
    result = runner.invoke(app, ["flags", "--format", "json", "--identified", "--db", url], env=env)
    assert result.exit_code == 0, result.output
    flagged = {row["mrn"]: row["flags"] for row in json.loads(result.stdout)}
    assert ("OVERDUE_FOLLOW_UP" in flagged.get("TZ001", [])) is overdue
    with read_session(engine) as session:
        detail = session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "flags")).one()
    assert json.loads(detail)["as_of"] == ("2026-12-04" if overdue else "2026-12-03")


def test_the_audit_export_says_each_time_in_the_sites_zone_and_names_it(engine, tmp_path):
    _site_in(engine, "Australia/Sydney")
    _operated_patient(engine)
    url, _ = subprocess_url(engine)
    env = add_account(url)
    out = tmp_path / "audit.csv"
    result = runner.invoke(app, ["export", "audit", "--out", str(out), "--db", url], env=env)
    assert result.exit_code == 0, result.output
    assert "times in Australia/Sydney" in result.stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    with read_session(engine) as session:
        stored = {entry_id: at for entry_id, at in session.execute(select(AuditEntry.id, AuditEntry.at))}
    for row in rows:
        moment = stored[int(row["id"])]
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        in_sydney = moment.astimezone(clock.site_zone("Australia/Sydney"))
        assert row["at"] == f"{in_sydney:%Y-%m-%d %H:%M:%S} {in_sydney.tzname()}"  # AEDT in December
