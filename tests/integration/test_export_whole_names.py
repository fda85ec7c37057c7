"""Exports whole (issue 13 part 4, the patient half): the trajectory PNG/SVG and the clinician summary PDF of a
patient with six treatments show every treatment name whole, however long."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageFont
from pypdf import PdfReader

from dashboard.charts.figure_export import figure_bytes
from dashboard.charts.reports import patient_summary_pdf, trajectory_for_export
from data_model import commands
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, write_session
from data_model.migrate import upgrade
from data_model.services.patient import patient_record

pytestmark = pytest.mark.xdist_group("kaleido-reports")

TODAY = date(2026, 6, 1)
SURGERY = TODAY - timedelta(weeks=30)
# six treatments, the long names first: these were cut to "cy ablation" and "depressant"
SIX = {
    "neuropathic_agent": "Neuropathic agent (gabapentin, pregabalin)",
    "cbt": "Cognitive behavioural therapy / pain psychology",
    "radiofrequency_ablation": "Radiofrequency ablation",
    "antidepressant": "Antidepressant",
    "epidural_steroid_injection": "Epidural steroid injection",
    "scs_trial": "Spinal cord stimulation trial",
}
SVG = "{http://www.w3.org/2000/svg}"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # wider than the chart's sans-serif


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('whole') / 'whole.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with write_session(engine) as s:
            set_actor(s, "setup")
            p = commands.register_patient(s, {"mrn": "SIX1", "display_name": "Sam Six", "sex": "female"})
            commands.add_surgery(s, p.id, {"surgery_date": SURGERY, "procedure": "fusion"}, today=TODAY)
            for week, pain in ((-1, 8), (6, 7), (14, 6), (26, 6)):
                day = SURGERY + timedelta(weeks=week)
                commands.add_visit(s, p.id, {"visit_date": day, "back_pain": pain, "leg_pain": pain - 1}, today=TODAY)
            for i, code in enumerate(SIX):
                start = SURGERY + timedelta(weeks=8 + 2 * i)
                commands.add_treatment(s, p.id, {"treatment": code, "start_date": start}, today=TODAY)
            patient_id = p.id
        with read_session(engine) as s:
            return patient_record(s, patient_id, TODAY)
    finally:
        engine.dispose()


def _lane_labels(svg: bytes) -> list[tuple[str, float, list[str]]]:
    """(whole text, x where the text ends, its lines) of each y tick label of the treatment lane (y2)."""
    root = ET.fromstring(svg)
    out = []
    for group in root.iter(f"{SVG}g"):
        if "y2tick" not in (group.get("class") or ""):
            continue
        for text in group.iter(f"{SVG}text"):
            lines = [t.text or "" for t in text.iter(f"{SVG}tspan")] or [text.text or ""]
            lines = [line for line in lines if line.strip()]
            move = re.search(r"translate\(([-\d.]+)", text.get("transform") or "")
            end_x = float(text.get("x") or 0) + (float(move.group(1)) if move else 0.0)
            out.append((" ".join(lines), end_x, lines))
    return out


@pytest.mark.parametrize("width", [1200, 900])  # the download's size, and the summary PDF's
def test_the_trajectory_svg_shows_every_treatment_name_whole_inside_the_image(record, renderer, width):
    svg = figure_bytes(trajectory_for_export(record, TODAY), "svg", width=width)
    labels = _lane_labels(svg)
    assert sorted(text for text, _, _ in labels) == sorted(SIX.values())
    font = ImageFont.truetype(str(FONT), 12)
    for text, end_x, lines in labels:
        # right-aligned beside the lane: its widest line must start inside the image (x >= 0)
        widest = max(font.getlength(line) for line in lines)
        assert end_x - widest >= 0, f"{text!r} starts at x={end_x - widest:.0f}: cut at the left edge"


def test_the_trajectory_png_is_drawn_at_print_size(record, renderer):
    png = figure_bytes(trajectory_for_export(record, TODAY), "png")
    width, height = Image.open(io.BytesIO(png)).size
    assert width == 2400 and height >= 2 * (380 + 36 * 6)  # the lane has room for six wrapped names


def test_the_clinician_summary_pdf_names_every_treatment_whole(record, renderer):
    reader = PdfReader(io.BytesIO(patient_summary_pdf(record, TODAY)))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    for name in SIX.values():
        assert name in text, f"{name!r} is not whole in the summary"
    assert "cy ablation" not in text.replace("Radiofrequency ablation", "")
    # the ablation and the injection were single days; the four courses have no end yet
    assert text.count("single day") == 2 and text.count("ongoing") == 4
    assert "00:00:00" not in text and "None" not in text
