"""Screens whole on a clinic laptop (1280×720): a locked-out account's status stays short, so the accounts
table fits the page without scrolling sideways and its last column stays on screen."""

from __future__ import annotations

from playwright.sync_api import expect

from data_model.access import accounts
from data_model.access.accounts import MAX_FAILED_LOGINS
from data_model.audit import set_actor
from data_model.db import make_engine, write_session
from tests.e2e.conftest import open_expander
from tests.e2e.staff_desk import admin_on


def _locked_out_account(db: str, username: str) -> None:
    """An account of its own (the demo accounts stay usable for the other tests), locked by wrong passwords."""
    engine = make_engine(db)
    try:
        with write_session(engine) as session:
            accounts.add_user(set_actor(session, "e2e-setup"), username, "clinician", "fit-password-1", "Locked Out")
        for _ in range(MAX_FAILED_LOGINS):
            assert accounts.sign_in(engine, username, "not-the-password").user is None
    finally:
        engine.dispose()


def test_a_locked_out_account_keeps_the_accounts_table_whole_at_1280(page_of_size, demo_url, demo_db):
    _locked_out_account(demo_db, "lockedfit")
    page = admin_on(page_of_size(1280, 720), demo_url, "users")
    # the detail in words under the table, the status in a word in it
    expect(page.get_by_text("lockedfit is locked after failed sign-ins until")).to_be_visible()
    expect(page.locator('[role="gridcell"]', has_text="Locked").first).to_be_attached()
    expect(page.locator('[role="columnheader"]', has_text="Account since")).to_be_attached()
    # the grid is drawn on a canvas inside a scroller: wider columns than the page make it scroll sideways
    # (the long status did: 869 px of columns in 818 px, "Account since" cut off at the right)
    scroller = page.get_by_test_id("stDataFrame").locator(".dvn-scroller")
    columns, shown = scroller.evaluate("element => [element.scrollWidth, element.clientWidth]")
    assert columns <= shown, f"the accounts table needs {columns} px and has {shown} px"


def _cut_off(locator) -> list[str]:
    """What inside scrolls sideways or clips its content: wider than the room it is given."""
    return locator.evaluate(
        """root => [...root.querySelectorAll('*')]
            .filter(e => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX))
            .filter(e => e.scrollWidth > e.clientWidth + 1)
            .map(e => `${e.tagName} ${e.className}: ${e.scrollWidth} px in ${e.clientWidth} px`)"""
    )


def test_what_each_setting_changes_reads_whole_at_1280(page_of_size, demo_url):
    page = admin_on(page_of_size(1280, 720), demo_url, "settings")
    open_expander(page, "What each setting changes")
    explained = page.get_by_test_id("stExpander").filter(has_text="What each setting changes")
    # each sentence on the page as text, wrapped in its cell (a data grid cut them at the column's edge)
    expect(explained.get_by_text("is a meaningful improvement too").first).to_be_visible()
    assert _cut_off(explained) == []
