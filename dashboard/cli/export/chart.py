"""`paintrail export chart NAME`: the cohort page's charts and a patient's trajectory as PNG, SVG, PDF or HTML."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dashboard.cli.acting_account import (
    AsUserOption,
    IdentifiedOption,
    audit_command,
    export_action,
    export_key,
    open_as,
)
from dashboard.cli.common import (
    AsOfOption,
    DbOption,
    FromOption,
    ProcedureOption,
    SurgeonOption,
    SurgeryOrderOption,
    ToOption,
    UserError,
    cohort_filter,
    optional_date,
    site_today_of,
    user_errors,
)
from dashboard.cli.export.out_file import write_atomically

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from sqlalchemy import Engine

    from data_model.access.accounts import SignedIn
    from data_model.services.cohort import CohortFilter

# Kept here as well as in dashboard.charts.reports (COHORT_CHARTS) so that `paintrail --help` does not import plotly.
COHORT_NAMES = ("pain_curve", "responders", "time_to_recovery", "treatment_response")
TRAJECTORY = "trajectory"
FORMAT_NAMES = ("png", "svg", "pdf", "html")


def chart_format(fmt: str | None, out: Path, default: str | None = None) -> str:
    """--format, else the --out file's extension, else the default; one of png, svg, pdf, html."""
    chosen = fmt or (out.suffix.lstrip(".") if out.suffix else None) or default
    if chosen is None:
        raise UserError(f"--format: give one of {', '.join(FORMAT_NAMES)} (or an --out file ending in one)")
    if chosen.strip().lower() not in FORMAT_NAMES:
        raise UserError(f"--format: {chosen!r} is not one of {', '.join(FORMAT_NAMES)}")
    return chosen.strip().lower()


def cohort_figures(engine: Engine, chosen: CohortFilter, as_of: date) -> dict[str, go.Figure]:
    """The cohort page's four figures for this cohort, built as the page builds them."""
    from dashboard.charts.reports import cohort_figures as figures
    from data_model.db import read_session
    from data_model.services.cohort import cohort_view
    from data_model.services.evaluation import evaluate_clinic

    with read_session(engine) as session:
        evaluation = evaluate_clinic(session, as_of)
    settings = evaluation.settings
    return figures(cohort_view(evaluation, chosen), settings.mcid_nrs_percent, settings.cohort_min_patients)


def trajectory_figure(engine: Engine, user: SignedIn, mrn: str, as_of: date, identified: bool) -> tuple[go.Figure, int]:
    """(figure, patient id): the patient page's trajectory; de-identified, titled with the pseudonym."""
    from dashboard.charts.reports import trajectory_for_export
    from data_model import queries
    from data_model.db import read_session
    from data_model.services.evaluation import clinic_curve_as_of
    from data_model.services.patient import patient_record

    with read_session(engine) as session:
        patient = queries.patient_by_mrn(session, mrn.strip())
        if patient is None:
            raise UserError(f"--mrn: {mrn!r} is not a patient in this database")
        patient_id = patient.id
        # the clinic's curve, as the app judges and draws the patient (flags and expected-recovery band)
        record = patient_record(session, patient_id, as_of, clinic_curve=clinic_curve_as_of(session, as_of))
    key = None if identified else export_key(engine, user)
    return trajectory_for_export(record, as_of, key), patient_id


def write_figures(figures: dict[str, go.Figure], paths: dict[str, Path], fmt: str, progress: bool) -> None:
    """Draw and write every figure with one chart renderer (one Chrome) for the whole batch."""
    from dashboard.charts.figure_export import figure_bytes, image_batch

    with image_batch():
        for number, (name, figure) in enumerate(figures.items(), start=1):
            started = time.monotonic()
            write_atomically(paths[name], figure_bytes(figure, fmt))
            if progress:
                typer.echo(f"[{number}/{len(figures)}] {name}: {paths[name]} ({time.monotonic() - started:.1f} s)")


def export_chart(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="FILE|DIR",
            help="The file to write (replaced if it exists); with --all, the "
            "folder for every chart (created if missing).",
            show_default=False,
        ),
    ],
    as_user: AsUserOption,
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME",
            help=f"One of {', '.join(COHORT_NAMES)} (the cohort page's charts), or "
            f"{TRAJECTORY} with --mrn (a patient's pain trajectory). Leave it out with --all.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="png|svg|pdf|html",
            help="Default: the --out file's extension; png with --all. HTML opens offline (plotly.js inside).",
            show_default=False,
        ),
    ] = None,
    all_charts: Annotated[
        bool, typer.Option("--all", help="Write the four cohort charts into the folder --out, one line each.")
    ] = False,
    mrn: Annotated[
        str | None, typer.Option("--mrn", metavar="MRN", help="The patient, for NAME trajectory.", show_default=False)
    ] = None,
    procedure: ProcedureOption = None,
    surgeon: SurgeonOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    surgery: SurgeryOrderOption = "any",
    as_of: AsOfOption = None,
    identified: IdentifiedOption = False,
    db: DbOption = None,
) -> None:
    """Export a chart as PNG, SVG, PDF or HTML, print-ready (title with n, axis units, legend).

    Cohort charts take the cohort page's definition (--procedure, --surgeon, --from, --to, --surgery);
    the trajectory is titled with the patient's pseudonym, or with the MRN when --identified (admins only).
    """
    with user_errors():
        if all_charts:
            if name is not None:
                raise UserError(f"--all writes every cohort chart: leave out NAME ({name!r})")
            names = list(COHORT_NAMES)
            fmt_chosen = chart_format(fmt, Path(), "png")
            if out.exists() and not out.is_dir():
                raise UserError(f"--out: {str(out)!r} is a file; --all needs a folder")
            if not out.parent.is_dir():
                raise UserError(f"--out: the folder {str(out.parent)!r} does not exist")
        else:
            if name is None:
                raise UserError(f"give a chart NAME ({', '.join(COHORT_NAMES)}, {TRAJECTORY}) or --all")
            if name not in (*COHORT_NAMES, TRAJECTORY):
                raise UserError(f"NAME: {name!r} is not one of {', '.join(COHORT_NAMES)}, {TRAJECTORY}")
            names = [name]
            fmt_chosen = chart_format(fmt, out)
            if not out.parent.is_dir():
                raise UserError(f"--out: the folder {str(out.parent)!r} does not exist")
        if (name == TRAJECTORY) != (mrn is not None):
            raise UserError("--mrn: give it with NAME trajectory, and only then")
        chosen = cohort_filter(procedure, surgeon, date_from, date_to, surgery)
        given = optional_date("--as-of", as_of)
        engine, user = open_as(db, as_user, export_action(identified), "export chart")
        try:
            day = given or site_today_of(engine)
            patient_id = None
            if name == TRAJECTORY:
                figure, patient_id = trajectory_figure(engine, user, mrn or "", day, identified)
                figures = {TRAJECTORY: figure}
            else:
                every = cohort_figures(engine, chosen, day)
                figures = {n: every[n] for n in names}
            if all_charts:
                out.mkdir(exist_ok=True)
                paths = {n: out / f"paintrail-{n}.{fmt_chosen}" for n in names}
            else:
                paths = {names[0]: out}
            write_figures(figures, paths, fmt_chosen, progress=all_charts)
            detail = {"charts": names, "format": fmt_chosen, "as_of": day.isoformat(), "identified": identified}
            if name != TRAJECTORY:
                detail["cohort"] = chosen.describe()
            audit_command(engine, user, "export_chart", detail, patient_id)
        finally:
            engine.dispose()
    what = "de-identified " if name == TRAJECTORY and not identified else ""
    where = f"{len(names)} charts into {out}" if all_charts else str(out)
    typer.echo(f"Wrote {where} ({what}{fmt_chosen.upper()}).")
