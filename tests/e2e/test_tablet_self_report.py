"""The clinic tablet in a real browser at tablet size (768×1024, a touch screen with a keyboard): staff hand
it to one patient, who answers by tapping and typing, with one ODI section left out; the visit saved holds
the answers and the ODI over nine sections; afterwards no address shows anything but the thank-you page,
and only a staff password takes the tablet back."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from data_model.db import make_engine, read_session
from data_model.models import Patient, Visit
from tests.e2e.conftest import open_expander, sign_in_cookie, wait_for_sign_in_cookie
from tests.e2e.staff_desk import PASSWORD, settled, staff_on_own_patient

# The patient's answers, by section: tapped, except travelling (keyboard); sex life is left out.
ODI_TAPPED = {
    "pain_intensity": 3,
    "personal_care": 1,
    "lifting": 4,
    "walking": 2,
    "sitting": 3,
    "standing": 2,
    "sleeping": 1,
    "social_life": 2,
}
ODI_BY_KEYBOARD = ("travelling", 3)


@pytest.fixture
def tablet(browser):
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def _question(page: Page, key: str):
    return page.locator(f".st-key-{key}")


def _tap(page: Page, key: str, answer: str) -> None:
    choice = _question(page, key).get_by_role("radio", name=answer, exact=True)
    choice.tap()
    expect(choice).to_have_attribute("aria-checked", "true")


def _visit_of(db: str, mrn: str) -> Visit:
    engine = make_engine(db)
    try:
        with read_session(engine) as s:
            visit = s.scalars(select(Visit).join(Patient).where(Patient.mrn == mrn)).one()
            s.expunge(visit)
            return visit
    finally:
        engine.dispose()


def _another_patient(db: str, mrn: str) -> int:
    engine = make_engine(db)
    try:
        with read_session(engine) as s:
            return s.execute(select(Patient.id).where(Patient.mrn != mrn).order_by(Patient.id).limit(1)).scalar_one()
    finally:
        engine.dispose()


def test_a_patient_answers_on_the_tablet_and_it_stays_locked_until_a_staff_password(tablet, demo_url, demo_db):
    page = tablet
    mrn = staff_on_own_patient(page, demo_url, demo_db, "Tabitha Tablet")
    open_expander(page, "Patient self-report on this tablet")
    page.get_by_role("button", name="Start the self-report and hand over the tablet").tap()
    expect(page.get_by_role("heading", name="How are you today?")).to_be_visible()
    expect(page.get_by_text(mrn)).to_have_count(0)
    settled(page)

    _tap(page, "tq_back_pain", "7")
    _tap(page, "tq_leg_pain", "5")
    for key, score in ODI_TAPPED.items():
        _tap(page, f"tq_odi_{key}", str(score))
    key, score = ODI_BY_KEYBOARD
    _question(page, f"tq_odi_{key}").get_by_role("radio", name="0", exact=True).focus()
    for _ in range(score):  # arrows move within a scale (Tab goes to the next question), Space chooses
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    expect(_question(page, f"tq_odi_{key}").get_by_role("radio", name=str(score))).to_have_attribute(
        "aria-checked", "true"
    )
    _tap(page, "tq_numbness", "Yes")
    _tap(page, "tq_tingling", "No")
    _question(page, "tq_medicines_box").get_by_role("button", name=re.compile("^Anti-inflammatory")).tap()
    other = page.get_by_role("textbox", name="Other pain medicines you take (their names)")
    other.tap()
    page.keyboard.type("paracetamol")
    page.get_by_role("button", name="Send my answers").tap()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    visit = _visit_of(demo_db, mrn)
    assert (visit.source, visit.visit_date, visit.back_pain, visit.leg_pain) == ("patient", date.today(), 7, 5)
    assert (visit.numbness, visit.tingling, visit.weakness) == (True, False, None)
    assert visit.odi_sex_life is None and visit.odi_lifting == 4 and visit.odi_travelling == 3
    # nine sections: (3 + 1 + 4 + 2 + 3 + 2 + 1 + 2 + 3) / (5 × 9) × 100 = 21 / 45 × 100 = 46.67
    assert visit.odi == pytest.approx(46.667, abs=0.01)
    assert visit.notes == "Pain medicines now (patient's report): NSAIDs; other: paracetamol"

    other_patient = _another_patient(demo_db, mrn)
    for address in ("/worklist", f"/patient?patient={other_patient}", "/settings"):
        page.goto(demo_url + address)
        expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
        settled(page)
        assert "patient=" not in page.url, "no patient in the tablet's address"
        expect(page.get_by_role("heading", name=re.compile("Worklist|Settings|Enter visit|MRN"))).to_have_count(0)
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    tablet_cookie = sign_in_cookie(page)
    open_expander(page, "Staff: take the tablet back")
    page.get_by_role("textbox", name="User name").tap()
    page.keyboard.type("staff")
    page.get_by_role("textbox", name="Password").tap()
    page.keyboard.type("not-the-password")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Sign-in refused")).to_be_visible()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    page.get_by_role("textbox", name="Password").fill("")
    page.get_by_role("textbox", name="Password").tap()
    page.keyboard.type(PASSWORD["staff"])
    page.keyboard.press("Enter")
    wait_for_sign_in_cookie(page, before=tablet_cookie)
    # staff are signed in again, on the patient's page, where the self-report waits to be checked
    expect(page.get_by_role("heading", name=re.compile(f"^{mrn} · "))).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
