"""Entering a visit in a real browser, typed as staff type it: nothing typed is dropped, replaced or saved
in part; every refusal names the field, what was typed and what is allowed, where the person is looking."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.staff_desk import (
    field,
    last_visit,
    press_enter,
    staff_on_own_patient,
    toast_then_settled,
    type_into,
    visits_of,
)

NOTHING_SAVED = "Nothing was saved"


@pytest.fixture
def staff_page(page_of_size, demo_url, demo_db):
    """Staff signed in at 1280×800 on a patient of their own (no visit yet)."""

    def open_at(width: int = 1280, height: int = 800):
        page = page_of_size(width, height)
        return page, staff_on_own_patient(page, demo_url, demo_db, "Vera Visit", 1960)

    return open_at


def _refusal(page):
    """The summary under the Save button and the toast: both must be in view."""
    return page.get_by_test_id("stToast").filter(has_text=NOTHING_SAVED)


@pytest.mark.parametrize(
    ("submit", "size"),
    [("button", (1280, 800)), ("enter", (1280, 800)), ("button", (1920, 1080))],
    ids=["save-button-1280x800", "enter-key-1280x800", "save-button-1920x1080"],
)
def test_back_pain_11_beside_a_valid_leg_pain_saves_nothing_and_names_back_pain_and_11(
    staff_page, demo_db, submit, size
):
    page, mrn = staff_page(*size)
    type_into(field(page, "Leg pain (0–10)"), "4")
    type_into(field(page, "Back pain (0–10)"), "11")
    if submit == "enter":
        press_enter(field(page, "Back pain (0–10)"))
    else:
        page.get_by_role("button", name="Save visit").click()

    toast = _refusal(page)
    expect(toast).to_contain_text("Back pain: “11” must be between 0 and 10.")
    expect(toast).to_be_in_viewport()
    beside = page.get_by_test_id("stCaptionContainer").filter(has_text="“11” must be between 0 and 10.")
    expect(beside).to_be_visible()
    field_box, message_box = field(page, "Back pain (0–10)").bounding_box(), beside.bounding_box()
    assert abs(message_box["x"] - field_box["x"]) < 20 and 0 < message_box["y"] - field_box["y"] < 150, (
        "under the field"
    )
    assert visits_of(demo_db, mrn) == [], "nothing saved, not even the valid leg pain"
    expect(field(page, "Back pain (0–10)")).to_have_value("11")  # kept for correcting, not replaced
    expect(field(page, "Leg pain (0–10)")).to_have_value("4")


def test_a_value_that_is_not_a_number_and_a_negative_dose_are_named_and_the_messages_go_once_a_field_changes(
    staff_page, demo_db
):
    page, mrn = staff_page(1280, 720)
    type_into(field(page, "Back pain (0–10)"), "6")
    type_into(field(page, "ODI (0–100)"), "severe")
    type_into(field(page, "Opioid MME/day"), "-5")
    page.get_by_role("button", name="Save visit").click()

    summary = page.get_by_test_id("stAlert").filter(has_text=NOTHING_SAVED)
    expect(summary).to_contain_text("ODI: “severe” is not a number (allowed: 0 to 100).")
    expect(summary).to_contain_text("Opioid MME/day: “-5” must be between 0 and 5000.")
    expect(summary).not_to_contain_text("mme_per_day")
    expect(_refusal(page)).to_be_in_viewport()
    assert visits_of(demo_db, mrn) == []

    type_into(field(page, "ODI (0–100)"), "40")  # the messages speak of values no longer there: they go
    expect(summary).to_be_hidden()
    expect(page.get_by_test_id("stCaptionContainer").filter(has_text="is not a number")).to_be_hidden()


def test_a_future_visit_date_typed_saves_nothing_on_any_date_and_says_why(staff_page, demo_db):
    page, mrn = staff_page(1280, 800)
    future = (date.today() + timedelta(days=7)).isoformat()
    type_into(field(page, "Visit date"), future)
    type_into(field(page, "Back pain (0–10)"), "5")
    press_enter(field(page, "Back pain (0–10)"))

    expect(_refusal(page)).to_contain_text(
        f"Visit date: “{future}” is in the future (today is {date.today().isoformat()})."
    )
    expect(page.get_by_role("dialog")).to_have_count(0)  # no same-day question about the date shown before
    assert visits_of(demo_db, mrn) == []
    expect(field(page, "Visit date")).to_have_value(future)


def test_a_visit_is_entered_with_the_keyboard_alone_in_the_order_of_the_paper_form(staff_page, demo_db):
    page, mrn = staff_page(1280, 720)
    order = [
        "Visit date",
        "Back pain (0–10)",
        "Leg pain (0–10)",
        "ODI (0–100)",
        "Numbness",
        "Tingling",
        "Weakness",
        "Opioid MME/day",
        "Notes",
    ]
    typed = {
        "Visit date": (date.today() - timedelta(days=2)).isoformat(),
        "Back pain (0–10)": "6.5",
        "Leg pain (0–10)": "7",
        "ODI (0–100)": "42",
        "Numbness": "yes",
        "Tingling": "no",
        "Weakness": "yes",
        "Opioid MME/day": "30",
        "Notes": "walks with a stick",
    }
    field(page, "Visit date").click()
    for position, label in enumerate(order):
        focused = page.locator(":focus")
        expect(focused).to_have_attribute("aria-label", label)
        focused.press("ControlOrMeta+a")
        focused.press_sequentially(typed[label])
        if label in ("Numbness", "Tingling", "Weakness"):
            focused.press("Enter")  # picks the option typed; Enter in a list does not submit the form
        if position < len(order) - 1:
            focused.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Save visit")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("stToast").filter(has_text="Saved the visit")).to_be_in_viewport()
    assert last_visit(demo_db, mrn) == {
        "visit_date": date.today() - timedelta(days=2),
        "back_pain": 6.5,
        "leg_pain": 7.0,
        "odi": 42.0,
        "numbness": True,
        "tingling": False,
        "weakness": True,
        "mme_per_day": 30.0,
        "notes": "walks with a stick",
    }


def test_a_second_visit_the_same_day_is_asked_about_in_view_and_saved_only_when_confirmed(staff_page, demo_db):
    page, mrn = staff_page(1280, 720)
    type_into(field(page, "Back pain (0–10)"), "5")
    press_enter(field(page, "Back pain (0–10)"))
    toast_then_settled(page, "Saved the visit")
    type_into(field(page, "Back pain (0–10)"), "6")
    press_enter(field(page, "Back pain (0–10)"))

    question = page.get_by_role("dialog")
    expect(question).to_contain_text(f"{mrn} already has a visit on {date.today().isoformat()}")
    expect(question).to_be_in_viewport()
    assert len(visits_of(demo_db, mrn)) == 1
    question.get_by_role("button", name="Save second visit").click()
    expect(page.get_by_test_id("stToast").filter(has_text="back pain 6")).to_be_visible()
    assert [v[1] for v in visits_of(demo_db, mrn)] == [5.0, 6.0]


def test_scores_typed_with_a_decimal_comma_are_saved_as_meant(staff_page, demo_db):
    page, mrn = staff_page()
    type_into(field(page, "Back pain (0–10)"), "5,5")
    type_into(field(page, "Opioid MME/day"), "12,5")
    press_enter(field(page, "Opioid MME/day"))
    toast_then_settled(page, "Saved the visit")
    saved = last_visit(demo_db, mrn)
    assert (saved["back_pain"], saved["mme_per_day"]) == (5.5, 12.5)
