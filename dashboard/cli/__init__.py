"""The `paintrail` command line: the Typer app (built in main.py) and one module per command."""

from dashboard.cli.main import app as app  # the console script's target, `dashboard.cli:app`
