"""Fixtures the export tests share."""

from __future__ import annotations

import pytest

from dashboard.charts import figure_export


@pytest.fixture(scope="module")
def renderer():
    """One chart server for the module (keep the module on one xdist worker: one Chrome); every
    export's own batch finds it running and leaves it alone."""
    figure_export.start_server()
    yield
    figure_export.stop_server()
