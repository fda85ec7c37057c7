"""PDF reports: the cohort report (`paintrail export report`) and the one-page clinician summary of a patient.

About six images in all (four cohort charts, two trajectories), drawn by one kaleido server for the module.
"""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from dashboard.charts.reports import patient_summary_pdf
from dashboard.cli import app
from data_model.access.accounts import add_user
from data_model.audit import set_actor
from data_model.cohort.figures import select_cohort
from data_model.db import make_engine, read_session, write_session
from data_model.exchange.pseudonyms import pseudonym
from data_model.migrate import upgrade
from data_model.models import AuditEntry, Patient, SiteSecret
from data_model.services.evaluation import evaluate_clinic, load_clinical_data
from data_model.services.patient import patient_record
from data_model.services.worklist import flag_worklist
from sample_data.generator import generate_cohort
from sample_data.writer import write_cohort

pytestmark = pytest.mark.xdist_group("kaleido-reports")

TODAY = date(2026, 6, 1)
KEY = "report-test-site-secret-0123456789"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'report.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        write_cohort(engine, generate_cohort(60, 21, TODAY))
        with write_session(engine) as s:
            set_actor(s, "setup")
            add_user(s, "doc", "clinician", "doc-password")
    finally:
        engine.dispose()
    return url


def read(db: str, fn):
    engine = make_engine(db)
    try:
        with read_session(engine) as s:
            return fn(s)
    finally:
        engine.dispose()


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def identities(db: str) -> list[tuple[str, str]]:
    return read(db, lambda s: [(p.mrn, p.display_name) for p in s.scalars(select(Patient))])


def test_the_cohort_report_has_the_definition_the_figures_and_the_flagged_patients_by_pseudonym_only(
    db, renderer, tmp_path
):
    out = tmp_path / "report.pdf"

    result = runner.invoke(
        app,
        [
            "export",
            "report",
            "--out",
            str(out),
            "--procedure",
            "discectomy",
            "--procedure",
            "fusion",
            "--as-of",
            TODAY.isoformat(),
            "--as-user",
            "doc",
            "--db",
            db,
        ],
        env={"PAINTRAIL_PASSWORD": "doc-password"},
    )

    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    pages, text = pdf_text(data)
    assert data.startswith(b"%PDF") and pages >= 3  # key figures, four charts, the flagged list
    assert "Cohort: discectomy, fusion. As of 2026-06-01." in text and "Key figures" in text
    key = read(db, lambda s: s.scalar(select(SiteSecret.value)))
    worklist = read(db, lambda s: flag_worklist(s, TODAY))
    cohort = read(
        db, lambda s: select_cohort(load_clinical_data(s, TODAY).surgeries, ("discectomy", "fusion"), as_of=TODAY)
    )
    flagged = worklist[worklist["patient_id"].isin(cohort["patient_id"])]
    assert len(flagged) >= 3 and f"Flagged patients ({len(flagged)}), de-identified" in text
    assert all(pseudonym(mrn, key) in text for mrn in flagged["mrn"])
    for mrn, name in identities(db):
        assert mrn not in text and name not in text and name.split()[-1] not in text
    assert set(ISO_DATE.findall(text)) == {"2026-06-01"}  # the report's date, no patient's
    assert "cohort report" in result.stdout and f"{len(flagged)} flagged" in result.stdout
    assert read(db, lambda s: s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "export_report"))) == "doc"


@pytest.fixture(scope="module")
def record(db):
    """A patient with treatments and a flag whose reason names a date (new nerve symptoms, overdue visits)."""

    def pick(s):
        flags = evaluate_clinic(s, TODAY).flags
        dated = flags[flags["reason"].str.contains(ISO_DATE)]
        for patient_id in dict.fromkeys(dated["patient_id"]):
            rec = patient_record(s, int(patient_id), TODAY)
            if not rec.treatments.empty:
                return rec
        raise AssertionError("the sample cohort has no flagged patient with a dated reason and treatments")

    return read(db, pick)


def test_the_clinician_summary_is_one_page_with_the_mrn_name_and_dates(record, renderer):
    pages, text = pdf_text(patient_summary_pdf(record, TODAY))

    assert pages == 1
    assert record.patient["mrn"] in text and record.patient["display_name"] in text
    assert "Clinician summary" in text and "Flags" in text and "Treatments" in text
    assert str(record.treatments.iloc[-1]["start_date"]) in text


def test_the_deidentified_summary_has_the_pseudonym_and_weeks_but_no_mrn_name_or_date(record, renderer):
    pages, text = pdf_text(patient_summary_pdf(record, TODAY, deidentified=True, key=KEY))

    assert pages == 1
    assert pseudonym(record.patient["mrn"], KEY) in text and "de-identified" in text
    assert record.patient["mrn"] not in text and record.patient["display_name"] not in text
    assert record.patient["display_name"].split()[-1] not in text
    assert ISO_DATE.search(text) is None, ISO_DATE.findall(text)
    assert re.search(r"Treatment Start End .*week -?\d+", text)  # treatments dated in weeks since surgery
    assert "week" in text and "Flags" in text


def test_the_clinician_summary_counts_prior_surgeries_in_words(record, renderer):
    said = {}
    for prior in (1, 2):
        status = record.status.assign(prior_surgeries=prior, surgery_known=True)
        said[prior] = pdf_text(patient_summary_pdf(dataclasses.replace(record, status=status), TODAY))[1]
    assert "1 prior spine surgery." in said[1]
    assert "2 prior spine surgeries." in said[2]
    assert "(ies)" not in said[1] + said[2]


def test_a_deidentified_summary_needs_the_key():
    with pytest.raises(ValueError, match="site key"):
        patient_summary_pdf(None, TODAY, deidentified=True)
