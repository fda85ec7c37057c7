"""What the data-entry browser tests share: sign in as staff, find a patient, type as a person types,
and read back from the served database what was (or was not) saved."""

from __future__ import annotations

import itertools
import os
from datetime import date

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import func, select

from dashboard.demo import DEMO_ACCOUNTS
from data_model.audit import set_actor
from data_model.commands import register_patient
from data_model.db import make_engine, read_session, write_session
from data_model.models import Patient, Visit
from tests.e2e.conftest import sign_in, wait_for_sign_in_cookie

PASSWORD = {name: password for name, _role, password in DEMO_ACCOUNTS}
_numbers = itertools.count(1)


def unique_mrn(stem: str) -> str:
    """An MRN no other test of this run (nor the demo cohort) uses."""
    return f"{stem}{os.getpid() % 1000:03d}{next(_numbers):03d}"


def add_patients(db: str, *patients: dict) -> None:
    """Register patients straight in the served database (the app sees them on its next run)."""
    engine = make_engine(db)
    try:
        with write_session(engine) as session:
            set_actor(session, "e2e-setup")
            for patient in patients:
                register_patient(session, patient)
    finally:
        engine.dispose()


def visits_of(db: str, mrn: str) -> list[tuple[date, float | None, float | None]]:
    """(date, back pain, leg pain) of every visit of the patient, oldest first."""
    engine = make_engine(db)
    try:
        with read_session(engine) as s:
            rows = s.execute(
                select(Visit.visit_date, Visit.back_pain, Visit.leg_pain)
                .join(Patient)
                .where(Patient.mrn == mrn)
                .order_by(Visit.id)
            ).all()
    finally:
        engine.dispose()
    return [(day, back, leg) for day, back, leg in rows]


def count_patients(db: str, mrn: str) -> int:
    engine = make_engine(db)
    try:
        with read_session(engine) as s:
            return s.execute(select(func.count(Patient.id)).where(func.lower(Patient.mrn) == mrn.lower())).scalar_one()
    finally:
        engine.dispose()


def settled(page: Page) -> None:
    """Wait until the app has finished drawing the page, as a person waits for it before acting: a form
    typed into while it is still being drawn may not have its save button yet (Enter only applies)."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def admin_on(page: Page, url: str, path: str) -> Page:
    """The app's page at `path`, drawn whole, for the demo administrator signed in on this page."""
    sign_in(page, url, "admin", PASSWORD["admin"])
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
    wait_for_sign_in_cookie(page)
    settled(page)
    page.goto(f"{url}/{path}")
    settled(page)
    return page


def sign_in_as_staff(page: Page, url: str) -> None:
    sign_in(page, url, "staff", PASSWORD["staff"])
    expect(page.get_by_role("heading", name="Enter visit")).to_be_visible()


def type_into(field: Locator, text: str) -> None:
    """Click into the field, select what is there, and type over it key by key. The click is near the
    left edge: a focused input's right half shows "Press Enter to submit form", which takes clicks."""
    field.click(position={"x": 8, "y": 8})
    field.press("ControlOrMeta+a")
    field.press_sequentially(text)


def find(page: Page, text: str) -> None:
    """Type a search into the finder and press Enter, as staff do."""
    finder = page.get_by_role("textbox", name="Find patient")
    type_into(finder, text)
    finder.press("Enter")


def open_patient(page: Page, mrn: str) -> None:
    find(page, mrn)
    expect(page.get_by_text(mrn, exact=False).first).to_be_visible()
    expect(page.get_by_role("textbox", name="Back pain (0–10)")).to_be_visible()
    settled(page)


def field(page: Page, label: str) -> Locator:
    return page.get_by_role("textbox", name=label)


def press_enter(text_input: Locator) -> None:
    """Enter in a form's text input, once the input shows "Press Enter to submit form" as a person sees it
    (wide inputs only). Streamlit ignores an Enter that comes before the input has drawn the first key
    typed into it, a few milliseconds no person is quick enough for, but a test is."""
    box = text_input.locator("xpath=ancestor::*[@data-testid='stTextInput'][1]")
    expect(box.get_by_text("Press Enter to submit form")).to_be_visible()
    text_input.press("Enter")


def last_visit(db: str, mrn: str) -> dict:
    """Every value of the patient's latest visit, as stored."""
    engine = make_engine(db)
    try:
        with read_session(engine) as s:
            visit = s.scalars(select(Visit).join(Patient).where(Patient.mrn == mrn).order_by(Visit.id.desc())).first()
            names = (
                "visit_date",
                "back_pain",
                "leg_pain",
                "odi",
                "numbness",
                "tingling",
                "weakness",
                "mme_per_day",
                "notes",
            )
            return {name: getattr(visit, name) for name in names}
    finally:
        engine.dispose()


def toast_then_settled(page: Page, text: str) -> None:
    """The toast saying text is in view, and the page is drawn again (the form comes back empty)."""
    expect(page.get_by_test_id("stToast").filter(has_text=text)).to_be_in_viewport()
    settled(page)


def staff_on_own_patient(page: Page, url: str, db: str, name: str, birth_year: int = 1970) -> str:
    """Staff signed in, with a patient of this test's own (no visit yet) open on the Visit tab: its MRN."""
    mrn = unique_mrn("E2E" + name[:2].upper())
    add_patients(db, {"mrn": mrn, "display_name": name, "birth_year": birth_year})
    sign_in_as_staff(page, url)
    open_patient(page, mrn)
    return mrn
