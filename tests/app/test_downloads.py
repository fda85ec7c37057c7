"""Download buttons by role: cohort report and data, a patient's chart and summary, the worklist CSV.

AppTest cannot click a deferred download, so the bytes are tested through the functions behind the buttons.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pandas as pd
from sqlalchemy import select

from dashboard.charts.reports import trajectory_for_export
from dashboard.downloads.buttons import csv_bytes
from data_model.db import make_engine, read_session
from data_model.exchange.deidentify import DEIDENTIFIED_WORKLIST_COLUMNS, deidentified_worklist, weeks_instead_of_dates
from data_model.exchange.pseudonyms import pseudonym
from data_model.models import Patient, SiteSecret
from data_model.services.patient import patient_record
from data_model.services.worklist import flag_worklist
from tests.app.conftest import COHORT

CHART_FORMATS = ("PNG", "SVG", "PDF", "HTML")
KEY = "download-test-site-secret-0123456789"


def _labels(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def _captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def _page(at, page: str, mrn: str | None = None):
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    if mrn:
        at.text_input(key="pt_query").input(mrn).run()
    assert not at.exception, at.exception
    return at


def test_a_clinician_gets_the_chart_downloads_the_cohort_report_and_the_cohort_data(as_user, app_db):
    labels = _labels(_page(as_user("doc"), "cohort"))

    assert all(labels.count(fmt) == 4 for fmt in CHART_FORMATS)
    assert labels.count("Cohort report (PDF)") == 1 and labels.count("Cohort data (CSV, de-identified)") == 1
    engine = make_engine(app_db)
    with read_session(engine) as s:  # the page made the pseudonym key on first use
        assert s.scalar(select(SiteSecret.name)) == "pseudonym_key"
    engine.dispose()


def test_staff_get_the_chart_downloads_but_no_cohort_report_or_data(as_user):
    at = _page(as_user("nurse"), "cohort")
    labels = _labels(at)

    assert all(labels.count(fmt) == 4 for fmt in CHART_FORMATS)
    assert "Cohort report (PDF)" not in labels and "Cohort data (CSV, de-identified)" not in labels
    assert "Your role (staff) does not export cohort reports or data." in _captions(at)


def test_an_admin_gets_the_cohort_report(as_user):
    assert "Cohort report (PDF)" in _labels(_page(as_user("boss"), "cohort"))


def test_a_clinician_downloads_a_patients_chart_and_a_deidentified_summary(as_user):
    at = _page(as_user("doc"), "patient", "PERSIST1")
    labels = _labels(at)

    assert [label for label in labels if label in CHART_FORMATS] == list(CHART_FORMATS)
    assert "Clinician summary (PDF)" in labels
    assert "Downloads are de-identified" in _captions(at)


def test_an_admin_downloads_an_identified_summary(as_user):
    at = _page(as_user("boss"), "patient", "PERSIST1")

    assert "Clinician summary (PDF)" in _labels(at) and "Downloads are identified" in _captions(at)


def test_staff_get_no_patient_download(as_user):
    at = _page(as_user("nurse"), "patient", "PERSIST1")

    assert _labels(at) == []
    assert "Your role (staff) does not export patient data" in _captions(at)


def test_the_worklist_csv_button_is_for_clinicians_not_staff(as_user):
    assert "Download worklist (CSV, de-identified)" in _labels(_page(as_user("doc"), "worklist"))
    assert "Download worklist (CSV, de-identified)" not in _labels(_page(as_user("nurse"), "worklist"))


# --- the bytes behind the buttons ------------------------------------------------------------------------


def _read(app_db: str, fn):
    engine = make_engine(app_db)
    try:
        with read_session(engine) as s:
            return fn(s)
    finally:
        engine.dispose()


def test_the_worklist_csv_is_by_pseudonym_with_no_mrn_name_surgeon_or_date(app_db):
    worklist = _read(app_db, lambda s: flag_worklist(s, date.today()))
    assert not worklist.empty

    text = csv_bytes(deidentified_worklist(worklist, KEY)).decode("utf-8")

    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == DEIDENTIFIED_WORKLIST_COLUMNS
    assert {r["pseudonym"] for r in rows} == {pseudonym(m, KEY) for m in worklist["mrn"]}
    for mrn, name, *_ in COHORT:
        assert mrn not in text and name not in text
    assert "Dr Hart" not in text and re.search(r"\d{4}-\d{2}-\d{2}", text) is None


def test_dates_in_reasons_become_weeks_since_surgery():
    text = "Numbness on 2026-03-02 (absent on 2026-02-02); due 2026-01-05"
    assert weeks_instead_of_dates(text, pd.Timestamp("2026-01-05")) == (
        "Numbness on week 8 (absent on week 4); due week 0"
    )
    assert weeks_instead_of_dates(text, None).count("(date removed)") == 3


def test_the_worklist_csv_makes_formula_cells_inert_and_keeps_numbers():
    frame = pd.DataFrame({"pseudonym": ["P-1"], "reasons": ["=HYPERLINK(1)"], "current_pain": [-1.5], "n": [None]})

    rows = list(csv.reader(io.StringIO(csv_bytes(frame).decode("utf-8"))))

    assert rows[1] == ["P-1", "'=HYPERLINK(1)", "-1.5", ""]


def test_a_clinicians_trajectory_download_names_no_mrn_and_no_date(app_db):
    record = _read(
        app_db, lambda s: patient_record(s, s.scalar(select(Patient.id).where(Patient.mrn == "PERSIST1")), date.today())
    )

    hidden = json.dumps(trajectory_for_export(record, date.today(), KEY).to_plotly_json(), default=str)
    shown = json.dumps(trajectory_for_export(record, date.today()).to_plotly_json(), default=str)

    assert f"Pain trajectory of {pseudonym('PERSIST1', KEY)} (n = 4 visits)" in hidden
    assert "PERSIST1" not in hidden and re.search(r"\d{4}-\d{2}-\d{2}", hidden) is None
    assert "Pain trajectory of PERSIST1" in shown and re.search(r"\d{4}-\d{2}-\d{2}", shown)
