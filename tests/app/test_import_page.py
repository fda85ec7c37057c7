"""Import page: FHIR bundles and CSV files uploaded from the browser, with the report shown."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from data_model.db import make_engine, read_session
from data_model.models import Patient, Visit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _count(url, model):
    engine = make_engine(url)
    with read_session(engine) as s:
        n = s.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return n


def _import_page(at, tab="FHIR R4 bundles"):
    at.run()
    at.session_state["imp_tab"] = tab
    at.switch_page("pages/import_data.py").run()
    return at


def test_staff_upload_a_fhir_bundle_and_see_what_was_imported(as_user, app_db):
    before = _count(app_db, Patient)
    at = _import_page(as_user("nurse"))
    bundle = (FIXTURES / "fhir" / "synthea_trimmed.json").read_bytes()
    at.file_uploader(key="imp_fhir_files").set_value([("bundle.json", bundle, "application/json")])
    at.run()
    at.button(key="imp_fhir_go").click().run()
    assert not at.exception
    assert "Imported 1 bundle" in at.success[0].value
    assert "visits" in at.code[0].value
    assert _count(app_db, Patient) == before + 1


def test_a_bad_csv_upload_reports_every_problem_and_imports_nothing(as_user, app_db):
    before = _count(app_db, Visit)
    at = _import_page(as_user("nurse"), "CSV files")
    visits = b"mrn,visit_date,back_pain\nPERSIST1,2026-01-01,abc\nNOSUCH,2026-01-02,3\n"
    at.file_uploader(key="imp_csv_files").set_value([("visits.csv", visits, "text/csv")])
    at.run()
    at.button(key="imp_csv_go").click().run()
    assert "Nothing was imported: 2 problem(s)" in at.error[0].value
    assert "line 2, column back_pain" in at.code[0].value and "NOSUCH" in at.code[0].value
    assert _count(app_db, Visit) == before


def test_a_good_csv_upload_imports(as_user, app_db):
    before = _count(app_db, Visit)
    at = _import_page(as_user("nurse"), "CSV files")
    visits = b"mrn,visit_date,back_pain,leg_pain\nPERSIST1,2026-01-01,6,5\n"
    at.file_uploader(key="imp_csv_files").set_value([("visits.csv", visits, "text/csv")])
    at.run()
    at.button(key="imp_csv_go").click().run()
    assert not at.error, [e.value for e in at.error] + [c.value for c in at.code]
    assert "Imported 1 rows" in at.success[0].value
    assert _count(app_db, Visit) == before + 1
