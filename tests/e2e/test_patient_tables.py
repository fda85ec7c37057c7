"""The patient page in a real browser at 1280x720: the visits table reads in clinic labels with dates as dates,
and a patient with a surgery but no visit since is told exactly what is missing, without a green "No flag"."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from data_model import commands
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, write_session
from data_model.models import Patient, Surgery, Treatment, Visit
from tests.e2e.conftest import sign_in, wait_for_sign_in_cookie
from tests.e2e.staff_desk import PASSWORD, settled, unique_mrn


def _open(page, demo_url: str, patient_id: int) -> None:
    sign_in(page, demo_url, "clinician", PASSWORD["clinician"])
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)  # signed in before moving on
    wait_for_sign_in_cookie(page)  # the address below is opened anew: only the cookie carries the sign-in
    settled(page)
    page.goto(f"{demo_url}/patient?patient={patient_id}")
    settled(page)


def test_the_visits_table_has_clinic_labels_and_dates_as_dates(page_of_size, demo_url, demo_db):
    engine = make_engine(demo_db)
    with read_session(engine) as session:
        patient_id, mrn = session.execute(
            select(Patient.id, Patient.mrn)
            .join(Surgery, Surgery.patient_id == Patient.id)
            .order_by(Patient.id)
            .limit(1)
        ).one()
        newest = session.scalar(
            select(Visit.visit_date).where(Visit.patient_id == patient_id).order_by(Visit.visit_date.desc()).limit(1)
        )
    engine.dispose()
    page = page_of_size(1280, 720)
    _open(page, demo_url, patient_id)
    expect(page.get_by_role("heading", name=re.compile(f"^{mrn} · "))).to_be_visible()
    # the grid draws on a canvas; its accessible table (role=columnheader/gridcell) carries the same text
    visits = page.get_by_test_id("stDataFrame").filter(has=page.locator("[role=columnheader]", has_text="Visit date"))
    expect(visits).to_have_count(1)
    visits.scroll_into_view_if_needed()
    headers = visits.locator("[role=columnheader]")
    expect(headers.filter(has_text="Leg pain (0–10)")).to_have_count(1)
    expect(headers.filter(has_text=re.compile("visit_date|mme_per_day|visit_id"))).to_have_count(0)
    expect(visits.locator("[role=gridcell]", has_text=newest.isoformat()).first).to_be_attached()
    cells = visits.locator("[role=gridcell]").all_text_contents()
    assert cells and not [c for c in cells if "00:00:00" in c or c in ("None", "nan")], cells


def test_a_surgery_without_a_visit_says_what_is_missing(page_of_size, demo_url, demo_db):
    operated = date.today() - timedelta(weeks=2)
    engine = make_engine(demo_db)
    with write_session(engine) as session:
        set_actor(session, "e2e-setup")
        patient = commands.register_patient(
            session, {"mrn": unique_mrn("NOVISIT"), "display_name": "Nia Novisit", "sex": "female"}
        )
        commands.add_surgery(session, patient.id, {"surgery_date": operated, "procedure": "laminectomy"})
        patient_id = patient.id
    engine.dispose()
    page = page_of_size(1280, 720)
    _open(page, demo_url, patient_id)
    message = f"No visit recorded since the surgery on {operated.isoformat()} — enter one on Enter visit"
    expect(page.get_by_test_id("stAlert").filter(has_text=message)).to_be_visible()
    expect(page.get_by_text("No flag as of today")).to_have_count(0)


def test_the_treatment_response_reads_in_words_and_no_column_is_cut(page_of_size, demo_url, demo_db):
    engine = make_engine(demo_db)
    with read_session(engine) as session:
        patient_id = session.scalar(
            select(Treatment.patient_id)
            .join(Surgery, Surgery.patient_id == Treatment.patient_id)
            .where(Treatment.voided_at.is_(None))
            .order_by(Treatment.patient_id)
            .limit(1)
        )
    engine.dispose()
    page = page_of_size(1280, 720)
    _open(page, demo_url, patient_id)
    response = page.get_by_test_id("stTable").filter(has_text="Pain after vs before")
    expect(response).to_be_visible()
    changes = response.locator("tbody tr td").all_inner_texts()
    assert any(re.search(r"points? (lower|higher)|no change|^–$", c) for c in changes), changes
    cut = response.evaluate("t => [...t.querySelectorAll('th, td')].some(c => c.scrollWidth > c.clientWidth + 1)")
    assert not cut, "a treatment response cell is cut at 1280 px"
    assert response.evaluate("t => t.getBoundingClientRect().right") <= 1280
