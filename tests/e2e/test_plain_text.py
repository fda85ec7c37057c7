"""User text is shown as text in a real browser: a web address, an e-mail address, a Markdown image and an
icon code in a name render as the literal characters typed, and the browser fetches nothing for them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from data_model import commands
from data_model.access import accounts
from data_model.audit import set_actor
from data_model.db import make_engine, run_write
from tests.e2e.conftest import sign_in

PIXEL = "http://127.0.0.1:9/pixel.png"  # loopback: a fetch would show in the request log, and reach nothing
HOSTILE = (
    f"Dr https://evil.example/x bob@evil.example www.evil.example :material/warning: :smile: ![seen]({PIXEL}) **bold**"
)
MRN = "HOSTILE-1"
WORD_JOINER = "\u2060"  # invisible; what keeps an address from becoming a link (dashboard.formatting.plain)


@pytest.fixture(scope="module")
def hostile_rows(demo_db) -> None:
    """An admin account and a patient, both named with the hostile text, in the served demo database."""

    def add(session):
        set_actor(session, "test-setup")
        accounts.add_user(session, "hostile-admin", "admin", "hostile-password", HOSTILE)
        commands.register_patient(session, {"mrn": MRN, "display_name": HOSTILE})

    engine = make_engine(demo_db)
    try:
        run_write(engine, add)
    finally:
        engine.dispose()


def _assert_literal(element, expected: str) -> None:
    assert element.inner_text().replace(WORD_JOINER, "").strip() == expected
    html = element.inner_html()
    assert "<a " not in html and "<img" not in html and "<strong" not in html, html
    assert element.locator("[data-testid='stIconMaterial']").count() == 0
    assert "😄" not in element.inner_text()


def test_a_name_with_links_an_image_and_icons_shows_as_typed_and_fetches_nothing(page, demo_url, hostile_rows) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    sign_in(page, demo_url, "hostile-admin", "hostile-password")
    account = page.locator("[data-testid='stSidebar'] [data-testid='stMarkdownContainer'] strong")
    expect(account).to_contain_text("bob@")
    _assert_literal(account, HOSTILE)

    page.get_by_role("link", name="Patient").click()
    page.get_by_role("textbox", name="Find patient").fill(MRN)
    page.keyboard.press("Enter")
    title = page.locator("h1 [data-heading-text]").filter(has_text=MRN)
    expect(title).to_be_visible()
    _assert_literal(title, f"{MRN} · {HOSTILE}")

    assert not [url for url in requests if url.startswith(PIXEL) or "evil.example" in url], requests
