"""Download buttons: every chart as PNG, SVG, PDF and HTML; the cohort report, a patient's summary and CSVs.

Files are made only when a button is clicked (deferred downloads: kaleido takes a moment per image), only
while the sign-in that showed the button holds, and only that browser may fetch the file, once
(owned_downloads.py); the patient-data ones are audited then (data.audited). Who may download what
follows the role matrix: staff no patient data, clinicians de-identified, admins identified.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import data, state
from dashboard.charts import reports
from dashboard.charts.figure_export import FORMATS, figure_bytes
from dashboard.charts.letters import reminder_letters_pdf
from dashboard.downloads import owned as owned_downloads
from dashboard.signin import auth, browser_session
from data_model.access import sign_ins
from data_model.access.permissions import Action
from data_model.exchange.csv_folder.export import neutralise
from data_model.exchange.pseudonyms import PseudonymKeyMissing, pseudonym
from data_model.outreach.letters import letters_of

PDF = "application/pdf"


class SignInEnded(PermissionError):
    """The sign-in that showed a download button has ended: the file is not made."""


def owned(make: Callable[[], bytes]) -> Callable[[], bytes]:
    """make() for a deferred download button, run only while this browser's sign-in holds; the file is
    then fetchable by this browser alone, once. The token is taken now: the click runs outside the script."""
    token, engine, idle = browser_session.presented_token(), data.engine(), browser_session.idle_limit()

    def run() -> bytes:
        if token is None or sign_ins.check(engine, token, idle, touch=False).user is None:
            raise SignInEnded("the sign-in that asked for this download has ended")
        content = make()
        owned_downloads.hold(content, token)
        return content

    return run


def _button(where, label: str, make: Callable[[], bytes], **options) -> None:
    """A download button whose file is made on click for this sign-in (never at page load)."""
    where.download_button(label, data=owned(make), on_click="ignore", **options)


def chart_downloads(name: str, figure: go.Figure, audit: dict | None = None, patient_id: int | None = None) -> None:
    """Four buttons; the file is drawn only when one is clicked (kaleido takes a moment per image).
    With `audit` (a patient's chart), each download is recorded as an 'export_chart' event."""
    cols = st.columns(len(FORMATS) + 2)
    for col, (fmt, mime) in zip(cols, FORMATS.items(), strict=False):
        make: Callable[[], bytes] = partial(figure_bytes, figure, fmt)
        if audit is not None:
            make = data.audited("export_chart", {**audit, "charts": [name], "format": fmt}, make, patient_id)
        _button(
            col,
            fmt.upper(),
            make,
            file_name=f"paintrail-{name}.{fmt}",
            mime=mime,
            key=f"dl_{name}_{fmt}",
            help=f"Download this chart as {fmt.upper()}",
        )


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV; text cells a spreadsheet would run as a formula start with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False, name=None):
        writer.writerow(
            [
                "" if v is None or (isinstance(v, float) and pd.isna(v)) else neutralise(v) if isinstance(v, str) else v
                for v in row
            ]
        )
    return out.getvalue().encode("utf-8")


def _no_export(what: str) -> None:
    user = state.current_user()
    st.caption(f"Your role ({user.role if user else 'anonymous'}) does not export {what}.")


def _key_or_warning() -> str | None:
    try:
        return data.site_key()
    except PseudonymKeyMissing as exc:
        st.warning(f"De-identified downloads are unavailable: {exc}.")
        return None


def cohort_downloads(view, figures: dict[str, go.Figure], as_of: date, mcid_text: str) -> None:
    """The cohort report (PDF) and the cohort's data (de-identified CSV folder, zipped): clinicians, admins."""
    st.subheader("Cohort report and data")
    if not auth.allowed(Action.EXPORT_DEIDENTIFIED):
        _no_export("cohort reports or data")
        return
    if _key_or_warning() is None:
        return
    ids = [int(i) for i in view.patients["patient_id"]]
    flagged = data.deidentified_worklist_maker(as_of, ids)  # made with the report, on click
    definition = view.chosen.describe()

    def report() -> bytes:
        return reports.cohort_report_pdf(definition, as_of, view.summary, figures, flagged(), mcid_text)

    cols = st.columns(2)
    _button(
        cols[0],
        "Cohort report (PDF)",
        data.audited("export_report", {"cohort": definition, "as_of": as_of.isoformat(), "via": "app"}, report),
        key="dl_cohort_report",
        mime=PDF,
        file_name=f"paintrail-cohort-{as_of:%Y%m%d}.pdf",
        help="Definition, key figures, the four charts and the flagged patients by pseudonym (no MRN, name or date)",
    )
    _button(
        cols[1],
        "Cohort data (CSV, de-identified)",
        data.audited(
            "export_csv", {"cohort": definition, "patients": len(ids), "via": "app"}, data.deidentified_csv_zip(ids)
        ),
        key="dl_cohort_csv",
        mime="application/zip",
        file_name=f"paintrail-cohort-{as_of:%Y%m%d}-csv.zip",
        help="patients.csv, surgeries.csv, visits.csv, treatments.csv in the import format: pseudonyms, no names, "
        "surgeons or notes, each patient's dates shifted alike",
    )


def patient_downloads(record, as_of: date) -> None:
    """The trajectory chart and the one-page clinician summary: identified for admins, de-identified for
    clinicians (pseudonym, weeks since surgery, no dates); staff none."""
    st.subheader("Downloads")
    if auth.allowed(Action.EXPORT_IDENTIFIED):
        key, kind = None, "identified"
    elif auth.allowed(Action.EXPORT_DEIDENTIFIED):
        key, kind = _key_or_warning(), "de-identified"
        if key is None:
            return
    else:
        _no_export("patient data: no chart or summary download")
        return
    figure = reports.trajectory_for_export(record, as_of, key)
    # without a recorded surgery (data_model/fbss.py) the export counts weeks from the first recorded visit
    since = (
        "the first recorded visit (the surgery date is unknown)"
        if not record.status.empty and not bool(record.status.iloc[0]["surgery_known"])
        else "surgery"
    )
    st.caption(
        f"Downloads are {kind}"
        + (
            f": pseudonym instead of MRN and name, weeks since {since} instead of dates."
            if key
            else ", with the MRN and name."
        )
    )
    patient_id = int(record.patient["patient_id"])
    chart_downloads("trajectory", figure, {"identified": key is None, "via": "app"}, patient_id)
    who = pseudonym(str(record.patient["mrn"]), key) if key else str(record.patient["mrn"])

    def summary() -> bytes:
        return reports.patient_summary_pdf(record, as_of, figure, deidentified=key is not None, key=key)

    _button(
        st,
        "Clinician summary (PDF)",
        data.audited("export_summary", {"identified": key is None, "via": "app"}, summary, patient_id),
        key="dl_patient_summary",
        mime=PDF,
        file_name=f"paintrail-summary-{who}.pdf",
        help="One page: recovery status, the trajectory, flags and treatments",
    )


def worklist_download(shown: pd.DataFrame, as_of: date) -> None:
    """The worklist as shown (filters applied) by pseudonym, as CSV: clinicians and admins."""
    if not auth.allowed(Action.EXPORT_DEIDENTIFIED):
        return
    if _key_or_warning() is None:
        return
    # Made on click, not on every run of the page: pseudonyms for tens of thousands of rows take a second.
    make = data.deidentified_worklist_maker(as_of, [int(i) for i in shown["patient_id"]])
    _button(
        st,
        "Download worklist (CSV, de-identified)",
        data.audited(
            "export_worklist",
            {"as_of": as_of.isoformat(), "patients": len(shown), "via": "app"},
            lambda: csv_bytes(make()),
        ),
        key="dl_worklist_csv",
        mime="text/csv",
        file_name=f"paintrail-worklist-{as_of:%Y%m%d}.csv",
        help="Pseudonyms instead of MRNs and names; no surgeon, no dates (dates in the reasons become weeks)",
    )


def letters_download(rows: pd.DataFrame, site_name: str, written_on: date) -> None:
    """The reminder letters of the chosen follow-ups as one PDF, a page each: for whoever works the follow-ups
    (enters data), since a letter must name its patient; each letter is audited under its patient."""
    if not auth.allowed(Action.ENTER_DATA):
        _no_export("reminder letters")
        return
    letters = letters_of(rows)
    details = [(int(r["patient_id"]), {"follow_up": r["time_point"], "via": "app"}) for r in rows.to_dict("records")]
    n = len(letters)
    _button(
        st,
        f"Reminder letters (PDF, {n} {'letter' if n == 1 else 'letters'})",
        data.audited_per_patient(
            "export_letters", details, lambda: reminder_letters_pdf(letters, site_name, written_on)
        ),
        key="dl_fu_letters",
        mime=PDF,
        file_name=f"paintrail-reminder-letters-{written_on:%Y%m%d}.pdf",
        disabled=n == 0,
        help="One page per patient: the site's name, the patient's name, a space for the address, the follow-up "
        "and its dates, and a request to book. Nothing clinical.",
    )
