"""The right patient, in a real browser: the new patient opens after registering, patients of one name are
told apart by birth year, an MRN in another case is one patient, searches find part of an MRN and names
written Last, First, and Correct a visit starts from the visit just saved."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from tests.e2e.staff_desk import (
    add_patients,
    count_patients,
    field,
    find,
    open_patient,
    press_enter,
    settled,
    sign_in_as_staff,
    staff_on_own_patient,
    toast_then_settled,
    type_into,
    unique_mrn,
    visits_of,
)


def test_registering_a_patient_then_entering_a_visit_puts_the_visit_on_the_new_patient(page_of_size, demo_url, demo_db):
    page = page_of_size(1280, 800)
    before = unique_mrn("E2EB")
    add_patients(demo_db, {"mrn": before, "display_name": "Bea Before", "birth_year": 1955})
    new = unique_mrn("E2EN")
    sign_in_as_staff(page, demo_url)
    open_patient(page, before)  # another patient is open when the new one is registered

    page.get_by_role("tab", name="New patient").click()
    type_into(field(page, "MRN"), new)
    type_into(field(page, "Name"), "Nina Newcomer")
    type_into(field(page, "Birth year"), "1980")
    page.get_by_role("button", name="Register patient").click()

    toast_then_settled(page, f"Registered {new} (Nina Newcomer)")
    expect(page.get_by_role("tab", name="Visit", exact=True)).to_have_attribute("aria-selected", "true")
    expect(page.get_by_text(f"{new} · Nina Newcomer · born 1980").first).to_be_visible()
    type_into(field(page, "Back pain (0–10)"), "3")
    press_enter(field(page, "Back pain (0–10)"))
    expect(
        page.get_by_test_id("stToast").filter(has_text=f"Saved the visit of {date.today().isoformat()} for {new}")
    ).to_be_visible()
    assert visits_of(demo_db, new) == [(date.today(), 3.0, None)]
    assert visits_of(demo_db, before) == []


def test_patients_of_one_name_are_told_apart_by_birth_year_and_none_is_opened_unasked(page_of_size, demo_url, demo_db):
    page = page_of_size(1280, 720)
    surname = f"Samephor{unique_mrn('')}"
    mrns = [unique_mrn("E2ES") for _ in range(3)]
    add_patients(
        demo_db,
        *(
            {"mrn": m, "display_name": f"Wren {surname}", "birth_year": y}
            for m, y in zip(mrns, (1951, 1962, 1973), strict=True)
        ),
    )
    sign_in_as_staff(page, demo_url)

    find(page, f"{surname}, Wren")

    expect(page.get_by_text("3 patients match")).to_be_visible()
    expect(field(page, "Back pain (0–10)")).to_have_count(0)  # no form until the person chooses
    page.get_by_role("combobox", name="3 patients match").click()
    for mrn, year in zip(mrns, (1951, 1962, 1973), strict=True):
        expect(page.get_by_role("option", name=f"{mrn} · Wren {surname} · born {year}")).to_be_visible()
    page.get_by_role("option", name=f"{mrns[1]} · Wren {surname} · born 1962").click()
    expect(field(page, "Leg pain (0–10)")).to_be_visible()
    settled(page)
    type_into(field(page, "Leg pain (0–10)"), "5")
    press_enter(field(page, "Leg pain (0–10)"))

    expect(page.get_by_test_id("stToast").filter(has_text=f"for {mrns[1]}")).to_be_visible()
    assert [len(visits_of(demo_db, m)) for m in mrns] == [0, 1, 0]


def test_an_mrn_in_another_case_is_refused_as_a_new_patient(page_of_size, demo_url, demo_db):
    page = page_of_size(1280, 720)
    mrn = unique_mrn("E2EC")
    add_patients(demo_db, {"mrn": mrn, "display_name": "Cass Case"})
    sign_in_as_staff(page, demo_url)

    page.locator("summary", has_text="Register a new patient").click()
    type_into(field(page, "MRN"), f" {mrn.lower()} ")
    page.get_by_role("button", name="Register patient").click()

    toast = page.get_by_test_id("stToast").filter(has_text="Nothing was saved")
    expect(toast).to_contain_text(f"MRN: “{mrn.lower()}” already belongs to another patient (as {mrn};")
    expect(toast).to_be_in_viewport()
    assert count_patients(demo_db, mrn) == 1


def test_some_digits_of_an_mrn_or_a_name_as_last_first_find_the_patient_and_a_long_list_says_it_is_cut(
    page_of_size, demo_url, demo_db
):
    page = page_of_size(1600, 1000)
    mrn = unique_mrn("E2EF")
    # A surname of this run's own (letters for the MRN's last digits): the demo cohort is shared and large
    surname = "Oakhollow" + "".join("abcdefghij"[int(d)] for d in mrn[-4:])
    add_patients(demo_db, {"mrn": mrn, "display_name": f"Dora {surname}", "birth_year": 1975})
    sign_in_as_staff(page, demo_url)

    find(page, mrn[-6:])  # digits from the middle of the MRN
    expect(page.get_by_text(f"{mrn} · Dora {surname} · born 1975").first).to_be_visible()
    find(page, f"{surname}, Dora")
    # while the page redraws, the last search's caption (also "1 patient matches") can still be drawn
    expect(page.get_by_text("1 patient matches").first).to_be_visible()
    settled(page)
    expect(page.get_by_text("1 patient matches")).to_have_count(1)
    expect(page.get_by_text(f"{mrn} · Dora {surname} · born 1975").first).to_be_visible()
    find(page, "a")
    expect(page.get_by_text("Showing the first 20 of")).to_be_visible()
    expect(page.get_by_text("Type more of the MRN, or the name as Last, First, to narrow the list.")).to_be_visible()


def test_correct_a_visit_starts_from_the_visit_just_saved(page_of_size, demo_url, demo_db):
    page = page_of_size(1280, 720)
    staff_on_own_patient(page, demo_url, demo_db, "Kurt Correct", 1950)
    for day, back in (("2026-03-02", "7"), ("2026-01-05", "4")):  # the second saved is the older visit
        type_into(field(page, "Visit date"), day)
        type_into(field(page, "Back pain (0–10)"), back)
        press_enter(field(page, "Back pain (0–10)"))
        toast_then_settled(page, f"Saved the visit of {day}")

    page.get_by_role("tab", name="Correct a visit").click()

    expect(page.get_by_role("combobox", name="Visit")).to_have_value(re.compile(r"^2026-01-05 · back 4 · #\d+$"))
    expect(field(page, "Back pain (0–10)")).to_have_value("4")
