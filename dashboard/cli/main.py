"""`paintrail`: the command line (demo, serve, seed, flags, import, export, users, bench); DESIGN.md has the contract.

The whole command tree is registered here, explicitly. Command modules import only typer and the
standard library at their top; each command imports the store, pandas, plotly and the rest when it
runs, so `paintrail --help` and every command load only what they use.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from dashboard.cli import backup, bench, flags, seed, serve, users
from dashboard.cli.common import OneLineErrorsGroup
from dashboard.cli.export import audit as export_audit
from dashboard.cli.export import chart as export_chart
from dashboard.cli.export import csv_folder as export_csv
from dashboard.cli.export import fhir as export_fhir
from dashboard.cli.export import report as export_report
from dashboard.cli.imports import csv_folder as import_csv
from dashboard.cli.imports import fhir as import_fhir

app = typer.Typer(
    name="paintrail",
    cls=OneLineErrorsGroup,
    help="PainTrail: follow patients with persistent pain after spine surgery.",
    no_args_is_help=True,
    add_completion=False,
    # Locals can hold passwords and patient data: never print them, even for a genuine bug.
    pretty_exceptions_show_locals=False,
)

import_app = typer.Typer(help="Import clinical data (all or nothing, every row audited).", no_args_is_help=True)
import_app.command("csv")(import_csv.import_csv)
import_app.command("fhir")(import_fhir.import_fhir_command)

export_app = typer.Typer(help="Export data: de-identified unless asked otherwise.", no_args_is_help=True)
export_app.command("fhir")(export_fhir.export_fhir_command)
export_app.command("audit")(export_audit.export_audit_command)
export_app.command("chart")(export_chart.export_chart)
export_app.command("csv")(export_csv.export_csv_command)
export_app.command("report")(export_report.export_report)

app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(users.users_app, name="users")
app.command("serve")(serve.serve)
app.command("demo")(serve.demo)
app.command("flags")(flags.flags)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
app.command("bench")(bench.bench)
app.command("seed")(seed.seed)


def _version(value: bool) -> None:
    if value:
        try:
            typer.echo(f"paintrail {version('paintrail')}")
        except PackageNotFoundError:
            typer.echo("paintrail (not installed)")
        raise typer.Exit()


@app.callback()
def main(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """PainTrail: follow patients with persistent pain after spine surgery.

    Every command that touches data takes --db URL (else $PAINTRAIL_DATABASE_URL, else
    sqlite:///paintrail.db in the current folder) and brings the schema up to date first. Every command
    that reads or writes patients or accounts runs as a PainTrail account: --as-user NAME (else
    $PAINTRAIL_USER), its password from $PAINTRAIL_PASSWORD, a hidden prompt, or the first line of stdin.
    """
