"""What the web server does once when it starts: evaluate the clinic before the first person asks, and
answer whether that is done (GET /_paintrail/ready, for a service manager or a load balancer)."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

READY_PATH = "/_paintrail/ready"
WARM_UP_THREAD = "paintrail-warm-up"

log = logging.getLogger(__name__)


class _WarmUp:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.failed = False
        self.seconds: float | None = None


_warm_up = _WarmUp()


class _NotThisThread(logging.Filter):
    """Streamlit warns that a thread has no script context each time the warm-up touches its caches;
    the warm-up runs outside any script on purpose, so its own warnings say nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != WARM_UP_THREAD


# The app's own modules the pages import (about a second on a small machine): imported here, inside the
# running server, since they define Streamlit caches (dashboard/streamlit_launch.py imports the rest).
APP_PACKAGES = ("dashboard.signin", "dashboard.widgets", "dashboard.charts", "dashboard.downloads")


def _import_app_modules() -> None:
    for name in APP_PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            importlib.import_module(module.name)
    importlib.import_module("dashboard.navigation")


def _warm() -> None:
    started = time.monotonic()
    try:
        _import_app_modules()
        from dashboard import data

        data.warm_up(data.today())  # the site's date: the one the first page will ask for
    except BaseException:  # also st.stop() (a database that cannot be opened), which is no Exception
        # The first page then evaluates as it always could, and says what is wrong in words.
        _warm_up.failed = True
        log.exception("evaluating the clinic at start failed; the first page will try again")
    else:
        _warm_up.seconds = time.monotonic() - started
        log.info("ready: every patient evaluated in %.1f s", _warm_up.seconds)
    finally:
        _warm_up.done.set()


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """Start the evaluation in a thread of its own: the server answers at once (health, sign-in page)
    while it runs, and a page that asks for the worklist meanwhile waits for it instead of making another."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_NotThisThread())
    threading.Thread(target=_warm, name=WARM_UP_THREAD, daemon=True).start()
    yield


async def ready(_request: Request) -> Response:
    """200 once every patient has been evaluated at start (or the attempt failed and pages will try
    again), 503 while the evaluation runs."""
    if not _warm_up.done.is_set():
        return PlainTextResponse("evaluating every patient", status_code=503)
    if _warm_up.failed:
        return PlainTextResponse("ready (the evaluation at start failed; see the server log)")
    return PlainTextResponse(f"ready (every patient evaluated in {_warm_up.seconds:.1f} s)")
