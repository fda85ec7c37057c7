"""PDF reports with fpdf2 (the cohort report, the one-page clinician summary of a patient) and the figures
the exports share with the pages: the cohort page's four charts and a patient's trajectory."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from fpdf import FPDF

from dashboard.charts import cohort as cohort_charts
from dashboard.charts import trajectory as charts
from dashboard.charts.figure_export import figure_bytes
from dashboard.formatting import birth_year, fbss_diagnosis_text, flag_label, procedure_label, score, treatment_label
from dashboard.widgets.patient.tables import day, ended
from data_model.catalog import TREATMENTS
from data_model.exchange.deidentify import weeks_after_first_visit, weeks_instead_of_dates
from data_model.exchange.pseudonyms import pseudonym

# The cohort page's figures, by the name the downloads and `paintrail export chart NAME` use.
COHORT_CHARTS: dict[str, str] = {
    "pain_curve": "Pain curve",
    "responders": "Responders",
    "time_to_recovery": "Time to recovery",
    "treatment_response": "Treatment response",
}


def cohort_subtitle(definition: str, as_of: date) -> str:
    """The line under every cohort chart's title: which patients, as of when (kept in every export)."""
    return f"Cohort: {definition}; as of {as_of:%d %b %Y}"


def cohort_figures(view, threshold_percent: float = 30.0, min_patients: int = 10) -> dict[str, go.Figure]:
    """The four cohort figures of a cohort_view.CohortView, in COHORT_CHARTS order (page, exports, report),
    each titled with the cohort definition and the as-of date. threshold_percent is the responder
    threshold the treatment response used (Settings.mcid_nrs_percent); min_patients is
    Settings.cohort_min_patients (fewer patients: a grey point)."""
    sub = cohort_subtitle(view.chosen.describe(), view.as_of)
    return {
        "pain_curve": cohort_charts.pain_curve_figure(view.curve, subtitle=sub, min_patients=min_patients),
        "responders": cohort_charts.responder_figure(view.responders, subtitle=sub, min_patients=min_patients),
        "time_to_recovery": cohort_charts.km_figure(view.recovery, subtitle=sub, durations=view.durations),
        "treatment_response": cohort_charts.treatment_response_figure(
            view.treatments, threshold_percent=threshold_percent, subtitle=sub, min_patients=min_patients
        ),
    }


def trajectory_for_export(record, as_of: date, key: str | None = None) -> go.Figure:
    """A patient's trajectory (services.PatientRecord) as the patient page draws it, titled with the MRN;
    with a key, de-identified: titled with the pseudonym and without a calendar date anywhere."""
    mrn = str(record.patient["mrn"])
    who = pseudonym(mrn, key) if key else mrn
    return charts.trajectory_figure(
        record.trajectory,
        record.surgeries,
        record.treatments,
        pd.Timestamp(as_of),
        title=f"Pain trajectory of {who}",
        dates=key is None,
        band=record.expected_band,
    )


UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
UNICODE_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
# Without a Unicode font the PDF core fonts take Latin-1 only: spell the few symbols we use.
LATIN1 = str.maketrans({"–": "-", "—": "-", "≥": ">=", "≤": "<=", "·": "-", "…": "...", "’": "'", "“": '"', "”": '"'})


class Report(FPDF):
    def __init__(self, title: str, subtitle: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.title_text, self.subtitle = title, subtitle
        self.unicode = UNICODE_FONT.exists() and UNICODE_BOLD.exists()
        if self.unicode:
            self.add_font("body", "", str(UNICODE_FONT))
            self.add_font("body", "B", str(UNICODE_BOLD))
        self.family = "body" if self.unicode else "helvetica"
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(title)
        self.set_creator("PainTrail")

    def text_of(self, value: object) -> str:
        text = "" if value is None else str(value)
        return text if self.unicode else text.translate(LATIN1).encode("latin-1", "replace").decode("latin-1")

    def header(self) -> None:
        self.set_font(self.family, "B", 14)
        self.cell(0, 8, self.text_of(self.title_text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 9)
        self.multi_cell(0, 5, self.text_of(self.subtitle), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 5, self.text_of(f"PainTrail - page {self.page_no()}/{{nb}}"), align="C")

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(self.family, "B", 11)
        self.cell(0, 7, self.text_of(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 9)

    def paragraph(self, text: str) -> None:
        self.set_font(self.family, "", 9)
        self.multi_cell(0, 5, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def figure(self, fig: go.Figure, height_mm: float = 95) -> None:
        # 900 px across 180 mm keeps the chart's 13 px text at about 7 pt on paper; a figure that sets its
        # own height (rows of n under its axis, one bar per treatment) keeps it, or its layout would not fit
        if fig.layout.height:
            height_mm = min(180 * fig.layout.height / 900, self.h - 40)
        png = figure_bytes(fig, "png", width=900, height=int(900 * height_mm / 180))
        if self.get_y() + height_mm > self.h - 20:
            self.add_page()
        self.image(io.BytesIO(png), w=180, h=height_mm)
        self.ln(2)

    def data_table(self, headers: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[float]) -> None:
        self.set_font(self.family, "", 8)
        with super().table(col_widths=widths, text_align="LEFT", line_height=4.5, first_row_as_headings=True) as t:
            t.row([self.text_of(h) for h in headers])
            for row in rows:
                t.row([self.text_of(v) for v in row])


def _pdf_bytes(report: Report) -> bytes:
    report.alias_nb_pages()
    return bytes(report.output())


def cohort_report_pdf(
    definition: str,
    as_of: date,
    summary: pd.DataFrame,
    figures: dict[str, go.Figure],
    flagged: pd.DataFrame,
    mcid_text: str = "2 points or 30 %",
) -> bytes:
    """Cohort definition, key figures, the cohort charts, and the flagged patients de-identified.

    `flagged` must already be de-identified (deidentify.deidentified_worklist: pseudonym, no name, no dates):
    this function prints it as given.
    """
    report = Report("PainTrail cohort report", f"Cohort: {definition}. As of {as_of:%Y-%m-%d}. Counts are patients.")
    report.add_page()
    report.heading("Key figures")
    point = str(summary["ftp_time_point"].iloc[0]) if "ftp_time_point" in summary and len(summary) else "3 months"
    rows = []
    for _, r in summary.iterrows():
        rows.append(
            [
                "All procedures" if r["procedure"] == "all" else procedure_label(r["procedure"]),
                f"{int(r['n_patients'])}",
                _share(r["flagged_share"]),
                _share(r["persistent_pain_share"]),
                f"{_share(r['ftp_failure_share'])} of {int(r['n_ftp_eligible'])} ({int(r['n_ftp_missing'])} missing)",
            ]
        )
    report.data_table(
        ["Procedure", "Patients", "Flagged", "Persistent pain", f"No MCID by {point}"], rows, (50, 20, 20, 30, 60)
    )
    report.paragraph(
        f"Failure to progress: patients with a baseline whose window for the {point} visit has closed and who did "
        f"not reach the minimal clinically important difference ({mcid_text}) by then. Patients with no visit are "
        "counted as missing, never as improved."
    )
    for fig in figures.values():
        report.figure(fig)
    report.add_page()
    report.heading(f"Flagged patients ({len(flagged)}), de-identified")
    if flagged.empty:
        report.paragraph("No patient of this cohort is flagged.")
    else:
        report.data_table(
            ["Pseudonym", "Procedure", "Weeks", "Pain", "Flags", "Why"],
            (
                [
                    r["pseudonym"],
                    procedure_label(r["procedure"]),
                    f"{r['weeks_since_surgery']:.0f}",
                    score(r["current_pain"]),
                    ", ".join(flag_label(c) for c in str(r["flags"]).split(";")),
                    r["reasons"],
                ]
                for _, r in flagged.iterrows()
            ),
            (23, 20, 11, 14, 30, 82),
        )
    return _pdf_bytes(report)


def _share(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.0%}"


def _single_day(code: str) -> bool:
    return code in TREATMENTS and TREATMENTS[code].single_day


def _surgeries(n: int) -> str:
    return f"{n} prior spine {'surgery' if n == 1 else 'surgeries'}"


def _week(day: object, index_date: pd.Timestamp | None) -> str:
    if day is None or pd.isna(day):
        return ""
    if index_date is None:
        return "(date removed)"
    return f"week {(pd.Timestamp(day) - index_date).days / 7:.0f}"


def patient_summary_pdf(
    record,
    as_of: date,
    figure: go.Figure | None = None,
    *,
    deidentified: bool = False,
    key: str | None = None,
) -> bytes:
    """One page for the clinician: who, where in recovery, the trajectory, flags and treatments.

    deidentified=True (needs the site key): the pseudonym instead of the MRN and name, every date as weeks
    since the index surgery (the as-of day too, since it and the weeks would give the surgery date back),
    or since the first recorded visit for a patient without a recorded surgery (data_model/fbss.py), no
    notes; the trajectory is drawn de-identified, whatever `figure` is. Otherwise `figure` defaults to
    the patient page's trajectory.
    """
    if deidentified and not key:
        raise ValueError("a de-identified summary needs the site key")
    p = record.patient
    s = None if record.status.empty else record.status.iloc[0]
    # without a recorded surgery (data_model/fbss.py) there is no surgery date to count weeks from
    known = s is not None and bool(s["surgery_known"])
    index_date = pd.Timestamp(s["index_surgery_date"]) if known and s is not None else None
    # de-identified, such a patient's days count from the first recorded visit, as the chart's axis does
    first_visit = (
        pd.Timestamp(record.trajectory["visit_date"].min())
        if s is not None and not known and not record.trajectory.empty
        else None
    )
    if deidentified:
        assert key is not None  # checked on entry
        figure = trajectory_for_export(record, as_of, key)
        if known and s is not None:
            now = f"week {s['weeks_since_surgery']:.0f} after surgery"
        elif first_visit is not None:
            now = (
                f"week {(pd.Timestamp(as_of) - first_visit).days / 7:.0f} after the first visit (surgery date unknown)"
            )
        else:
            now = "surgery date unknown" if s is not None else "no surgery recorded"
        subtitle = (
            f"{pseudonym(str(p['mrn']), key)} - born {birth_year(p['birth_year'])} - {p['sex']} - "
            f"as of {now} - de-identified: no name, no MRN, no dates"
        )
    else:
        figure = figure or trajectory_for_export(record, as_of)
        subtitle = (
            f"{p['mrn']} - {p['display_name'] or ''} - born {birth_year(p['birth_year'])} - as of {as_of:%Y-%m-%d}"
        )
    report = Report("Clinician summary", subtitle)
    report.add_page()
    if s is not None and not known:
        # de-identified: the diagnosis date is left out (it is often years before the first visit)
        diagnosed = "post-laminectomy syndrome diagnosed" if deidentified else fbss_diagnosis_text(s["diagnosed_on"])
        counted = (
            " Weeks are counted from the first recorded visit." if deidentified and first_visit is not None else ""
        )
        report.paragraph(
            f"No surgery recorded; {diagnosed}: followed as past every recovery window. "
            "Prior spine surgeries: unknown (operated on elsewhere). "
            f"Current pain {score(s['current_pain'], '/10')}; baseline (the first recorded visit) "
            f"{score(s[['baseline_back', 'baseline_leg', 'baseline_unspecified']].max(), '/10')}.{counted}"
        )
    elif s is not None:
        when = "" if deidentified else f" on {index_date:%Y-%m-%d}"
        report.paragraph(
            f"{procedure_label(s['procedure'])}{when}, "
            f"week {s['weeks_since_surgery']:.0f} of a {int(s['window_weeks'])}-week recovery window; "
            f"{_surgeries(int(s['prior_surgeries']))}. Current pain {score(s['current_pain'], '/10')}; "
            f"baseline {score(s[['baseline_back', 'baseline_leg', 'baseline_unspecified']].max(), '/10')}."
        )
    report.figure(figure, height_mm=100)
    report.heading("Flags")
    if record.flags.empty:
        report.paragraph("No flag.")
    for _, f in record.flags.iterrows():
        if not deidentified:
            reason = f["reason"]
        elif known:
            reason = weeks_instead_of_dates(f["reason"], index_date)
        else:
            reason = weeks_after_first_visit(f["reason"], first_visit)
        report.paragraph(f"{f['severity'].upper()} - {flag_label(f['code'])}: {reason}")
    report.heading("Treatments")
    if record.treatments.empty:
        report.paragraph("No treatment recorded.")
    elif deidentified:
        weeks_from = index_date if known else first_visit
        report.data_table(
            ["Treatment", "Start", "End"],
            (
                [
                    treatment_label(t["code"]),
                    _week(t["start_date"], weeks_from),
                    "single day" if _single_day(t["code"]) else (_week(t["end_date"], weeks_from) or "ongoing"),
                ]
                for _, t in record.treatments.tail(10).iterrows()
            ),
            (90, 45, 45),
        )
    else:
        report.data_table(
            ["Treatment", "Start", "End", "Notes"],
            (
                [
                    treatment_label(t["code"]),
                    day(t["start_date"]),
                    ended(t["code"], t["end_date"]),
                    t["notes"] if isinstance(t["notes"], str) else "",
                ]
                for _, t in record.treatments.tail(10).iterrows()
            ),
            (60, 25, 25, 70),
        )
    return _pdf_bytes(report)
