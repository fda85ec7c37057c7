"""A FHIR bundle with post-laminectomy syndrome and pain scores but no surgery Procedure reaches the worklist
(issue 14, part 4: the common EHR record of a patient operated on years ago, elsewhere)."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from dashboard.charts.reports import patient_summary_pdf
from data_model.db import read_session
from data_model.exchange.deidentify import deidentified_worklist
from data_model.exchange.fhir.bundle_import import import_fhir
from data_model.exchange.pseudonyms import pseudonym
from data_model.models import Condition, Patient
from data_model.services.patient import patient_record
from data_model.services.worklist import flag_worklist

TODAY = date(2026, 6, 1)
KEY = "fbss-test-site-secret-0123456789"
PAIN = {"system": "http://loinc.org", "code": "72514-3", "display": "Pain severity - 0-10 verbal numeric rating"}
BACK = {"coding": [{"system": "http://snomed.info/sct", "code": "77568009", "display": "Back structure"}]}
# back pain 6-10 over three years; the surgery itself is nowhere in the record
SCORES = (("2023-02-01", 6), ("2024-02-01", 9), ("2025-02-01", 10), ("2026-03-02", 8))


def _entry(kind: str, rid: str, resource: dict) -> dict:
    return {
        "fullUrl": f"https://ehr.example/fhir/{kind}/{rid}",
        "resource": {"resourceType": kind, "id": rid, **resource},
    }


def fbss_bundle(tmp_path: Path) -> Path:
    subject = {"reference": "Patient/fb-1"}
    entries = [
        _entry(
            "Patient",
            "fb-1",
            {
                "identifier": [
                    {
                        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                        "system": "https://hospital.example/mrn",
                        "value": "FB-001",
                    }
                ],
                "name": [{"family": "Quarry", "given": ["Lena"]}],
                "gender": "female",
                "birthDate": "1962-04-11",
            },
        ),
        _entry(
            "Condition",
            "fb-cond",
            {
                "code": {
                    "coding": [
                        {
                            "system": "http://snomed.info/sct",
                            "code": "202725007",
                            "display": "Lumbar post-laminectomy syndrome",
                        }
                    ]
                },
                "subject": subject,
                "onsetDateTime": "2023-04-20",
            },
        ),
    ]
    for i, (day, value) in enumerate(SCORES):
        entries.append(
            _entry(
                "Observation",
                f"fb-obs-{i}",
                {
                    "status": "final",
                    "code": {"coding": [PAIN]},
                    "subject": subject,
                    "effectiveDateTime": day,
                    "valueQuantity": {"value": value, "unit": "{score}"},
                    "bodySite": BACK,
                },
            )
        )
    path = tmp_path / "fbss.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}), encoding="utf-8")
    return path


def test_an_imported_fbss_patient_without_a_surgery_is_on_the_worklist(engine, tmp_path):
    report = import_fhir(engine, [fbss_bundle(tmp_path)], "nurse1", today=TODAY)
    assert report.ok

    with read_session(engine) as s:
        condition = s.scalar(select(Condition))
        assert (condition.code, condition.onset_date) == ("202725007", date(2023, 4, 20))
        worklist = flag_worklist(s, TODAY)

    row = worklist.set_index("mrn").loc["FB-001"]
    assert "PERSISTENT_PAIN" in row["flags"].split(";")
    # 8/10 at the latest visit (the one before is a year earlier); the first visit (6/10) is the baseline
    assert (
        "Back pain 8/10 on 2026-03-02; surgery date unknown; post-laminectomy syndrome diagnosed on 2023-04-20 "
        "(baseline: the first recorded visit, 2023-02-01); baseline 6, 33 % higher"
    ) in row["reasons"]
    assert row["procedure"] == "unknown (post-laminectomy syndrome)"
    assert row["weeks_since_surgery"] != row["weeks_since_surgery"]  # NaN: unknown, shown as "–"
    assert row["index_surgery_date"] is pd.NaT  # no surgery date is made up

    # de-identified (the worklist download, `paintrail flags`): weeks after the first visit, as the summary
    hidden = deidentified_worklist(worklist, KEY)
    reasons = hidden.loc[hidden["pseudonym"] == pseudonym("FB-001", KEY), "reasons"].iloc[0]
    assert (
        "Back pain 8/10 at week 161 after the first visit; surgery date unknown; post-laminectomy syndrome "
        "diagnosed (baseline: the first recorded visit); baseline 6, 33 % higher"
    ) in reasons
    assert "date removed" not in reasons and re.search(r"\d{4}-\d{2}-\d{2}", reasons) is None


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.xdist_group("kaleido-reports")  # one chart server, as the other report tests
def test_the_clinician_summary_says_the_surgery_date_is_unknown(sqlite_engine, tmp_path, renderer):
    engine = sqlite_engine  # the PDF does not depend on the database: one of them is enough
    import_fhir(engine, [fbss_bundle(tmp_path)], "nurse1", today=TODAY)
    with read_session(engine) as s:
        patient_id = s.scalar(select(Patient.id).where(Patient.mrn == "FB-001"))
        record = patient_record(s, patient_id, TODAY)

    text = pdf_text(patient_summary_pdf(record, TODAY))
    assert "No surgery recorded; post-laminectomy syndrome diagnosed on 2023-04-20" in text
    assert "baseline (the first recorded visit) 6/10" in text
    assert "nan" not in text and "week" not in text.lower()  # no week since an unknown surgery

    hidden = pdf_text(patient_summary_pdf(record, TODAY, deidentified=True, key=KEY))
    assert "surgery date unknown" in hidden and "date removed" not in hidden
    assert "as of surgery date unknown" not in hidden
    # 2023-02-01 (first visit) to 2026-06-01: 1216 days, week 174; to the latest visit 2026-03-02: 1125 days, week 161
    assert "as of week 174 after the first visit (surgery date unknown)" in hidden
    assert (
        "Back pain 8/10 at week 161 after the first visit; surgery date unknown; post-laminectomy syndrome "
        "diagnosed (baseline: the first recorded visit); baseline 6, 33 % higher"
    ) in hidden
    assert "Weeks are counted from the first recorded visit" in hidden
    # operated on elsewhere by definition: the number of earlier surgeries is unknown, not 0
    assert "Prior spine surgeries: unknown (operated on elsewhere)" in text
    assert "0 prior spine" not in text + hidden
    assert re.search(r"\d{4}-\d{2}-\d{2}", hidden) is None, hidden
