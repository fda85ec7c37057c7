"""Idle means gone: past the idle limit the screen clears without a click, and no download made before works."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard.demo import DEMO_ACCOUNTS
from tests.e2e.conftest import made_but_not_fetched, serving, sign_in

PASSWORD = {name: password for name, _role, password in DEMO_ACCOUNTS}
IDLE_MINUTES = 0.25  # this module's own server: a sign-in ends after 15 s without activity


@pytest.fixture(scope="module")
def impatient_url(demo_db):
    folder = Path(demo_db.removeprefix("sqlite:///")).parent
    with serving(demo_db, folder, PAINTRAIL_IDLE_MINUTES=str(IDLE_MINUTES)) as url:
        yield url


def test_past_the_idle_limit_the_screen_clears_without_a_click_and_no_download_is_served(page, impatient_url):
    sign_in(page, impatient_url, "admin", PASSWORD["admin"])
    worklist = page.locator("[data-testid='stDataFrame']")
    expect(worklist).to_be_visible()
    address = made_but_not_fetched(page, "Download worklist (CSV, de-identified)")

    # Nothing is clicked from here on.
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=IDLE_MINUTES * 60_000 + 45_000)
    expect(page.get_by_text("without activity")).to_be_visible()
    expect(worklist).to_have_count(0)
    answer = page.context.request.get(address)
    assert answer.status == 404 and b"MRN" not in answer.body() and b"pseudonym" not in answer.body()
