"""`python -m dashboard.cli`: the same command line as the `paintrail` console script."""

from dashboard.cli.main import app

app()
