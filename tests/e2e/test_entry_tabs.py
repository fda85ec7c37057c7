"""The Enter visit tabs in a real browser: a refused save, or a reason typed for voiding, stays in its own tab
with its message in view, in clinic words."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from tests.e2e.staff_desk import field, staff_on_own_patient, toast_then_settled, type_into, visits_of


def _selected(page, name: str) -> None:
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute("aria-selected", "true")


def test_a_refused_treatment_stays_on_the_treatment_tab_and_says_why_in_clinic_words(page_of_size, demo_url, demo_db):
    page = page_of_size(1280, 720)
    staff_on_own_patient(page, demo_url, demo_db, "Tom Tabs")
    page.get_by_role("tab", name="Treatment").click()
    future = (date.today() + timedelta(days=30)).isoformat()
    type_into(field(page, "Start date"), future)
    page.get_by_role("button", name="Save treatment").click()

    summary = page.get_by_test_id("stAlert").filter(has_text="Nothing was saved")
    expect(summary).to_have_text(
        f"Nothing was saved. Start date: “{future}” is in the future (today is {date.today().isoformat()})."
    )
    expect(summary).to_be_visible()
    _selected(page, "Treatment")
    expect(page.get_by_text("datetime")).to_have_count(0)


def test_typing_a_void_reason_and_tabbing_away_stays_on_the_tab_and_enter_voids(page_of_size, demo_url, demo_db):
    page = page_of_size(1280, 720)
    mrn = staff_on_own_patient(page, demo_url, demo_db, "Wes Void")
    type_into(field(page, "Back pain (0–10)"), "8")
    page.get_by_role("button", name="Save visit").click()
    toast_then_settled(page, "Saved the visit")
    page.get_by_role("tab", name="Correct a visit").click()

    page.get_by_role("button", name="Void this visit").click()  # no reason yet: refused, said why
    expect(page.get_by_test_id("stAlert").filter(has_text="Reason for voiding is required")).to_be_visible()
    type_into(field(page, "Reason for voiding"), "entered for the wrong patient")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Void this visit")  # never skipped as disabled
    _selected(page, "Correct a visit")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("stToast").filter(has_text="Voided the visit")).to_be_visible()
    _selected(page, "Correct a visit")
    expect(page.get_by_text("No visit to correct.")).to_be_visible()
    assert len(visits_of(demo_db, mrn)) == 1, "a voided visit stays in the record"
