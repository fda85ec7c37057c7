"""`paintrail export chart`: real PNG, SVG, PDF and HTML files of the cohort charts and a trajectory.

Images come from one kaleido (Chrome) server for the whole module: about 8 images in all, since each
takes 0.2-1 s warm and several seconds cold on CI's two cores.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import kaleido
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from dashboard.charts import figure_export
from dashboard.cli import app
from data_model.access.accounts import add_user
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, write_session
from data_model.exchange.pseudonyms import pseudonym
from data_model.migrate import upgrade
from data_model.models import AuditEntry, Patient, SiteSecret, Surgery
from sample_data.generator import generate_cohort
from sample_data.writer import write_cohort

pytestmark = pytest.mark.xdist_group("kaleido-charts")  # one worker, so one Chrome, for the module

TODAY = "2026-06-01"
COHORT_CHARTS = ("pain_curve", "responders", "time_to_recovery", "treatment_response")
runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('charts') / 'charts.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        write_cohort(engine, generate_cohort(40, 8, date.fromisoformat(TODAY)))
        with write_session(engine) as s:
            set_actor(s, "setup")
            add_user(s, "doc", "clinician", "doc-password")
            add_user(s, "boss", "admin", "boss-password")
    finally:
        engine.dispose()
    return url


def query(db: str, read):
    engine = make_engine(db)
    try:
        with read_session(engine) as s:
            return read(s)
    finally:
        engine.dispose()


def chart(db: str, *args: str, user: str = "doc"):
    return runner.invoke(
        app,
        ["export", "chart", *args, "--as-of", TODAY, "--as-user", user, "--db", db],
        env={"PAINTRAIL_PASSWORD": f"{user}-password"},
    )


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_text(path: Path) -> str:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    return " ".join(t for el in root.iter() for t in (el.text or "",) if t.strip())


def test_every_cohort_chart_exports_as_a_real_file_of_its_format(db, renderer, tmp_path):
    files = {"pain_curve": "png", "responders": "svg", "time_to_recovery": "pdf", "treatment_response": "html"}
    for name, fmt in files.items():
        result = chart(db, name, "--out", str(tmp_path / f"{name}.{fmt}"))  # the format from the extension
        assert result.exit_code == 0, result.output
        assert f"({fmt.upper()})" in result.stdout

    assert png_size((tmp_path / "pain_curve.png").read_bytes()) == (2400, 1400)  # print size, 2x scale
    text = svg_text(tmp_path / "responders.svg")
    assert "n = " in text and "Responders, % of patients seen" in text  # the n, and the axis with its unit
    assert "Cohort: all procedures; as of 01 Jun 2026" in text  # the definition and the date, in the image
    pdf = (tmp_path / "time_to_recovery.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(PdfReader(tmp_path / "time_to_recovery.pdf").pages) >= 1
    html = (tmp_path / "treatment_response.html").read_text(encoding="utf-8")
    assert "plotly" in html and "Responders per treatment" in html and "n = " in html


def test_the_cohort_options_narrow_the_chart_to_that_cohort(db, tmp_path):
    fusion = query(db, lambda s: len(set(s.scalars(select(Surgery.patient_id).where(Surgery.procedure == "fusion")))))
    out = tmp_path / "fusion.html"

    result = chart(db, "pain_curve", "--procedure", "fusion", "--surgery", "any", "--format", "html", "--out", str(out))

    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Fusion (n = " in html and "Discectomy (n = " not in html
    assert "Cohort: fusion; as of 01 Jun 2026" in html
    shown = int(re.search(r"Pain after surgery by procedure \(n = (\d+) patients?\)", html).group(1))
    assert 0 < shown <= fusion


def test_a_trajectory_is_deidentified_by_default_and_identified_for_an_admin(db, renderer, tmp_path):
    patient = query(db, lambda s: s.scalar(select(Patient).order_by(Patient.id)))
    surgery_day = query(db, lambda s: s.scalar(select(Surgery.surgery_date).where(Surgery.patient_id == patient.id)))
    hidden, shown, image = tmp_path / "hidden.html", tmp_path / "shown.html", tmp_path / "trajectory.png"

    results = [
        chart(db, "trajectory", "--mrn", patient.mrn, "--out", str(hidden)),
        chart(db, "trajectory", "--mrn", patient.mrn, "--out", str(shown), "--identified", user="boss"),
        chart(db, "trajectory", "--mrn", patient.mrn, "--format", "png", "--out", str(image)),
    ]

    assert [r.exit_code for r in results] == [0, 0, 0], [r.output for r in results]
    key = query(db, lambda s: s.scalar(select(SiteSecret.value)))
    text = hidden.read_text(encoding="utf-8")
    assert f"Pain trajectory of {pseudonym(patient.mrn, key)} (n = " in text
    assert patient.mrn not in text and patient.display_name not in text
    assert surgery_day.isoformat() not in text  # weeks since surgery only, no calendar date
    assert f"Pain trajectory of {patient.mrn}" in shown.read_text(encoding="utf-8")
    assert png_size(image.read_bytes())[0] == 2400
    audited = query(
        db,
        lambda s: s.scalars(
            select(AuditEntry.patient_id).where(AuditEntry.action == "export_chart", AuditEntry.patient_id.is_not(None))
        ).all(),
    )
    assert audited == [patient.id] * 3


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["bogus", "--format", "png", "--out", "x.png"], "NAME: 'bogus' is not one of pain_curve"),
        (["pain_curve", "--format", "gif", "--out", "x.gif"], "--format: 'gif' is not one of png, svg, pdf, html"),
        (["pain_curve", "--out", "x"], "--format: give one of png, svg, pdf, html"),
        (["trajectory", "--format", "png", "--out", "x.png"], "--mrn: give it with NAME trajectory"),
        (["pain_curve", "--procedure", "hip", "--out", "x.png"], "--procedure: 'hip' is not one of"),
        (
            ["pain_curve", "--surgery", "second", "--out", "x.png"],
            "--surgery: 'second' is not one of any, first, repeat",
        ),
        (["pain_curve", "--from", "2026-13-01", "--out", "x.png"], "--from: '2026-13-01' is not a date"),
        (["pain_curve", "responders", "--out", "x.png"], "Got unexpected extra argument"),
        (["--all", "pain_curve", "--out", "x"], "--all writes every cohort chart: leave out NAME"),
    ],
)
def test_a_bad_name_format_or_option_is_a_one_line_error_and_writes_nothing(db, tmp_path, args, fragment, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = chart(db, *args)

    assert result.exit_code in (1, 2), result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_mrn_is_a_one_line_error(db, tmp_path):
    result = chart(db, "trajectory", "--mrn", "NOPE-1", "--out", str(tmp_path / "x.png"))

    assert "--mrn: 'NOPE-1' is not a patient" in one_line_error(result) and not (tmp_path / "x.png").exists()


# Last in the module: it stops the module's server to watch a batch start and stop its own, once.
def test_all_writes_the_four_cohort_charts_with_one_chart_server_and_a_line_per_chart(
    db, renderer, tmp_path, monkeypatch
):
    figure_export.stop_server()
    starts, stops = [], []
    real_start, real_stop = kaleido.start_sync_server, kaleido.stop_sync_server
    monkeypatch.setattr(kaleido, "start_sync_server", lambda *a, **k: starts.append(1) or real_start(*a, **k))
    monkeypatch.setattr(kaleido, "stop_sync_server", lambda *a, **k: stops.append(1) or real_stop(*a, **k))
    out = tmp_path / "charts"

    result = chart(db, "--all", "--format", "svg", "--out", str(out))

    assert result.exit_code == 0, result.output
    assert (len(starts), len(stops)) == (1, 1)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"paintrail-{n}.svg" for n in COHORT_CHARTS)
    assert all("n = " in svg_text(p) for p in out.iterdir())
    progress = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert [line.split("]")[0] + "]" for line in progress] == ["[1/4]", "[2/4]", "[3/4]", "[4/4]"]
    assert all(name in line for name, line in zip(COHORT_CHARTS, progress, strict=True))
