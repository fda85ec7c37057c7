"""FHIR R4 import: trimmed fixtures, the ten Synthea bundles, re-import, broken bundles, the command line."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dashboard.cli import app
from data_model.audit import set_actor
from data_model.commands import register_patient
from data_model.db import make_engine, read_session, write_session
from data_model.exchange.fhir.bundle_import import import_fhir
from data_model.exchange.fhir.mapping import SurgeryPlan, map_procedure
from data_model.exchange.fhir.mme import opioid_dose, opioid_ingredient
from data_model.exchange.fhir.read import Skipped
from data_model.models import AuditEntry, Condition, Patient, Surgery, Treatment, Visit
from tests.helpers.cli_accounts import add_account, credentials

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "fhir"
TRIMMED = FIXTURES / "synthea_trimmed.json"
SPINE = FIXTURES / "spine_followup.json"
# The ten sample bundles, trimmed (see its README.md); beside fhir/, whose two bundles some tests import as a folder.
SYNTHEA = FIXTURES.parent / "synthea"
TODAY = date(2026, 6, 1)
MODELS = {
    "patients": Patient,
    "surgeries": Surgery,
    "visits": Visit,
    "treatments": Treatment,
    "conditions": Condition,
    "audit": AuditEntry,
}
ADA_MRN = "6c1e7a52-2b9e-4c55-9a3e-2f0b7d1e9a01"

runner = CliRunner()


def counts(engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {name: s.execute(select(func.count()).select_from(m)).scalar_one() for name, m in MODELS.items()}


def clinical(engine) -> dict[str, int]:
    return {k: v for k, v in counts(engine).items() if k != "audit"}


def run_import(engine, *paths: Path, **kwargs):
    return import_fhir(engine, list(paths), "nurse1", today=TODAY, **kwargs)


def mutated(tmp_path: Path, change, name: str = "broken.json") -> Path:
    """The trimmed bundle with change(bundle) applied, written to tmp_path."""
    bundle = json.loads(TRIMMED.read_text(encoding="utf-8"))
    change(bundle)
    target = tmp_path / name
    target.write_text(json.dumps(bundle), encoding="utf-8")
    return target


def resource(bundle: dict, resource_id: str) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["id"].endswith(resource_id))


# --- the trimmed Synthea-shaped bundle ---------------------------------------------------------------


def test_the_trimmed_synthea_bundle_imports_with_the_right_counts_and_values(engine):
    report = run_import(engine, TRIMMED)

    assert report.ok
    bundle = report.bundles[0]
    assert dict(bundle.imported) == {"patients": 1, "surgeries": 1, "visits": 4, "treatments": 3, "conditions": 1}
    assert clinical(engine) == {"patients": 1, "surgeries": 1, "visits": 4, "treatments": 3, "conditions": 1}
    with read_session(engine) as s:
        ada = s.scalar(select(Patient))
        assert (ada.mrn, ada.display_name, ada.birth_year, ada.sex, ada.source) == (
            ADA_MRN,
            "Ada Lovelace",
            1961,
            "female",
            "fhir",
        )
        visits = {v.visit_date: v for v in s.scalars(select(Visit))}
        # effectiveDateTime (decimals kept), effectivePeriod.start only, issued only
        assert visits[date(2019, 3, 4)].pain_unspecified == 3.4203817261
        assert visits[date(2020, 1, 15)].pain_unspecified == 5.5
        assert visits[date(2020, 6, 1)].pain_unspecified == 2.25
        same_day = visits[date(2019, 9, 10)]
        assert (same_day.pain_unspecified, same_day.odi, same_day.back_pain) == (6.75, 38.0, None)
        assert all(v.pain_instrument == "NRS" and v.created_by == "nurse1" for v in visits.values())
        colectomy = s.scalar(select(Surgery))
        assert (colectomy.procedure, colectomy.surgery_date, colectomy.source_code) == (
            "other",
            date(2019, 6, 20),
            "Partial resection of colon",
        )
        treatments = {t.drug.split(" ")[0]: t for t in s.scalars(select(Treatment))}
        oxy = treatments["Acetaminophen"]
        assert (oxy.code, oxy.start_date, oxy.end_date, oxy.mme_per_day, oxy.mme_source) == (
            "opioid",
            date(2019, 6, 21),
            None,
            30.0,
            "CDC 2022",
        )  # 5 mg x 4/day x 1.5
        meperidine = treatments["Meperidine"]
        assert meperidine.code == "opioid" and meperidine.mme_per_day is None
        assert "meperidine has no conversion factor" in meperidine.notes
        assert treatments["Ibuprofen"].code == "nsaid"
        low_back = s.scalar(select(Condition))
        assert (low_back.code, low_back.onset_date) == ("278860009", date(2018, 11, 2))


def test_every_resource_of_the_trimmed_bundle_is_imported_or_counted_with_a_reason(engine):
    bundle = run_import(engine, TRIMMED).bundles[0]

    assert bundle.skipped == Counter(
        {
            "Observation: not a pain, function or symptom measure PainTrail reads": 1,  # BMI
            "Observation: value outside 0-10 or not a number (data error)": 1,  # a pain score of 11
            "Procedure: not a surgery": 1,  # medication reconciliation
            "MedicationRequest: not a pain medication in the catalogue": 1,  # simvastatin
            "Condition: not a pain or spine diagnosis PainTrail follows": 1,  # viral sinusitis
        }
    )
    assert bundle.unused == Counter({"Encounter": 1, "Claim": 1})
    assert bundle.values == Counter({"pain_unspecified": 4, "odi": 1})
    assert len(bundle.errors) == 1 and "outside 0-10" in bundle.errors[0]
    raw = json.loads(TRIMMED.read_text(encoding="utf-8"))
    per_type = Counter(e["resource"]["resourceType"] for e in raw["entry"])
    skipped_per_type = Counter()
    for reason, n in bundle.skipped.items():
        skipped_per_type[reason.split(":")[0]] += n
    for kind, n in per_type.items():
        assert bundle.used[kind] + skipped_per_type[kind] + bundle.unused[kind] == n, kind
    assert "meperidine has no conversion factor" in " ".join(bundle.facts)


def test_a_spine_follow_up_maps_back_and_leg_pain_vas_odi_the_surgery_and_pain_treatments(engine):
    report = run_import(engine, SPINE)

    assert report.ok
    assert report.bundles[0].skipped == Counter(
        {
            "Observation: pain at a body site other than back or leg": 1,  # the knee
            "MedicationRequest: an opioid for injection (given in hospital, not a prescription to follow)": 1,
        }
    )
    with read_session(engine) as s:
        patient = s.scalar(select(Patient))
        assert (patient.mrn, patient.display_name) == ("SP-001", "Marta Olsen")
        surgery = s.scalar(select(Surgery))
        assert (surgery.procedure, surgery.spinal_levels, surgery.surgeon, surgery.source_code) == (
            "laminectomy",
            "L4-L5",
            "Dr. Ana Ngata",
            None,
        )
        visits = {v.visit_date: v for v in s.scalars(select(Visit))}
        baseline = visits[date(2025, 1, 20)]
        assert (baseline.back_pain, baseline.leg_pain, baseline.odi, baseline.pain_unspecified) == (7, 8.5, 48, None)
        assert (visits[date(2025, 5, 5)].back_pain, visits[date(2025, 5, 5)].leg_pain) == (4, 3)  # "Left leg"
        vas = visits[date(2025, 6, 15)]
        assert (vas.back_pain, vas.pain_instrument) == (4.5, "VAS")  # 45 mm on the 0-100 scale
        codes = {t.code: t for t in s.scalars(select(Treatment))}
        assert set(codes) == {"epidural_steroid_injection", "neuropathic_agent", "opioid"}
        assert codes["neuropathic_agent"].end_date == date(2025, 5, 1)
        assert codes["opioid"].mme_per_day == 60.0  # 25 mcg/h x 2.4
        assert s.scalar(select(Condition.code)) == "M96.1"


# --- re-import and matching ----------------------------------------------------------------------------


def test_importing_the_same_bundles_again_adds_nothing(engine):
    run_import(engine, FIXTURES)
    before = clinical(engine)

    again = run_import(engine, FIXTURES)

    assert again.ok and clinical(engine) == before
    assert sum(again.total("imported").values()) == 0
    assert again.total("already") == Counter(
        {"patients": 2, "visits": 7, "treatments": 6, "surgeries": 2, "conditions": 2}
    )


def test_a_patient_registered_from_another_source_gets_the_fhir_rows_attached(engine):
    with write_session(engine) as s:
        set_actor(s, "nurse1")
        register_patient(s, {"mrn": ADA_MRN, "display_name": "Lovelace, Ada", "birth_year": 1961}, source="csv")

    bundle = run_import(engine, TRIMMED).bundles[0]

    assert bundle.imported["patients"] == 0 and bundle.matched_by_mrn == [f"{ADA_MRN} (source csv)"]
    with read_session(engine) as s:
        ada = s.scalar(select(Patient))
        assert ada.display_name == "Lovelace, Ada" and ada.source == "csv"  # demographics kept
        assert s.scalar(select(func.count()).select_from(Visit).where(Visit.patient_id == ada.id)) == 4


def test_two_values_for_one_measure_on_one_day_keep_the_higher(engine, tmp_path):
    def second_score(bundle):
        extra = copy.deepcopy(resource(bundle, "6b02"))
        extra["id"], extra["valueQuantity"]["value"] = "extra-score", 7.25
        bundle["entry"].append({"fullUrl": "urn:uuid:extra-score", "resource": extra})

    bundle = run_import(engine, mutated(tmp_path, second_score)).bundles[0]

    assert bundle.skipped["Observation: a second value for the same measure the same day (the higher is kept)"] == 1
    with read_session(engine) as s:
        assert s.scalar(select(Visit.pain_unspecified).where(Visit.visit_date == date(2019, 9, 10))) == 7.25


# --- broken bundles ------------------------------------------------------------------------------------


def test_a_pain_value_that_is_not_a_number_skips_that_observation_only(engine, tmp_path):
    path = mutated(tmp_path, lambda b: resource(b, "6b01")["valueQuantity"].update(value="abc"))

    bundle = run_import(engine, path).bundles[0]

    assert bundle.ok and bundle.skipped["Observation: not valid FHIR R4"] == 1
    assert any("valueQuantity.value" in e for e in bundle.errors)
    assert clinical(engine)["visits"] == 3 and clinical(engine)["treatments"] == 3


def test_an_observation_without_a_subject_is_skipped_with_the_reason(engine, tmp_path):
    bundle = run_import(engine, mutated(tmp_path, lambda b: resource(b, "6b05").pop("subject"))).bundles[0]

    assert bundle.skipped["Observation: no subject (which patient is it about?)"] == 1
    assert clinical(engine)["visits"] == 3


def test_strict_mode_rejects_a_bundle_with_bad_data_and_writes_nothing(engine, tmp_path):
    before = counts(engine)
    bundle = run_import(engine, TRIMMED, strict=True).bundles[0]  # the pain score of 11

    assert not bundle.ok and "strict" in bundle.rejected
    assert counts(engine) == before


def test_a_bundle_whose_patient_is_unusable_is_rejected_whole_and_the_next_one_still_imports(engine, tmp_path) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    mutated(folder, lambda b: resource(b, "6a01").update(birthDate="2999-01-01"), "a_bad_patient.json")
    (folder / "b_good.json").write_bytes(SPINE.read_bytes())
    (folder / "c_not_json.json").write_text("{ not json", encoding="utf-8")
    (folder / "d_not_a_bundle.json").write_text('{"resourceType": "Patient"}', encoding="utf-8")
    seen: list[tuple[int, int, str]] = []

    report = run_import(engine, folder, progress=lambda done, total, path: seen.append((done, total, path.name)))

    assert [b.ok for b in report.bundles] == [False, True, False, False] and not report.ok
    assert "birth_year" in report.bundles[0].rejected
    assert "is not JSON" in report.bundles[2].rejected
    assert "not a FHIR Bundle" in report.bundles[3].rejected
    assert seen == [
        (1, 4, "a_bad_patient.json"),
        (2, 4, "b_good.json"),
        (3, 4, "c_not_json.json"),
        (4, 4, "d_not_a_bundle.json"),
    ]
    with read_session(engine) as s:
        assert s.scalars(select(Patient.mrn)).all() == ["SP-001"]  # nothing of the rejected bundle


def test_every_imported_row_is_audited_with_the_importer_and_one_event_per_bundle(engine):
    run_import(engine, TRIMMED)

    with read_session(engine) as s:
        inserts = dict(
            s.execute(
                select(AuditEntry.table_name, func.count())
                .where(AuditEntry.action == "insert")
                .group_by(AuditEntry.table_name)
            ).all()
        )
        events = s.scalars(select(AuditEntry).where(AuditEntry.action == "import_fhir")).all()
    assert inserts == {"patients": 1, "surgeries": 1, "visits": 4, "treatments": 3, "conditions": 1}
    assert len(events) == 1 and events[0].actor == "nurse1" and events[0].patient_id is not None
    assert json.loads(events[0].detail)["imported"]["visits"] == 4


# --- the ten Synthea sample bundles ---------------------------------------------------------------------


def _pain_scores_in(folder: Path) -> int:
    total = 0
    for path in folder.glob("*.json"):
        for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]:
            r = entry["resource"]
            if r["resourceType"] == "Observation" and any(c.get("code") == "72514-3" for c in r["code"]["coding"]):
                total += 1
    return total


@pytest.fixture
def synthea() -> Path:
    return SYNTHEA


def test_the_ten_synthea_bundles_import_and_every_pain_score_is_accounted_for(engine, synthea):
    report = run_import(engine, synthea)

    assert report.ok and len(report.bundles) == 10
    scores = _pain_scores_in(synthea)
    assert scores == 98  # the README says 88; the files hold 98
    assert report.total("values") == Counter({"pain_unspecified": scores})
    assert not [r for r in report.total("skipped") if "value outside" in r or "second value" in r]
    assert clinical(engine) == {"patients": 10, "surgeries": 3, "visits": 98, "treatments": 7, "conditions": 0}
    with read_session(engine) as s:
        assert sorted(s.scalars(select(Surgery.source_code))) == [
            "Laparoscopic Removal of Gall Bladder",
            "Partial resection of colon",
            "Total knee replacement",
        ]
        opioids = s.scalars(select(Treatment.mme_per_day).where(Treatment.code == "opioid")).all()
        assert sorted(opioids) == [30.0, 30.0, 30.0]  # hydrocodone 7.5 mg q6h x2, oxycodone 5 mg q6h
        assert "Abdul" not in " ".join(s.scalars(select(Patient.display_name)))
        assert not any(ch.isdigit() for name in s.scalars(select(Patient.display_name)) for ch in name)
    skipped = report.total("skipped")
    assert skipped["MedicationRequest: an opioid for injection (given in hospital, not a prescription to follow)"] == 1
    assert skipped["MedicationRequest: an anaesthetic opioid (given in theatre, not a prescription to follow)"] == 1
    assert report.total("unused")["Claim"] == 338

    before = clinical(engine)
    assert run_import(engine, synthea).ok and clinical(engine) == before


# --- what counts as a surgery -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "display", "expected"),
    [
        ("43075005", "Partial resection of colon", "other"),
        ("45595009", "Laparoscopic Removal of Gall Bladder", "other"),
        ("609588000", "Total knee replacement", "other"),
        (None, "Appendectomy", "other"),
        ("387731002", "Laminectomy", "laminectomy"),
        (None, "Anterior cervical discectomy and fusion", "fusion"),
        (None, "Lumbar microdiscectomy", "discectomy"),
        (None, "Spinal cord stimulator trial", "treatment scs_trial"),
        ("428191000124101", "Documentation of current medications", "skipped"),
        ("171207006", "Depression screening", "skipped"),
        ("46706006", "Replacement of contraceptive intrauterine device", "skipped"),
        ("274031008", "Rectal polypectomy", "skipped"),
        (None, "Dental cleaning", "skipped"),
        (None, "Intramuscular injection", "skipped"),
    ],
)
def test_a_procedure_is_a_surgery_by_its_code_or_its_words_and_everything_else_is_skipped(code, display, expected):
    coding = [{"system": "http://snomed.info/sct", "code": code, "display": display}] if code else []
    procedure = {
        "resourceType": "Procedure",
        "id": "p1",
        "status": "completed",
        "subject": {"reference": "Patient/x"},
        "code": {"coding": coding, "text": display},
        "performedDateTime": "2020-01-01",
    }
    try:
        row = map_procedure({}, procedure, TODAY)
    except Skipped as exc:
        assert expected == "skipped" and exc.reason == "Procedure: not a surgery"
        return
    assert (row.procedure if isinstance(row, SurgeryPlan) else f"treatment {row.code}") == expected


# --- opioid doses -------------------------------------------------------------------------------------


def _every(hours: float, dose: float = 1, unit: str | None = None) -> list[dict]:
    quantity = {"value": dose, **({"unit": unit} if unit else {})}
    return [
        {
            "timing": {"repeat": {"frequency": 1, "period": hours, "periodUnit": "h"}},
            "doseAndRate": [{"doseQuantity": quantity}],
        }
    ]


@pytest.mark.parametrize(
    ("display", "dosage", "mme", "why"),
    [
        ("Acetaminophen 325 MG / HYDROcodone Bitartrate 7.5 MG Oral Tablet", _every(6), 30.0, None),
        ("Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet", _every(4, 2), 90.0, None),
        ("tramadol hydrochloride 50 MG Oral Tablet", _every(12), 20.0, None),
        ("Oxycodone Hydrochloride 1 MG/ML Oral Solution", _every(6, 5, "mL"), 30.0, None),
        ("72 HR Fentanyl 0.05 MG/HR Transdermal System", [], 120.0, None),
        (
            "Oxycodone Hydrochloride 5 MG Oral Tablet",
            [{"doseAndRate": [{"doseQuantity": {"value": 1}}]}],
            None,
            "no dosing frequency",
        ),
        ("Meperidine Hydrochloride 50 MG Oral Tablet", _every(4), None, "no conversion factor"),
        ("Fentanyl 0.1 MG/ML Injectable Solution", _every(1), None, "transdermal patches only"),
    ],
)
def test_mme_per_day_is_computed_from_strength_dose_and_frequency_or_left_unknown_with_the_reason(
    display, dosage, mme, why
):
    dose = opioid_dose(display, opioid_ingredient(display), dosage)

    assert dose.mme_per_day == mme
    assert (dose.why_unknown is None) if why is None else (why in dose.why_unknown)


# --- the command line ---------------------------------------------------------------------------------


def test_the_import_command_prints_the_report_and_exits_0(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"

    result = runner.invoke(app, ["import", "fhir", str(FIXTURES), "--db", db], env=add_account(db))

    assert result.exit_code == 0, result.output
    assert "synthea_trimmed.json: imported 1 patient, 1 surgery, 4 visits, 3 treatments, 1 condition" in result.stdout
    assert "1 × Procedure: not a surgery" in result.stdout and "1 Claim" in result.stdout
    assert "2 bundles: 2 imported, 0 rejected" in result.stdout
    engine = make_engine(db)
    try:
        assert clinical(engine)["visits"] == 7
    finally:
        engine.dispose()


def test_the_import_command_exits_1_naming_the_bad_file_and_keeps_the_good_one(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2", encoding="utf-8")

    result = runner.invoke(app, ["import", "fhir", str(bad), str(SPINE), "--db", db], env=add_account(db))

    assert result.exit_code == 1
    assert "bad.json: REJECTED, nothing was written: is not JSON" in result.stdout
    assert "spine_followup.json: imported 1 patient" in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: 1 problem") and "bad.json" in lines[0]


def test_the_import_command_refuses_a_missing_path_in_one_line(tmp_path):
    result = runner.invoke(
        app, ["import", "fhir", str(tmp_path / "nowhere"), "--db", f"sqlite:///{tmp_path / 'x.db'}"], env=credentials()
    )

    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {tmp_path / 'nowhere'}: no such file or folder"
