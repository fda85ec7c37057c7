"""`paintrail export report`: the PDF cohort report (definition, key figures, the four charts, flagged patients
by pseudonym)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dashboard.cli.acting_account import AsUserOption, audit_command, export_key, open_as
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
from data_model.access.permissions import Action


def export_report(
    out: Annotated[
        Path,
        typer.Option("--out", metavar="FILE.pdf", help="The PDF to write (replaced if it exists).", show_default=False),
    ],
    as_user: AsUserOption,
    procedure: ProcedureOption = None,
    surgeon: SurgeonOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    surgery: SurgeryOrderOption = "any",
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Write the PDF cohort report: the cohort definition, key figures, the four cohort charts and the
    flagged patients de-identified (pseudonym, procedure, weeks since surgery, pain, flags, reasons;
    never an MRN, a name or a date). Clinicians and admins.
    """
    with user_errors():
        if out.suffix.lower() != ".pdf":
            raise UserError(f"--out: {out.name!r} must end in .pdf")
        if not out.parent.is_dir():
            raise UserError(f"--out: the folder {str(out.parent)!r} does not exist")
        chosen = cohort_filter(procedure, surgeon, date_from, date_to, surgery)
        given = optional_date("--as-of", as_of)
        engine, user = open_as(db, as_user, Action.EXPORT_DEIDENTIFIED, "export report")
        try:
            day = given or site_today_of(engine)
            key = export_key(engine, user)
            from dashboard.charts.figure_export import image_batch
            from dashboard.charts.reports import cohort_figures, cohort_report_pdf
            from data_model.db import read_session
            from data_model.exchange.deidentify import deidentified_worklist
            from data_model.services.cohort import cohort_view
            from data_model.services.evaluation import evaluate_clinic
            from data_model.services.worklist import worklist_of

            with read_session(engine) as session:
                evaluation = evaluate_clinic(session, day)
                worklist = worklist_of(session, evaluation)
            view = cohort_view(evaluation, chosen)
            flagged = deidentified_worklist(worklist[worklist["patient_id"].isin(view.patients["patient_id"])], key)
            settings = evaluation.settings
            mcid = f"{settings.mcid_nrs_points:g} points or {settings.mcid_nrs_percent:g} %"
            with image_batch():
                pdf = cohort_report_pdf(
                    chosen.describe(),
                    day,
                    view.summary,
                    cohort_figures(view, settings.mcid_nrs_percent, settings.cohort_min_patients),
                    flagged,
                    mcid,
                )
            write_atomically(out, pdf)
            audit_command(
                engine,
                user,
                "export_report",
                {
                    "file": out.name,
                    "cohort": chosen.describe(),
                    "as_of": day.isoformat(),
                    "patients": int(len(view.patients)),
                    "flagged": int(len(flagged)),
                },
            )
        finally:
            engine.dispose()
    typer.echo(f"Wrote {out} (cohort report: {len(view.patients)} patients, {len(flagged)} flagged, de-identified).")
