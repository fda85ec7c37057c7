"""The expected-recovery band in a patient's exported chart: the figure the downloads and `paintrail export
chart trajectory` draw carries the clinic's course for the patient's procedure, and the image files render."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from dashboard.charts.figure_export import figure_bytes
from dashboard.charts.reports import patient_summary_pdf, trajectory_for_export
from dashboard.cli import app
from data_model import queries
from data_model.access.accounts import add_user
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, write_session
from data_model.migrate import upgrade
from data_model.models import Patient
from data_model.services.evaluation import clinic_curve_as_of, evaluate_clinic
from data_model.services.patient import patient_record
from sample_data.generator import (
    ARCHETYPE_COLUMNS,
    TREATMENT_COLUMNS,
    VISIT_COLUMNS,
    CohortFrames,
    generate_cohort,
)
from sample_data.writer import write_cohort

pytestmark = pytest.mark.xdist_group("kaleido-charts")  # one Chrome for the image tests

TODAY = date(2026, 6, 1)
KEY = "k" * 64
COHORT = generate_cohort(120, 5, TODAY)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('band') / 'band.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        write_cohort(engine, COHORT)
        with write_session(engine) as s:
            set_actor(s, "setup")
            add_user(s, "boss", "admin", "boss-password")
            s.add(Patient(mrn="NOSURGERY1", display_name="Nell Nettlefield", birth_year=1970, sex="female"))
    finally:
        engine.dispose()
    return url


def _read(db: str, work):
    engine = make_engine(db)
    try:
        with read_session(engine) as s:
            return work(s)
    finally:
        engine.dispose()


def _fusion_patients_behind_the_curve() -> tuple[str, int]:
    """(an MRN of a fusion patient, the number of fusion patients with a post-op pain score up to week 26),
    counted from the generated frames: the latest surgery by today is the index, a visit on days 1-188
    after it (weeks 0-26, the ranges OFF_TRACK's curve covers with the default windows) counts."""
    surgeries = COHORT.surgeries.sort_values(["mrn", "surgery_date"]).groupby("mrn").last()
    fusion = surgeries[surgeries["procedure"] == "fusion"]
    visits = COHORT.visits.join(fusion[["surgery_date"]], on="mrn", how="inner")
    days = (visits["visit_date"] - visits["surgery_date"]).dt.days
    scored = visits[["back_pain", "leg_pain"]].notna().any(axis=1)
    behind = visits.loc[scored & days.between(1, 188), "mrn"].unique()
    return str(behind[0]), len(behind)


def test_the_exported_chart_and_summary_carry_the_clinics_course(db, renderer):
    mrn, n = _fusion_patients_behind_the_curve()
    # a few patients per week range are enough here, so the clinic's own course is drawn
    settings = replace(_read(db, queries.load_settings), off_track_min_cohort_patients=3)

    def record(s):
        patient_id = s.scalar(select(Patient.id).where(Patient.mrn == mrn))
        return patient_record(s, patient_id, TODAY, settings, clinic_curve_as_of(s, TODAY, settings))

    rec = _read(db, record)
    for fig in (trajectory_for_export(rec, TODAY), trajectory_for_export(rec, TODAY, KEY)):
        names = [t.name or "" for t in fig.data]
        legend = f"Clinic course after fusion, n = {n} patients: median and 20th–80th percentile"
        assert legend in names and names.index(legend) < names.index("Back pain")
        assert any(t.fill == "toself" and t.name == legend and t.showlegend for t in fig.data)
    png = figure_bytes(trajectory_for_export(rec, TODAY), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    summary = patient_summary_pdf(rec, TODAY)
    assert len(PdfReader(io.BytesIO(summary)).pages) == 1  # the chart with its legend fits the page


def test_the_command_line_export_draws_the_band_against_the_whole_clinic(db, tmp_path):
    mrn, _ = _fusion_patients_behind_the_curve()
    out = tmp_path / "trajectory.html"
    result = CliRunner().invoke(
        app,
        ["export", "chart", "trajectory", "--mrn", mrn, "--identified", "--out", str(out)]
        + ["--as-of", TODAY.isoformat(), "--as-user", "boss", "--db", db],
        env={"PAINTRAIL_PASSWORD": "boss-password"},
    )
    assert result.exit_code == 0, result.output
    # 120 patients: fewer than 30 fusion patients in each week range, so the reference course, said so
    html = out.read_text(encoding="utf-8")  # the figure's JSON escapes the en dash
    assert "Reference course after fusion: median and 20th\\u201380th percentile" in html
    assert "(the clinic has fewer than 30 patients in each week range)" in html


def test_a_patient_without_a_surgery_has_no_band(db):
    def record(s):
        patient_id = s.scalar(select(Patient.id).where(Patient.mrn == "NOSURGERY1"))
        return patient_record(s, patient_id, TODAY, clinic_curve=clinic_curve_as_of(s, TODAY))

    rec = _read(db, record)
    assert rec.expected_band is None
    assert not any("course after" in (t.name or "") for t in trajectory_for_export(rec, TODAY).data)


def test_the_patient_record_judges_off_track_against_the_clinic_as_the_worklist_does(tmp_path):
    # 30 discectomy patients at 2/10 in weeks 2-3 make the clinic's 80th percentile there 2; a patient at
    # 4/10 on two visits in those weeks is above it (OFF_TRACK), though under the reference curve's 4.4
    operated = TODAY - pd.Timedelta(days=25)
    mrns = [f"CLINIC{i:02d}" for i in range(30)] + ["SLOW1"]
    frames = CohortFrames(
        patients=pd.DataFrame({"mrn": mrns, "display_name": "Ada Ambersley", "birth_year": 1970, "sex": "female"}),
        surgeries=pd.DataFrame(
            {"mrn": mrns, "surgery_date": pd.Timestamp(operated), "procedure": "discectomy"}
            | {"spinal_levels": "L4-L5", "surgeon": None, "notes": None}
        ),
        visits=pd.DataFrame(
            [
                {"mrn": m, "visit_date": pd.Timestamp(operated) + pd.Timedelta(days=15), "leg_pain": 2.0}
                for m in mrns[:30]
            ]
            + [
                {"mrn": "SLOW1", "visit_date": pd.Timestamp(operated) + pd.Timedelta(days=d), "leg_pain": 4.0}
                for d in (15, 22)
            ]
        ).reindex(columns=VISIT_COLUMNS),
        treatments=pd.DataFrame(columns=TREATMENT_COLUMNS),
        archetypes=pd.DataFrame(columns=ARCHETYPE_COLUMNS),
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'clinic.db'}")
    try:
        upgrade(engine)
        write_cohort(engine, frames)
        with read_session(engine) as s:
            patient_id = s.scalar(select(Patient.id).where(Patient.mrn == "SLOW1"))
            alone = patient_record(s, patient_id, TODAY)
            judged = patient_record(s, patient_id, TODAY, clinic_curve=clinic_curve_as_of(s, TODAY))
            worklist = evaluate_clinic(s, TODAY).flags
    finally:
        engine.dispose()
    assert "OFF_TRACK" in worklist.loc[worklist["patient_id"] == patient_id, "code"].tolist()
    assert "OFF_TRACK" in judged.flags["code"].tolist()
    assert "above the clinic's 80th percentile (2)" in judged.flags.set_index("code").loc["OFF_TRACK", "reason"]
    assert "OFF_TRACK" not in alone.flags["code"].tolist()  # a curve of one patient: the reference's 4.4
    band = judged.expected_band
    assert band is not None and band.procedure_patients == 31
    assert (band.upper[1], band.median[1], band.lower[1]) == (2.0, 2.0, 2.0)  # weeks 2-3
