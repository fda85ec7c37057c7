"""The hand-off address that gives a browser its sign-in cookie: HttpOnly, for this site only, once, and
never to a request another site started."""

from __future__ import annotations

import http.client
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import expect

from dashboard.demo import DEMO_ACCOUNTS
from dashboard.signin.cookie import COOKIE, HANDOFF_PATH
from data_model.access import sign_ins
from data_model.audit import set_actor
from data_model.db import make_engine, run_write
from tests.e2e.conftest import sign_in

PASSWORD = {name: password for name, _role, password in DEMO_ACCOUNTS}


@pytest.fixture(scope="module")
def new_code(demo_db):
    engine = make_engine(demo_db)
    yield lambda: run_write(engine, lambda s: sign_ins.start(set_actor(s, "clinician"), "clinician"))
    engine.dispose()


def _hand_off(url: str, code: str, next_address: str, **headers: str) -> http.client.HTTPResponse:
    where = urlsplit(url)
    assert where.hostname is not None, url
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    connection.request(
        "GET",
        f"{HANDOFF_PATH}?code={code}&next={quote(next_address, safe='')}",
        headers={"Sec-Fetch-Site": "same-origin", **headers},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_the_cookie_is_http_only_strict_and_for_this_site(demo_url, new_code):
    response = _hand_off(demo_url, new_code(), "/patient?patient=3")
    cookie = response.getheader("set-cookie")
    assert response.status == 303 and response.getheader("location") == "/patient?patient=3"
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie


def test_a_code_works_once(demo_url, new_code):
    code = new_code()
    assert _hand_off(demo_url, code, "/").getheader("set-cookie")
    again = _hand_off(demo_url, code, "/")
    assert again.status == 303 and again.getheader("set-cookie") is None


def test_a_request_another_site_started_gets_no_cookie_and_leaves_the_code_unused(demo_url, new_code):
    code = new_code()
    assert _hand_off(demo_url, code, "/", **{"Sec-Fetch-Site": "cross-site"}).getheader("set-cookie") is None
    assert _hand_off(demo_url, code, "/").getheader("set-cookie")


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_the_hand_off_never_sends_the_browser_to_another_site(demo_url, new_code, elsewhere):
    assert _hand_off(demo_url, new_code(), elsewhere).getheader("location") == "/"


def test_the_page_cannot_read_the_sign_in_cookie(page, demo_url):
    sign_in(page, demo_url, "clinician", PASSWORD["clinician"])
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    held = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert held[COOKIE]["httpOnly"] and held[COOKIE]["sameSite"] == "Strict"
    assert COOKIE not in page.evaluate("document.cookie")
