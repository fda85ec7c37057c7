"""Figures to files: PNG, SVG, PDF through one shared kaleido (Chrome) server, HTML self-contained."""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import kaleido
import plotly.graph_objects as go
import plotly.io as pio

FORMATS: dict[str, str] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "html": "text/html",
}
# Print size: wide enough for a slide, with room for the legend and the n in the title.
WIDTH, HEIGHT, PNG_SCALE = 1200, 700, 2

# plotly warns on every image that its per-call kaleido options are unused with a running server: they
# are, by design (the server is the point), so the warning is noise on the command line.
warnings.filterwarnings("ignore", message="The kopts argument is ignored if using a server")

_lock = threading.Lock()
_server_started = False

# Chrome answers before its page has loaded kaleido's script when the machine is busy (seen under CI
# load: "ReferenceError: kaleido_scopes is not defined"). That one failure is worth waiting out.
NOT_READY = "kaleido_scopes is not defined"
# A cold Chrome on a loaded 2-core machine takes seconds; a minute without one image means it never will.
READY_WITHIN_S = 60.0
RENDER_ATTEMPTS = 4  # per image, after the server proved ready: waits 0.5 + 1 + 2 s at most


class ChartRendererError(RuntimeError):
    """Image files cannot be made: no Chrome, or its renderer never became ready."""


def _chrome_missing() -> str | None:
    """Why kaleido will find no Chrome, in words for the user; None when it will find one.

    Checked before the server starts because kaleido's server thread dies on a missing Chrome and
    every later image would wait for it forever.
    """
    from choreographer.browsers.chromium import Chromium  # kaleido's own browser lookup

    path = Chromium.find_browser(skip_local=False)  # BROWSER_PATH, kaleido's download, then PATH
    if path and os.path.isfile(path) and os.access(path, os.X_OK):
        return None
    where = f" at BROWSER_PATH={os.environ['BROWSER_PATH']!r}" if os.environ.get("BROWSER_PATH") else ""
    return (
        f"Chart images (PNG, SVG, PDF) need Chrome or Chromium, and none was found{where}. Install it "
        "(`make chromium`, or `apt-get install chromium`) or set BROWSER_PATH to its executable; "
        "HTML export works without it."
    )


def _is_not_ready(exc: BaseException) -> bool:
    return NOT_READY in str(exc)


def _probe(timeout: float) -> BaseException | None:
    """Render a tiny figure; the failure (a TimeoutError when no answer came in time), else None.

    On a thread, so a server that never answers cannot hold the caller past the timeout.
    """
    outcome: list[BaseException | None] = []

    def render() -> None:
        try:
            pio.to_image(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])), format="svg", width=60, height=40)
            outcome.append(None)
        except Exception as exc:
            outcome.append(exc)

    worker = threading.Thread(target=render, name="chart-renderer-probe", daemon=True)
    worker.start()
    worker.join(max(timeout, 0.0))
    return outcome[0] if outcome else TimeoutError(f"the chart renderer did not answer within {READY_WITHIN_S:.0f} s")


def _wait_until_ready() -> None:
    """One tiny image, retried with backoff while the page is not ready, for READY_WITHIN_S at most."""
    deadline = time.monotonic() + READY_WITHIN_S
    delay = 0.25
    while True:
        failure = _probe(deadline - time.monotonic())
        if failure is None:
            return
        if not _is_not_ready(failure) or time.monotonic() + delay > deadline:
            raise ChartRendererError(f"the chart renderer (Chrome) is not ready: {failure}") from failure
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def _ensure_server() -> None:
    # One Chrome for the whole process: ~0.2 s an image once started, against ~2.7 s cold each time.
    global _server_started
    if not _server_started:
        missing = _chrome_missing()
        if missing:
            raise ChartRendererError(missing)
        kaleido.start_sync_server(silence_warnings=True)
        _server_started = True
        _wait_until_ready()


def _render(figure: go.Figure, **options: object) -> bytes:
    """pio.to_image, retried a few times on the not-ready failure only (a tab reloading under load)."""
    attempt = 1
    while True:
        try:
            return pio.to_image(figure, **options)
        except Exception as exc:
            if not _is_not_ready(exc):
                raise
            if attempt == RENDER_ATTEMPTS:
                raise ChartRendererError(f"the chart renderer (Chrome) is not ready: {exc}") from exc
            time.sleep(0.5 * 2 ** (attempt - 1))
            attempt += 1


def start_server() -> None:
    """Start the shared server now rather than at the first image (a long batch, a test module)."""
    with _lock:
        _ensure_server()


def stop_server() -> None:
    global _server_started
    with _lock:
        if _server_started:
            kaleido.stop_sync_server(silence_warnings=True)
            _server_started = False


@contextmanager
def image_batch() -> Iterator[None]:
    """For a command that writes several images: one server for all of them, stopped at the end.

    Nested in a batch (or while a long-lived process keeps its server), it leaves the running server
    alone: whoever started it stops it.
    """
    with _lock:
        owner = not _server_started
    try:
        yield
    finally:
        if owner:
            stop_server()


def figure_bytes(figure: go.Figure, fmt: str, width: int = WIDTH, height: int | None = None) -> bytes:
    """The figure as a file's bytes; HTML carries plotly.js inside so it opens offline."""
    if fmt not in FORMATS:
        raise ValueError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "html":
        return figure.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
    height = height or int(figure.layout.height or HEIGHT)
    with _lock:
        _ensure_server()
        return _render(figure, format=fmt, width=width, height=height, scale=PNG_SCALE if fmt == "png" else 1)
