"""PDF reports with fpdf2: the cohort report and the one-page clinician summary of a patient."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from fpdf import FPDF

from .figure_export import figure_bytes
from .formatting import flag_label, procedure_label, score, treatment_label

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
        png = figure_bytes(fig, "png", width=1100, height=int(1100 * height_mm / 180))
        if self.get_y() + height_mm > self.h - 20:
            self.add_page()
        self.image(io.BytesIO(png), w=180, h=height_mm)
        self.ln(2)

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[float]) -> None:
        self.set_font(self.family, "", 8)
        with super().table(col_widths=widths, text_align="LEFT", line_height=4.5, first_row_as_headings=True) as t:
            t.row([self.text_of(h) for h in headers])
            for row in rows:
                t.row([self.text_of(v) for v in row])


def _pdf_bytes(report: Report) -> bytes:
    report.alias_nb_pages()
    return bytes(report.output())


def cohort_report_pdf(
    definition: str, as_of: date, summary: pd.DataFrame, figures: dict[str, go.Figure], flagged: pd.DataFrame
) -> bytes:
    """Cohort definition, key figures, the cohort charts, and the flagged patients de-identified.

    `flagged` must already be de-identified (pseudonym, no name, no dates): this function prints it as given.
    """
    report = Report("PainTrail cohort report", f"Cohort: {definition}. As of {as_of:%Y-%m-%d}. Counts are patients.")
    report.add_page()
    report.heading("Key figures")
    rows = []
    for _, r in summary.iterrows():
        rows.append([
            "All procedures" if r["procedure"] == "all" else procedure_label(r["procedure"]),
            f"{int(r['n_patients'])}",
            _share(r["flagged_share"]),
            _share(r["persistent_pain_share"]),
            f"{_share(r['ftp_failure_share'])} of {int(r['n_ftp_eligible'])} ({int(r['n_ftp_missing'])} missing)",
        ])
    report.table(["Procedure", "Patients", "Flagged", "Persistent pain", "No MCID by 3 months"], rows,
                 (50, 20, 20, 30, 60))
    report.paragraph(
        "Failure to progress: patients with a baseline whose 3-month window has closed and who did not reach the "
        "minimal clinically important difference (2 points or 30 %) by then. Patients with no visit are counted as "
        "missing, never as improved."
    )
    for fig in figures.values():
        report.figure(fig)
    report.add_page()
    report.heading(f"Flagged patients ({len(flagged)}), de-identified")
    report.table(
        ["Pseudonym", "Procedure", "Weeks", "Pain", "Flags", "Why"],
        ([r["pseudonym"], r["procedure"], f"{r['weeks_since_surgery']:.0f}", score(r["current_pain"]),
          ", ".join(flag_label(c) for c in r["flags"].split(";")), r["reasons"]] for _, r in flagged.iterrows()),
        (20, 20, 12, 12, 30, 86),
    )
    return _pdf_bytes(report)


def _share(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.0%}"


def patient_summary_pdf(record, figure: go.Figure, as_of: date) -> bytes:  # noqa: ANN001 - services.PatientRecord
    """One page for the clinician: who, where in recovery, the trajectory, flags and treatments."""
    p = record.patient
    subtitle = f"{p['mrn']} - {p['display_name'] or ''} - born {p['birth_year'] or 'unknown'} - as of {as_of:%Y-%m-%d}"
    report = Report("Clinician summary", subtitle)
    report.add_page()
    if not record.status.empty:
        s = record.status.iloc[0]
        report.paragraph(
            f"{procedure_label(s['procedure'])} on {pd.Timestamp(s['index_surgery_date']):%Y-%m-%d}, "
            f"week {s['weeks_since_surgery']:.0f} of a {int(s['window_weeks'])}-week recovery window; "
            f"{int(s['prior_surgeries'])} prior spine surgery(ies). Current pain {score(s['current_pain'])}/10; "
            f"baseline {score(s[['baseline_back', 'baseline_leg', 'baseline_unspecified']].max())}/10."
        )
    report.figure(figure, height_mm=105)
    report.heading("Flags")
    if record.flags.empty:
        report.paragraph("No flag.")
    for _, f in record.flags.iterrows():
        report.paragraph(f"{f['severity'].upper()} - {flag_label(f['code'])}: {f['reason']}")
    report.heading("Treatments")
    if record.treatments.empty:
        report.paragraph("No treatment recorded.")
    else:
        report.table(
            ["Treatment", "Start", "End", "Notes"],
            ([treatment_label(t["code"]), t["start_date"], t["end_date"] or "ongoing", t["notes"] or ""]
             for _, t in record.treatments.tail(12).iterrows()),
            (60, 25, 25, 70),
        )
    return _pdf_bytes(report)
