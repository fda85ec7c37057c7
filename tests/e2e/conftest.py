"""One demo server and one Chromium for the whole run; e2e tests share them on one xdist worker."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from dashboard.signin.cookie import COOKIE
from tests.conftest import require_or_skip

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAINTRAIL = [sys.executable, "-m", "dashboard.cli"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the app did not answer at {url} within {timeout} s")


@contextmanager
def serving(db: str, folder: Path, **env: str) -> Iterator[str]:
    """`paintrail serve` on a database, on a free port, with extra environment (e.g. a short idle limit)."""
    port = _free_port()
    process = subprocess.Popen(
        [*PAINTRAIL, "serve", "--db", db, "--port", str(port)],
        cwd=folder,
        env={**os.environ, "PAINTRAIL_DEMO": "1", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    """`paintrail demo` prepared in a temp folder: its database URL."""
    folder = tmp_path_factory.mktemp("demo")
    db = f"sqlite:///{Path(folder) / 'demo.db'}"
    env = {**os.environ, "PAINTRAIL_DEMO": "1"}
    subprocess.run([*PAINTRAIL, "demo", "--db", db, "--patients", "150", "--no-serve"], check=True, cwd=folder, env=env)
    return db


@pytest.fixture(scope="session")
def demo_url(demo_db) -> Iterator[str]:
    """The demo database served for the whole run."""
    with serving(demo_db, Path(demo_db.removeprefix("sqlite:///")).parent) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    require_or_skip(Path(CHROMIUM).exists(), "Chromium at " + CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def page_of_size(browser):
    """page_of_size(width, height): a fresh page with that window, closed after the test."""
    contexts = []

    def make(width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        made = context.new_page()
        made.set_default_timeout(20_000)
        return made

    yield make
    for context in contexts:
        context.close()


def sign_in(page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="User name").fill(username)
    page.locator("input[type=password]").fill(password)
    page.get_by_role("button", name="Sign in").click()


def choose_option(page, box: str, option: str) -> None:
    """Open a select box and click one of its options. A list opened while the page is still redrawing
    can close again before it is seen; a person then clicks the box once more, and so does this."""
    combobox = page.get_by_role("combobox", name=box)
    choice = page.get_by_role("option", name=option, exact=True)
    for _attempt in range(3):
        combobox.click()
        try:
            choice.wait_for(timeout=5_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    choice.click()


def open_expander(page, label: str) -> None:
    """Open an expander and wait until it has finished opening: a click on a box inside it while the panel
    still slides open focuses the box but its list closes again (a person sees the panel open first)."""
    page.get_by_text(label, exact=True).click()
    page.wait_for_function("document.getAnimations().every(animation => animation.playState !== 'running')")


def wait_for_sign_in_cookie(page, before: str | None = None, timeout: float = 30) -> None:
    """Wait until the browser holds a (new) sign-in cookie: a page opened or reloaded before the hand-off
    has set it would rightly show the sign-in page again."""
    deadline = time.monotonic() + timeout
    while sign_in_cookie(page) in (None, before):
        if time.monotonic() > deadline:
            raise AssertionError(f"no new sign-in cookie within {timeout:g} s")
        page.wait_for_timeout(100)


def sign_in_cookie(page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == COOKIE), None)


def _is_a_download(url: str) -> bool:
    return urlsplit(url).path.startswith("/media/")  # Streamlit's downloads, not its /static/media/ fonts


def made_but_not_fetched(page, label: str) -> str:
    """Click a download button while this page's requests for downloads are dropped (from now on): the
    file is made for this sign-in, and its address is returned, never fetched."""
    page.route(_is_a_download, lambda route: route.abort())
    with page.expect_request(lambda request: _is_a_download(request.url), timeout=60_000) as made:
        page.get_by_role("button", name=label).click()
    return made.value.url


@pytest.fixture(scope="session", autouse=True)
def _patient_expectations():
    # A Streamlit rerun on this 2-core machine can take several seconds; 5 s is Playwright's default.
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
