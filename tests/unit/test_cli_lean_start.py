"""The command line starts lean: building the command tree (all that `paintrail --help` needs) loads none
of the store, the data frames, the charts or the app; each command imports those when it runs."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "pandas",
    "numpy",
    "sqlalchemy",
    "alembic",
    "plotly",
    "kaleido",
    "streamlit",
    "fhir.resources",
    "lifelines",
    "rich",
    "data_model.models",
    "sample_data",
)


def test_building_the_command_tree_loads_no_heavy_module() -> None:
    probe = f"import sys, dashboard.cli; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


def test_the_help_names_the_pseudonym_key_the_store_reads() -> None:
    from dashboard.cli.acting_account import PSEUDONYM_KEY_ENV
    from data_model.exchange.pseudonyms import KEY_ENV

    assert PSEUDONYM_KEY_ENV == KEY_ENV
