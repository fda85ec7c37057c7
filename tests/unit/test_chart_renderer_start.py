"""The chart renderer waits out a slow start, retries only "page not ready", and names a missing Chrome."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from dashboard.charts import figure_export

NOT_READY = RuntimeError("ReferenceError: kaleido_scopes is not defined")


@pytest.fixture
def no_waiting(monkeypatch):
    monkeypatch.setattr(figure_export.time, "sleep", lambda seconds: None)


def answers(monkeypatch, *outcomes):
    """pio.to_image fails with each exception in outcomes, in turn, then draws b"svg"; returns the calls."""
    calls = []

    def to_image(figure, **options):
        calls.append(options)
        if len(calls) <= len(outcomes):
            raise outcomes[len(calls) - 1]
        return b"svg"

    monkeypatch.setattr(figure_export.pio, "to_image", to_image)
    return calls


def test_an_image_asked_while_the_page_is_not_ready_is_drawn_on_a_later_try(monkeypatch, no_waiting):
    calls = answers(monkeypatch, NOT_READY, NOT_READY)

    assert figure_export._render(go.Figure(), format="svg") == b"svg"
    assert len(calls) == 3


def test_a_page_that_never_gets_ready_ends_in_a_clear_error_after_a_few_tries(monkeypatch, no_waiting):
    calls = answers(monkeypatch, *[NOT_READY] * 10)

    with pytest.raises(figure_export.ChartRendererError, match="not ready"):
        figure_export._render(go.Figure(), format="svg")
    assert len(calls) == figure_export.RENDER_ATTEMPTS


def test_any_other_renderer_failure_is_not_retried(monkeypatch, no_waiting):
    calls = answers(monkeypatch, ValueError("Invalid format 'bmp'"))

    with pytest.raises(ValueError, match="bmp"):
        figure_export._render(go.Figure(), format="bmp")
    assert len(calls) == 1


def test_the_readiness_check_retries_a_tiny_figure_until_the_page_answers(monkeypatch, no_waiting):
    calls = answers(monkeypatch, NOT_READY, NOT_READY, NOT_READY)

    figure_export._wait_until_ready()
    assert len(calls) == 4


def test_the_readiness_check_gives_up_at_once_on_another_failure(monkeypatch, no_waiting):
    answers(monkeypatch, OSError("Chrome crashed"))

    with pytest.raises(figure_export.ChartRendererError, match="Chrome crashed"):
        figure_export._wait_until_ready()


def test_without_chrome_an_image_fails_at_once_saying_what_to_install(monkeypatch):
    monkeypatch.setattr(figure_export, "_server_started", False)
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")

    with pytest.raises(figure_export.ChartRendererError, match="need Chrome or Chromium.*BROWSER_PATH='/nonexistent"):
        figure_export.figure_bytes(go.Figure(), "png")
    assert figure_export._server_started is False
    assert b"<html>" in figure_export.figure_bytes(go.Figure(), "html")[:100]
