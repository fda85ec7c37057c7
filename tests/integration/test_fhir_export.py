"""FHIR R4 export: valid resources, identified round trip, de-identification, the command line."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from dashboard.cli import app
from data_model.access.accounts import add_user
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, write_session
from data_model.exchange.fhir.bundle_import import import_fhir
from data_model.exchange.fhir.export import export_fhir
from data_model.exchange.pseudonyms import KEY_ENV, PseudonymKeyMissing, date_shift_days, ensure_site_key, pseudonym
from data_model.migrate import upgrade
from data_model.models import AuditEntry, Condition, Patient, SiteSecret, Surgery, Treatment, Visit
from data_model.queries import load_settings
from sample_data.generator import generate_cohort
from sample_data.writer import write_cohort
from tests.conftest import _drop_schema, _postgres_engine

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "fhir"
TODAY = date(2026, 6, 1)
KEY = "test-site-secret-0123456789"
runner = CliRunner()


@pytest.fixture
def cohort(engine) -> Engine:
    """The engine holding a small synthetic cohort plus the two FHIR fixtures (conditions, drugs, MME)."""
    write_cohort(engine, generate_cohort(25, 11, TODAY))
    assert import_fhir(engine, [FIXTURES], "nurse1", today=TODAY).ok
    return engine


@pytest.fixture
def empty_twin(engine, tmp_path) -> Iterator[Engine]:
    """A second empty database on the same kind of server as `engine`."""
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


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Everything the round trip must keep, keyed by MRN, in a stable order."""
    with read_session(engine) as s:
        mrn = dict(s.execute(select(Patient.id, Patient.mrn)).all())
        people = select(Patient.mrn, Patient.display_name, Patient.birth_year, Patient.sex)
        out: dict[str, list[tuple]] = {"patients": [tuple(row) for row in sorted(s.execute(people))]}
        out["surgeries"] = sorted(
            (mrn[r.patient_id], r.surgery_date, r.procedure, r.spinal_levels, r.surgeon, r.notes, r.source_code)
            for r in s.scalars(select(Surgery))
        )
        out["visits"] = sorted(
            (
                mrn[v.patient_id],
                v.visit_date,
                v.back_pain,
                v.leg_pain,
                v.pain_unspecified,
                v.pain_instrument,
                v.odi,
                v.numbness,
                v.tingling,
                v.weakness,
                v.mme_per_day,
                v.notes,
            )
            for v in s.scalars(select(Visit))
        )
        out["treatments"] = sorted(
            (mrn[t.patient_id], t.code, t.start_date, t.end_date, t.drug or "", t.mme_per_day or 0.0, t.notes or "")
            for t in s.scalars(select(Treatment))
        )
        out["conditions"] = sorted(
            (mrn[c.patient_id], c.code_system, c.code, c.display, c.onset_date) for c in s.scalars(select(Condition))
        )
    return out


def export(engine: Engine, **kwargs) -> dict:
    with read_session(engine) as s:
        return export_fhir(s, **kwargs)


def test_every_exported_resource_and_the_bundle_are_valid_fhir_r4(cohort):
    for kwargs in ({}, {"deidentify": True, "key": KEY}, {"bundle_type": "transaction"}):
        bundle = export(cohort, **kwargs)

        Bundle.model_validate(bundle)
        for entry in bundle["entry"]:
            resource = entry["resource"]
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
            assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"Patient", "Procedure", "Observation", "MedicationStatement", "Condition"}
    assert all(e["request"]["method"] == "PUT" for e in bundle["entry"])


def test_an_identified_export_imported_into_an_empty_database_gives_back_the_same_data(cohort, empty_twin, tmp_path):
    original = snapshot(cohort)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export(cohort)), encoding="utf-8")

    report = import_fhir(empty_twin, [path], "nurse1", today=TODAY)

    assert report.ok and not report.total("skipped"), report.format()
    assert snapshot(empty_twin) == original
    assert len(original["patients"]) == 27 and len(original["conditions"]) == 2
    assert {row[5] for row in original["visits"]} == {"NRS", "VAS"}
    # ... and importing the export into the database it came from adds nothing
    before = {name: len(rows) for name, rows in snapshot(cohort).items()}
    assert import_fhir(cohort, [path], "nurse1", today=TODAY).ok
    assert {name: len(rows) for name, rows in snapshot(cohort).items()} == before


def _dates_by_patient(bundle: dict) -> dict[str, list[str]]:
    dates: dict[str, list[str]] = {}
    for entry in bundle["entry"]:
        r = entry["resource"]
        subject = r["id"] if r["resourceType"] == "Patient" else r["subject"]["reference"].removeprefix("urn:uuid:")
        for field in ("performedDateTime", "effectiveDateTime", "onsetDateTime"):
            if field in r:
                dates.setdefault(subject, []).append(r[field])
        for period in (r.get("performedPeriod"), r.get("effectivePeriod")):
            dates.setdefault(subject, []).extend((period or {}).values())
    return dates


def test_a_deidentified_export_has_no_mrn_name_or_notes_and_shifts_each_patients_dates_alike(cohort):
    identified = export(cohort)
    hidden = export(cohort, deidentify=True, key=KEY)

    text = json.dumps(hidden)
    with read_session(cohort) as s:
        patients = s.scalars(select(Patient)).all()
    for p in patients:
        assert p.mrn not in text and (p.display_name or "§") not in text
    assert "Decompression for stenosis" not in text and "FHIR status stopped" not in text
    assert hidden["meta"]["security"][0]["code"] == "PSEUDED"
    hidden_patients = [e["resource"] for e in hidden["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert all("name" not in p for p in hidden_patients)
    assert all(re.fullmatch(r"P-[0-9a-f]{10}", p["identifier"][0]["value"]) for p in hidden_patients)
    assert sorted(p["birthDate"] for p in hidden_patients) == sorted(str(p.birth_year) for p in patients)
    # Entries come out in the same order, so each de-identified date pairs with its true date.
    true_dates, shifted_dates = _dates_by_patient(identified), _dates_by_patient(hidden)
    offsets = set()
    for (true_id, true), (_, shifted) in zip(true_dates.items(), shifted_dates.items(), strict=True):
        deltas = {(date.fromisoformat(b) - date.fromisoformat(a)).days for a, b in zip(true, shifted, strict=True)}
        assert len(deltas) == 1, f"patient {true_id}: dates shifted by different amounts {deltas}"
        offsets |= deltas
    assert all(-61 <= d <= -1 for d in offsets) and len(offsets) > 1, "never unchanged, never forward"
    assert offsets <= {date_shift_days(p.mrn, KEY) for p in patients}


def test_pseudonyms_are_stable_for_a_key_and_differ_between_keys():
    assert pseudonym("MRN000001", KEY) == pseudonym("MRN000001", KEY)
    assert re.fullmatch(r"P-[0-9a-f]{10}", pseudonym("MRN000001", KEY))
    assert pseudonym("MRN000001", KEY) != pseudonym("MRN000001", KEY + "x")
    assert pseudonym("MRN000001", KEY) != pseudonym("MRN000002", KEY)
    shifts = {date_shift_days(f"MRN{i:06d}", KEY) for i in range(500)}
    assert min(shifts) == -61 and max(shifts) == -1, "every day from 1 to 61 days earlier, never 0"


def test_the_site_key_is_the_environment_variable_else_one_created_once_and_stored_unaudited(engine, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    write_cohort(engine, generate_cohort(2, 1, TODAY))
    with pytest.raises(PseudonymKeyMissing):
        export(engine, deidentify=True)  # nothing configured and nothing created yet

    with write_session(engine) as s:
        created = ensure_site_key(set_actor(s, "doc"))
    with write_session(engine) as s:
        assert ensure_site_key(set_actor(s, "doc")) == created  # created once, then read back
    first, second = export(engine, deidentify=True), export(engine, deidentify=True)
    assert re.fullmatch(r"[0-9a-f]{64}", created)
    assert first["entry"] == second["entry"] and first["entry"] == export(engine, deidentify=True, key=created)["entry"]

    monkeypatch.setenv(KEY_ENV, KEY)
    from_env = export(engine, deidentify=True)
    assert from_env["entry"] == export(engine, deidentify=True, key=KEY)["entry"] != first["entry"]
    with write_session(engine) as s:
        assert ensure_site_key(set_actor(s, "doc")) == KEY  # the environment wins, nothing more is stored

    with read_session(engine) as s:
        load_settings(s)  # a key kept in the settings table used to break this
        audit = s.scalars(select(AuditEntry)).all()
        assert s.scalar(select(func.count()).select_from(SiteSecret)) == 1
    assert [(e.action, e.actor) for e in audit if e.action == "site_secret_created"] == [("site_secret_created", "doc")]
    assert [json.loads(e.after)["value"] for e in audit if e.table_name == "site_secrets"] == ["***"]
    assert not any(created in (e.before or "") + (e.after or "") + (e.detail or "") for e in audit)


def test_patient_ids_limit_the_export_to_those_patients(cohort):
    with read_session(cohort) as s:
        first = s.scalar(select(Patient).order_by(Patient.id))
    bundle = export(cohort, patient_ids=[first.id])

    patients = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert [p["identifier"][0]["value"] for p in patients] == [first.mrn]
    assert {e["resource"].get("subject", {}).get("reference") for e in bundle["entry"]} - {None} == {
        f"urn:uuid:{patients[0]['id']}"
    }


# --- the command line ---------------------------------------------------------------------------------


PASSWORDS = {"doc": "doc-password", "boss": "boss-password"}


@pytest.fixture
def cli_db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with write_session(engine) as s:
            set_actor(s, "setup")
            add_user(s, "doc", "clinician", PASSWORDS["doc"])
            add_user(s, "boss", "admin", PASSWORDS["boss"])
    finally:
        engine.dispose()
    result = runner.invoke(
        app,
        ["import", "fhir", str(FIXTURES), "--db", url],
        env={"PAINTRAIL_USER": "doc", "PAINTRAIL_PASSWORD": PASSWORDS["doc"]},
    )
    assert result.exit_code == 0, result.output
    return url


def export_as(user: str, *args: str):
    """`paintrail export fhir ... --as-user USER`, the password from $PAINTRAIL_PASSWORD."""
    return runner.invoke(app, ["export", "fhir", *args, "--as-user", user], env={"PAINTRAIL_PASSWORD": PASSWORDS[user]})


def test_export_fhir_writes_a_deidentified_bundle_by_default_and_audits_it(cli_db, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    out = tmp_path / "cohort.json"

    result = export_as("doc", "--out", str(out), "--db", cli_db)

    assert result.exit_code == 0, result.output
    assert "de-identified FHIR R4 collection Bundle" in result.stdout and "2 Patient" in result.stdout
    bundle = json.loads(out.read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    assert "SP-001" not in out.read_text(encoding="utf-8") and "Olsen" not in out.read_text(encoding="utf-8")
    engine = make_engine(cli_db)
    try:
        with read_session(engine) as s:
            event = s.scalar(select(AuditEntry).where(AuditEntry.action == "export_fhir"))
            assert json.loads(event.detail)["identified"] is False and event.actor == "doc"
    finally:
        engine.dispose()


def test_export_fhir_identified_keeps_mrns_and_names(cli_db, tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    out = tmp_path / "identified.json"

    result = export_as("boss", "--out", str(out), "--db", cli_db, "--identified")

    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "SP-001" in text and "Marta Olsen" in text


def test_export_fhir_without_a_configured_key_creates_one_and_is_deidentified_with_the_same_pseudonyms_each_time(
    cli_db, tmp_path, monkeypatch
):
    monkeypatch.delenv(KEY_ENV, raising=False)
    first, second = tmp_path / "first.json", tmp_path / "second.json"

    results = [export_as("doc", "--out", str(out), "--db", cli_db) for out in (first, second)]

    assert all(r.exit_code == 0 for r in results), [r.output for r in results]
    texts = [out.read_text(encoding="utf-8") for out in (first, second)]
    assert all("SP-001" not in t and "Olsen" not in t for t in texts)
    ids = [
        sorted(
            e["resource"]["identifier"][0]["value"]
            for e in json.loads(t)["entry"]
            if e["resource"]["resourceType"] == "Patient"
        )
        for t in texts
    ]
    assert ids[0] == ids[1] and all(re.fullmatch(r"P-[0-9a-f]{10}", p) for p in ids[0])
    engine = make_engine(cli_db)
    try:
        with read_session(engine) as s:
            created = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "site_secret_created")).all()
            exports = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export_fhir"))
        assert created == ["doc"] and exports == 2
    finally:
        engine.dispose()


def test_export_fhir_refuses_an_out_folder_that_does_not_exist(cli_db, tmp_path):
    result = export_as("boss", "--out", str(tmp_path / "no" / "x.json"), "--db", cli_db, "--identified")

    assert result.exit_code == 1 and "does not exist" in result.stderr


def test_a_clinicians_deidentified_fhir_export_names_no_surgeon_and_holds_no_date_after_today(sqlite_engine, tmp_path):
    today = date.today()
    write_cohort(sqlite_engine, generate_cohort(40, 3, today))  # visits up to today: a forward shift would show
    with write_session(sqlite_engine) as s:
        set_actor(s, "setup")
        add_user(s, "doc", "clinician", PASSWORDS["doc"])
        add_user(s, "boss", "admin", PASSWORDS["boss"])
        surgeons = {name for name in s.scalars(select(Surgery.surgeon)) if name}
    url = f"sqlite:///{sqlite_engine.url.database}"
    hidden_file, shown_file = tmp_path / "deidentified.json", tmp_path / "identified.json"

    assert export_as("doc", "--out", str(hidden_file), "--db", url).exit_code == 0
    assert export_as("boss", "--out", str(shown_file), "--db", url, "--identified").exit_code == 0

    text = hidden_file.read_text(encoding="utf-8")
    hidden, shown = json.loads(text), json.loads(shown_file.read_text(encoding="utf-8"))
    assert surgeons and not any(name in text for name in surgeons) and '"performer"' not in text
    assert any(name in json.dumps(shown) for name in surgeons), "the identified export does carry them"
    days = [date.fromisoformat(d) for e in hidden["entry"] for d in re.findall(r"\d{4}-\d{2}-\d{2}", json.dumps(e))]
    assert days and max(days) <= today
    true_dates, shifted_dates = _dates_by_patient(shown), _dates_by_patient(hidden)
    for (_, true), (_, shifted) in zip(true_dates.items(), shifted_dates.items(), strict=True):
        assert all(date.fromisoformat(b) < date.fromisoformat(a) for a, b in zip(true, shifted, strict=True))
