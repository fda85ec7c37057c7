"""Downloads belong to their sign-in: an identified file's address answers only the browser that asked, once,
and nothing after that browser signs out (in any of its tabs)."""

from __future__ import annotations

import contextlib
import csv
import re

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from dashboard.demo import DEMO_ACCOUNTS
from tests.e2e.conftest import made_but_not_fetched, sign_in

PASSWORD = {name: password for name, _role, password in DEMO_ACCOUNTS}
SUMMARY = "Clinician summary (PDF)"


def open_a_patient_as_admin(page, url: str) -> None:
    sign_in(page, url, "admin", PASSWORD["admin"])
    page.get_by_role("button", name="Open patient").click()
    expect(page.get_by_role("heading", name=re.compile(r"^MRN\d+ · "))).to_be_visible()
    expect(page.get_by_text("Downloads are identified")).to_be_visible()


def test_an_identified_download_answers_only_the_browser_that_asked_and_only_once(page, browser, demo_url):
    open_a_patient_as_admin(page, demo_url)
    with page.expect_download() as downloading:
        page.get_by_role("button", name=SUMMARY).click()
    download = downloading.value
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-", "the browser that asked gets the summary"

    stranger = browser.new_context()
    try:
        answer = stranger.request.get(download.url)
        assert answer.status == 404 and b"%PDF" not in answer.body()
    finally:
        stranger.close()
    again = page.context.request.get(download.url)
    assert again.status == 404 and b"%PDF" not in again.body()


def test_a_download_made_in_one_tab_is_not_served_after_signing_out_in_another(page, demo_url):
    sign_in(page, demo_url, "admin", PASSWORD["admin"])
    address = made_but_not_fetched(page, "Download worklist (CSV, de-identified)")

    other_tab = page.context.new_page()
    other_tab.goto(demo_url)
    other_tab.get_by_role("button", name="Sign out").click()
    expect(other_tab.get_by_role("button", name="Sign in")).to_be_visible()
    answer = page.context.request.get(address)  # the browser that made it, its cookie included
    assert answer.status == 404 and b"pseudonym" not in answer.body()
    # The first tab is signed out at its next click, or sooner: its idle check may clear it before the click.
    with contextlib.suppress(PlaywrightError):  # the link may have gone with the rest of the signed-in screen
        page.get_by_role("link", name="Cohort").click(timeout=5_000)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_clinician_downloads_the_worklist_as_shown_by_pseudonym(page, demo_url):
    sign_in(page, demo_url, "clinician", PASSWORD["clinician"])
    flagged = page.get_by_test_id("stMetric").filter(has_text="Flagged patients").get_by_test_id("stMetricValue")
    expect(flagged).to_have_text(re.compile(r"^\d+$"))
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download worklist (CSV, de-identified)").click()
    with open(downloading.value.path(), encoding="utf-8") as csv_file:
        rows = list(csv.DictReader(csv_file))
    assert len(rows) == int(flagged.inner_text()), "one row per flagged patient on the list"
    assert all(re.fullmatch(r"P-[0-9a-f]{10}", row["pseudonym"]) for row in rows)
    assert not any(re.search(r"MRN\d", value) for row in rows for value in row.values()), "no MRN in the file"
