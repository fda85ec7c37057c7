"""Figures to files: PNG, SVG, PDF through one shared kaleido (Chrome) server, HTML self-contained."""

from __future__ import annotations

import threading
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


def _ensure_server() -> None:
    # One Chrome for the whole process: ~0.2 s an image once started, against ~2.7 s cold each time.
    global _server_started
    if not _server_started:
        kaleido.start_sync_server(silence_warnings=True)
        _server_started = True


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
        return pio.to_image(figure, format=fmt, width=width, height=height, scale=PNG_SCALE if fmt == "png" else 1)
