"""Hand-written cases (tests/fixtures/csv/flag_cases): every flag fires on exactly the patients it names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dashboard.cli import app
from data_model.catalog import FLAG_CODES
from tests.helpers.cli_accounts import add_account

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "csv" / "flag_cases"
EXPECTED = {
    "PERSISTENT_PAIN": {"R1", "W1"},
    "NO_MEANINGFUL_IMPROVEMENT": {"R1"},
    "REBOUND": {"R1"},
    "WORSENING": {"R1", "W1"},
    "NEW_NERVE_SYMPTOMS": {"N1"},
    "HIGH_OPIOID_DOSE": {"O1"},
    "OFF_TRACK": {"E1"},
    "OVERDUE_FOLLOW_UP": {"F1"},
}


@pytest.fixture(scope="module")
def worklist(tmp_path_factory) -> list[dict]:
    db = f"sqlite:///{tmp_path_factory.mktemp('flags') / 'cases.db'}"
    runner = CliRunner()
    admin = add_account(db)
    imported = runner.invoke(app, ["import", "csv", str(CASES), "--db", db], env=admin)
    assert imported.exit_code == 0, imported.output
    flagged = runner.invoke(
        app, ["flags", "--as-of", "2026-06-01", "--format", "json", "--identified", "--db", db], env=admin
    )
    assert flagged.exit_code == 0, flagged.output
    return json.loads(flagged.stdout)


def test_every_flag_code_is_covered_by_a_case():
    assert set(EXPECTED) == set(FLAG_CODES)


@pytest.mark.parametrize("code", list(EXPECTED))
def test_the_flag_fires_on_exactly_the_patients_written_for_it(worklist, code):
    fired = {row["mrn"] for row in worklist if code in row["flags"].split(";")}
    assert fired == EXPECTED[code]


def test_the_patients_written_to_stay_unflagged_are_not_on_the_worklist(worklist):
    assert not {"N2", "T1", "C1"} & {row["mrn"] for row in worklist}


def test_the_rebound_reason_names_the_relief_and_its_week(worklist):
    r1 = next(row for row in worklist if row["mrn"] == "R1")
    rebound = next(reason for reason in r1["reasons"].split(" | ") if "after" in reason and "/10 at week" in reason)
    assert "2/10" in rebound
