"""CSV export: the import format exactly, de-identified by default, formula cells made inert, identified round trip."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from dashboard.cli import app
from data_model import commands
from data_model.access.accounts import add_user
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, write_session
from data_model.exchange.csv_folder.export import cell, export_csv, neutralise, write_folder, zip_bytes
from data_model.exchange.csv_folder.folder_import import SPECS, import_csv_folder
from data_model.exchange.fhir.export import export_fhir
from data_model.exchange.pseudonyms import date_shift_days, pseudonym
from data_model.migrate import upgrade
from data_model.models import Patient, Surgery, Treatment, Visit
from sample_data.generator import generate_cohort
from sample_data.writer import write_cohort
from tests.conftest import _drop_schema, _postgres_engine, subprocess_url
from tests.helpers.cli_accounts import add_account

TODAY = date(2026, 6, 1)
KEY = "csv-test-site-secret-0123456789"
runner = CliRunner()
# A patient whose every text field is a spreadsheet formula (OWASP CSV injection payloads).
HOSTILE = {
    "mrn": "HOSTILE1",
    "display_name": '=HYPERLINK("http://x","click")',
    "sex": "other",
    "surgeon": "@SUM(1+1)*cmd|' /C calc'!A0",
    "surgery_notes": "-2+3",
    "visit_notes": "=1+1",
    "treatment_notes": "+cmd",
}


def _hostile_patient(session) -> None:
    patient = commands.register_patient(
        session,
        {"mrn": HOSTILE["mrn"], "display_name": HOSTILE["display_name"], "sex": HOSTILE["sex"], "birth_year": 1970},
    )
    surgery_day = TODAY - timedelta(weeks=20)
    commands.add_surgery(
        session,
        patient.id,
        {
            "surgery_date": surgery_day,
            "procedure": "fusion",
            "spinal_levels": "l4/5",
            "surgeon": HOSTILE["surgeon"],
            "notes": HOSTILE["surgery_notes"],
        },
        today=TODAY,
    )
    commands.add_visit(
        session,
        patient.id,
        {
            "visit_date": surgery_day - timedelta(days=3),
            "back_pain": 7.25,
            "leg_pain": 3.3333333333333335,
            "mme_per_day": 22.5,
            "notes": HOSTILE["visit_notes"],
        },
        today=TODAY,
    )
    voided = commands.add_visit(
        session,
        patient.id,
        {"visit_date": surgery_day + timedelta(days=30), "odi": 40, "notes": "entered in error"},
        today=TODAY,
    )
    commands.void_visit(session, voided.id, "wrong patient")
    commands.add_treatment(
        session,
        patient.id,
        {
            "treatment": "physical_therapy",
            "start_date": surgery_day,
            "end_date": surgery_day + timedelta(days=40),
            "notes": HOSTILE["treatment_notes"],
        },
        today=TODAY,
    )


@pytest.fixture
def clinic(engine) -> Engine:
    """A synthetic cohort, the hostile patient and an admin account."""
    write_cohort(engine, generate_cohort(20, 4, TODAY))
    with write_session(engine) as s:
        set_actor(s, "setup")
        _hostile_patient(s)
        add_user(s, "boss", "admin", "boss-password")
    return engine


@pytest.fixture
def empty_twin(engine, tmp_path) -> Iterator[Engine]:
    if engine.dialect.name == "sqlite":
        twin = make_engine(f"sqlite:///{tmp_path / 'twin.db'}")
        upgrade(twin)
        yield twin
        twin.dispose()
        return
    schema = f"pt_{uuid.uuid4().hex[:12]}"
    twin = _postgres_engine(schema)
    try:
        upgrade(twin)
        yield twin
    finally:
        twin.dispose()
        _drop_schema(schema)


def read_folder(folder: Path) -> dict[str, list[dict[str, str]]]:
    out = {}
    for name, spec in SPECS.items():
        with (folder / name).open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            assert tuple(reader.fieldnames or ()) == spec.columns, name  # exactly the import's columns, in order
            out[name] = list(reader)
    return out


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Everything the CSV format carries, keyed by MRN (voided rows are not part of it)."""
    with read_session(engine) as s:
        mrn = dict(s.execute(select(Patient.id, Patient.mrn)).all())
        return {
            "patients": sorted(s.execute(select(Patient.mrn, Patient.display_name, Patient.birth_year, Patient.sex))),
            "surgeries": sorted(
                (mrn[r.patient_id], r.surgery_date, r.procedure, r.spinal_levels, r.surgeon, r.notes)
                for r in s.scalars(select(Surgery).where(Surgery.voided_at.is_(None)))
            ),
            "visits": sorted(
                (
                    mrn[v.patient_id],
                    v.visit_date,
                    v.back_pain,
                    v.leg_pain,
                    v.odi,
                    v.numbness,
                    v.tingling,
                    v.weakness,
                    v.mme_per_day,
                    v.notes or "",
                )
                for v in s.scalars(select(Visit).where(Visit.voided_at.is_(None)))
            ),
            "treatments": sorted(
                (mrn[t.patient_id], t.code, t.start_date, t.end_date, t.notes or "")
                for t in s.scalars(select(Treatment).where(Treatment.voided_at.is_(None)))
            ),
        }


def inert(row: tuple) -> tuple:
    """The one documented change of a round trip: text that looked like a formula keeps its apostrophe."""
    return tuple(neutralise(v) if isinstance(v, str) else v for v in row)


def test_the_identified_export_reimported_with_paintrail_import_csv_gives_back_the_same_data(
    clinic, empty_twin, tmp_path
):
    out = tmp_path / "identified"
    exported = runner.invoke(
        app,
        ["export", "csv", "--out", str(out), "--identified", "--as-user", "boss", "--db", subprocess_url(clinic)[0]],
        env={"PAINTRAIL_PASSWORD": "boss-password"},
    )
    assert exported.exit_code == 0, exported.output
    assert "identified" in exported.stdout and "patients.csv 21 rows" in exported.stdout

    twin = subprocess_url(empty_twin)[0]
    imported = runner.invoke(app, ["import", "csv", str(out), "--db", twin], env=add_account(twin))

    assert imported.exit_code == 0, imported.output
    original, back = snapshot(clinic), snapshot(empty_twin)
    assert back == {table: sorted(inert(row) for row in rows) for table, rows in original.items()}
    assert len(original["visits"]) > 50 and any(row[0] == "HOSTILE1" for row in original["surgeries"])
    # the only difference is the apostrophe on the hostile text
    assert back != original and ("HOSTILE1", '\'=HYPERLINK("http://x","click")', 1970, "other") in back["patients"]


def test_the_deidentified_export_has_no_mrn_name_surgeon_or_note_and_one_pseudonym_per_patient(clinic, tmp_path):
    with read_session(clinic) as s:
        exported = export_csv(s, key=KEY)
        people = {p.mrn: p for p in s.scalars(select(Patient))}
        surgeons = {x for x in s.scalars(select(Surgery.surgeon)) if x}
    write_folder(exported, tmp_path / "out")
    files = read_folder(tmp_path / "out")
    text = "".join((tmp_path / "out" / name).read_text(encoding="utf-8") for name in SPECS)

    for mrn, patient in people.items():
        assert mrn not in text and (patient.display_name or "§") not in text
    assert not any(surgeon in text for surgeon in surgeons) and "HYPERLINK" not in text
    assert all(
        row[c] == ""
        for name, rows in files.items()
        for row in rows
        for c in ("display_name", "surgeon", "notes")
        if c in row
    )
    assert {r["mrn"] for r in files["patients.csv"]} == {pseudonym(m, KEY) for m in people}
    for name in ("surgeries.csv", "visits.csv", "treatments.csv"):
        assert {r["mrn"] for r in files[name]} <= {r["mrn"] for r in files["patients.csv"]}
    assert all(re.fullmatch(r"P-[0-9a-f]{10}", r["mrn"]) for r in files["patients.csv"])
    # rows come by pseudonym, so their order says nothing about when patients were registered
    assert [r["mrn"] for r in files["patients.csv"]] == sorted(r["mrn"] for r in files["patients.csv"])


def test_each_patients_dates_move_by_one_offset_into_the_past(clinic) -> None:
    with read_session(clinic) as s:
        hidden, shown = export_csv(s, key=KEY), export_csv(s, deidentify=False)
        mrns = list(s.scalars(select(Patient.mrn)))
    to_mrn = {pseudonym(m, KEY): m for m in mrns}
    offsets: dict[str, set[int]] = {}
    for name, columns in (
        ("surgeries.csv", ["surgery_date"]),
        ("visits.csv", ["visit_date"]),
        ("treatments.csv", ["start_date", "end_date"]),
    ):
        # rows of a patient keep their order in both exports; pair them patient by patient
        true_rows, shifted_rows = shown.files[name][1:], hidden.files[name][1:]
        header = shown.files[name][0]
        by_patient_true: dict[str, list[list[str]]] = {}
        by_patient_shifted: dict[str, list[list[str]]] = {}
        for row in true_rows:
            by_patient_true.setdefault(row[0], []).append(row)
        for row in shifted_rows:
            by_patient_shifted.setdefault(to_mrn[row[0]], []).append(row)
        assert by_patient_true.keys() == by_patient_shifted.keys()
        for mrn, rows in by_patient_true.items():
            for true, shifted in zip(rows, by_patient_shifted[mrn], strict=True):
                for column in columns:
                    i = header.index(column)
                    if true[i]:
                        offsets.setdefault(mrn, set()).add(
                            (date.fromisoformat(shifted[i]) - date.fromisoformat(true[i])).days
                        )
    assert all(len(days) == 1 for days in offsets.values()), offsets
    assert {mrn: days.pop() for mrn, days in offsets.items()} == {m: date_shift_days(m, KEY) for m in offsets}
    assert all(-61 <= date_shift_days(m, KEY) <= -1 for m in mrns)
    assert len({date_shift_days(m, KEY) for m in mrns}) > 5


def test_the_deidentified_export_imports_cleanly_into_an_empty_database(clinic, empty_twin, tmp_path):
    # A visit today for every patient: shifted forward it would lie in the future, which the importer refuses.
    with write_session(clinic) as s:
        set_actor(s, "setup")
        for patient_id in s.scalars(select(Patient.id)):
            commands.add_visit(s, patient_id, {"visit_date": date.today(), "back_pain": 4}, allow_same_day=True)
    with read_session(clinic) as s:
        exported = export_csv(s, key=KEY)
    write_folder(exported, tmp_path / "out")

    report = import_csv_folder(empty_twin, tmp_path / "out", "researcher")

    assert report.ok and report.counts == exported.counts()


def test_formula_cells_get_an_apostrophe_and_numbers_stay_numbers(clinic):
    with read_session(clinic) as s:
        exported = export_csv(s, deidentify=False)
    rows = {name: [dict(zip(r[0], x, strict=True)) for x in r[1:]] for name, r in exported.files.items()}
    hostile = {name: [r for r in table if r["mrn"] == "HOSTILE1"] for name, table in rows.items()}

    assert hostile["patients.csv"][0]["display_name"] == "'" + HOSTILE["display_name"]
    surgery = hostile["surgeries.csv"][0]
    assert (surgery["surgeon"], surgery["spinal_levels"], surgery["notes"]) == (
        "'" + HOSTILE["surgeon"],
        "L4-L5",
        "'" + HOSTILE["surgery_notes"],
    )
    assert [v["notes"] for v in hostile["visits.csv"]] == ["'=1+1"]  # the voided visit is not exported
    visit = hostile["visits.csv"][0]
    assert (visit["back_pain"], visit["leg_pain"], visit["mme_per_day"], visit["odi"]) == (
        "7.25",
        "3.3333333333333335",
        "22.5",
        "",
    )
    assert hostile["treatments.csv"][0]["notes"] == "'+cmd"
    numeric = ("birth_year", "back_pain", "leg_pain", "odi", "numbness", "tingling", "weakness", "mme_per_day")
    assert not any(r[c].startswith("'") for table in rows.values() for r in table for c in numeric if c in r)
    # no text cell anywhere starts with a formula character
    assert not any(
        v[:1] in ("=", "+", "-", "@", "\t", "\r") for table in rows.values() for r in table for v in r.values()
    )
    assert cell("mme_per_day", -1.0) == "-1" and cell("notes", "-1") == "'-1" and cell("notes", "\tx") == "'\tx"
    assert cell("back_pain", 7.0) == "7" and cell("numbness", True) == "1" and cell("notes", None) == ""


def test_a_visit_with_only_unsited_pain_is_left_out_and_counted(clinic):
    with write_session(clinic) as s:
        set_actor(s, "setup")
        pid = s.scalar(select(Patient.id).where(Patient.mrn == "HOSTILE1"))
        s.add(Visit(patient_id=pid, visit_date=TODAY - timedelta(days=2), pain_unspecified=6.0, source="fhir"))
    with read_session(clinic) as s:
        exported = export_csv(s, deidentify=False)

    assert exported.left_out == {next(iter(exported.left_out)): 1}
    assert "without a body site" in next(iter(exported.left_out))


def test_the_zip_holds_the_four_files_and_patient_ids_limit_the_export(clinic):
    with read_session(clinic) as s:
        hostile = s.scalar(select(Patient.id).where(Patient.mrn == "HOSTILE1"))
        exported = export_csv(s, [hostile], key=KEY)

    with zipfile.ZipFile(io.BytesIO(zip_bytes(exported))) as archive:
        assert sorted(archive.namelist()) == sorted(SPECS)
        patients = list(csv.DictReader(io.StringIO(archive.read("patients.csv").decode("utf-8"))))
    assert [p["mrn"] for p in patients] == [pseudonym("HOSTILE1", KEY)]
    assert exported.counts() == {"patients.csv": 1, "surgeries.csv": 1, "visits.csv": 1, "treatments.csv": 1}


def test_free_text_levels_stored_before_levels_were_checked_stay_out_of_deidentified_files(clinic):
    """Levels are checked at entry ("L4-L5"); a database may still hold what was typed before: a name."""
    with write_session(clinic) as s:
        set_actor(s, "setup")
        surgery = s.scalar(select(Surgery).join(Patient).where(Patient.mrn == "HOSTILE1"))
        surgery.spinal_levels = "+Smith, John (L4)"

    with read_session(clinic) as s:
        hidden, shown = export_csv(s, key=KEY), export_csv(s, deidentify=False)
        bundle = export_fhir(s, deidentify=True, key=KEY)

    assert "Smith" not in json.dumps(hidden.files) and "Smith" not in json.dumps(bundle)
    assert [r[3] for r in hidden.files["surgeries.csv"][1:]].count("") == 1, "only that surgery's levels are left out"
    hostile = [r for r in shown.files["surgeries.csv"][1:] if r[0] == "HOSTILE1"]
    assert hostile[0][3] == "'+Smith, John (L4)", "identified: kept as typed, made inert for a spreadsheet"
