"""The clinic's main journey in a real browser on the demo: sign in, worklist, patient chart, enter a visit."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from dashboard.demo import DEMO_ACCOUNTS
from tests.e2e.conftest import sign_in

PASSWORD = {name: password for name, _role, password in DEMO_ACCOUNTS}


def test_without_signing_in_no_patient_data_is_shown(page, demo_url):
    page.goto(demo_url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_text("MRN0", exact=False)).to_have_count(0)
    page.goto(demo_url + "/worklist")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.locator("[data-testid='stDataFrame']")).to_have_count(0)


def test_clinician_reads_the_worklist_opens_a_patient_and_sees_the_chart(page, demo_url):
    sign_in(page, demo_url, "clinician", PASSWORD["clinician"])
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    expect(page.locator("[data-testid='stDataFrame']")).to_be_visible()
    page.get_by_role("button", name="Open patient").click()
    expect(page.get_by_role("heading", name=re.compile(r"^MRN\d+"))).to_be_visible()
    expect(page.get_by_text("Flags", exact=True)).to_be_visible()
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_be_visible()
    expect(chart.locator(".legendtext", has_text="Leg pain").first).to_be_visible()


def test_staff_enter_a_visit_and_see_it_saved(page, demo_url):
    sign_in(page, demo_url, "staff", PASSWORD["staff"])
    expect(page.get_by_role("heading", name="Enter visit")).to_be_visible()
    finder = page.get_by_role("textbox", name="Find patient")
    finder.fill("MRN000001")
    finder.press("Enter")
    expect(page.get_by_text("MRN000001", exact=False).first).to_be_visible()
    page.get_by_role("textbox", name="Back pain (0–10)").fill("6.5")
    page.get_by_role("textbox", name="Leg pain (0–10)").fill("7")
    page.get_by_role("button", name="Save visit").click()
    saved = page.get_by_text("Saved the visit")
    # the shared demo database may already hold a visit today: then the form asks about a second one
    second_visit = page.get_by_role("button", name="Save second visit")
    expect(saved.or_(second_visit)).to_be_visible()
    if second_visit.is_visible():
        second_visit.click()
        expect(saved).to_be_visible()
    expect(page.get_by_text("leg pain 7", exact=False)).to_be_visible()
