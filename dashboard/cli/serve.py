"""`paintrail serve` and `paintrail demo`: run the Streamlit app on a database (demo: a synthetic one)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dashboard.cli.common import DbOption, UserError, open_database, shown_url, site_today_of, user_errors
from dashboard.demo import DEMO_ACCOUNTS, DEMO_DATABASE_URL, DEMO_ENV, DEMO_PATIENTS

# The store is imported inside the commands, so `paintrail --help` does not load it.
if TYPE_CHECKING:
    from sqlalchemy import Engine

APP = Path(__file__).resolve().parents[1] / "asgi.py"  # app.py behind the sign-in and download guards
DEMO_SEED = 42
DEMO_ACTOR = "demo"  # who the audit trail names for what the demo writes; it marks a demo database

PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port to serve on.")]
AddressOption = Annotated[
    str,
    typer.Option(
        "--address",
        help="Address to listen on. The default serves this machine only; use 0.0.0.0 to serve the clinic "
        "network (put it behind an HTTPS reverse proxy: the app shows patient data).",
    ),
]


def absolute_url(url: str) -> str:
    """A relative SQLite path made absolute, so the app opens the same file whatever its working folder."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database
    if (
        parsed.get_backend_name() == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file:")
    ):
        path = Path(database)
        if not path.is_absolute():
            parsed = parsed.set(database=str(path.resolve()))
    return parsed.render_as_string(hide_password=False)


def run_app(url: str, port: int, address: str, demo: bool = False) -> int:
    """Run `streamlit run dashboard/asgi.py` (the app and its web server) in a child process until it stops;
    return a shell exit code."""
    code = _run_streamlit(url, port, address, demo)
    return 128 - code if code < 0 else code  # killed by signal N: exit 128+N, as a shell reports it


def _run_streamlit(url: str, port: int, address: str, demo: bool) -> int:
    from data_model.db import URL_ENV

    if not APP.is_file():
        raise UserError(f"the app is missing: {APP}")
    env = {**os.environ, URL_ENV: absolute_url(url)}
    if demo:
        env[DEMO_ENV] = "1"
    command = [
        sys.executable,
        "-m",
        "dashboard.streamlit_launch",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.address",
        address,
        "--browser.gatherUsageStats",
        "false",  # a clinical server sends nothing out
        "--client.toolbarMode",
        "viewer",  # no "Deploy" button or developer menu for clinicians
        "--client.showErrorDetails",
        "none",  # an unexpected error says so, never a traceback with server paths
    ]
    typer.echo(f"Serving PainTrail at http://{address}:{port} on {shown_url(url)}; press Ctrl+C to stop.")
    child = subprocess.Popen(command, env=env)
    # A service manager stops us with SIGTERM: pass it on so the app does not outlive the command.
    previous = signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        return child.wait()
    except KeyboardInterrupt:
        # Streamlit got the same Ctrl+C; give it a moment to shut down cleanly.
        try:
            return child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.terminate()
            return child.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(
    db: DbOption = None,
    port: PortOption = 8501,
    address: AddressOption = "127.0.0.1",
) -> None:
    """Serve the app (after bringing the database schema up to date). Sign-in is required for patient data."""
    from data_model.db import resolve_url

    with user_errors():
        url = resolve_url(db)
        open_database(url).dispose()
        code = run_app(url, port, address)
    raise typer.Exit(code)


def prepare_demo(engine: Engine, patients: int, today: date) -> list[str]:
    """Seed a synthetic cohort if the database has no patients, and add missing demo accounts; say what was done.

    Refuses (UserError, nothing written) a database that holds anything but what the demo made itself:
    the demo's passwords are published, so they must never open real data.
    """
    from data_model import queries
    from data_model.access.accounts import add_user
    from data_model.audit import set_actor
    from data_model.db import read_session, run_write
    from sample_data.writer import foreign_contents

    found = foreign_contents(engine, DEMO_ACTOR, {name for name, _, _ in DEMO_ACCOUNTS})
    if found:
        raise UserError(
            "this is not a demo database: it holds " + " and ".join(found) + "; the demo adds its accounts "
            "(published passwords) only to a database of its own: leave out --db, or give a new file"
        )
    done: list[str] = []
    with read_session(engine) as session:
        has_patients = queries.patient_count(session) > 0
        existing = {name.lower() for name in queries.usernames(session)}
    if not has_patients and patients > 0:
        from sample_data.generator import generate_cohort
        from sample_data.writer import write_cohort

        typer.echo(f"Generating {patients} synthetic patients (seed {DEMO_SEED}, as of {today.isoformat()})...")
        counts = write_cohort(engine, generate_cohort(patients, DEMO_SEED, today), actor=DEMO_ACTOR)
        done.append(", ".join(f"{count} {name}" for name, count in counts.items()))
    missing = [account for account in DEMO_ACCOUNTS if account[0].lower() not in existing]

    def add_accounts(session) -> None:
        set_actor(session, DEMO_ACTOR)
        for username, role, password in missing:
            add_user(session, username, role, password, display_name=f"Demo {role}")

    if missing:
        run_write(engine, add_accounts)
        done.append("accounts " + ", ".join(f"{u} / {p} ({r})" for u, r, p in missing))
    return done


def demo(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help=f"Demo database URL. Default: {DEMO_DATABASE_URL} in the current folder; "
            "$PAINTRAIL_DATABASE_URL is ignored so a real database is never filled with synthetic patients.",
            show_default=False,
        ),
    ] = None,
    port: PortOption = 8501,
    address: AddressOption = "127.0.0.1",
    patients: Annotated[
        int, typer.Option("--patients", min=0, help="Synthetic patients to create when the database has none.")
    ] = DEMO_PATIENTS,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Only prepare the demo database; do not serve.")] = False,
) -> None:
    """Try PainTrail: a demo database with a synthetic cohort and demo accounts (created if missing), then serve it."""
    with user_errors():
        url = db or DEMO_DATABASE_URL
        engine = open_database(url)
        try:
            done = prepare_demo(engine, patients, site_today_of(engine))
        finally:
            engine.dispose()
        typer.echo(
            ("Demo database ready: added " + "; ".join(done) + ".") if done else "Demo database ready (nothing to add)."
        )
        if no_serve:
            return
        code = run_app(url, port, address, demo=True)
    raise typer.Exit(code)
