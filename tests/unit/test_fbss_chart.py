"""The chart of a patient with post-laminectomy syndrome and no recorded surgery runs on dates (issue 14, part 4)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.charts.trajectory import trajectory_figure
from data_model.trajectory import patient_trajectory
from tests.unit.builders import TREATMENT_COLUMNS, Cohort, frame

AS_OF = pd.Timestamp("2026-01-15")


def _fbss_trajectory() -> tuple[pd.DataFrame, pd.DataFrame]:
    cohort = (
        Cohort()
        .visit(1, date(2025, 1, 7), back=6)
        .visit(1, date(2025, 7, 1), back=8)
        .visit(1, date(2025, 12, 9), back=7)
        .fbss(1, date(2023, 3, 1))
    )
    surgeries, visits, _ = cohort.frames()
    treatments = frame(
        [{"patient_id": 1, "treatment_id": 1, "code": "opioid", "start_date": date(2025, 3, 1), "end_date": None}],
        TREATMENT_COLUMNS,
    )
    trajectory = patient_trajectory(surgeries, visits, AS_OF, treatments=treatments, diagnoses=cohort.diagnosis_frame())
    return trajectory, treatments


def test_the_chart_runs_on_visit_dates_with_the_first_visit_as_baseline():
    trajectory, treatments = _fbss_trajectory()
    assert trajectory["weeks_from_surgery"].isna().all()  # no week since an unknown surgery
    figure = trajectory_figure(trajectory, trajectory.iloc[:0], treatments, AS_OF)
    back = next(t for t in figure.data if t.name == "Back pain")
    assert [pd.Timestamp(x) for x in back.x] == [pd.Timestamp(d) for d in ("2025-01-07", "2025-07-01", "2025-12-09")]
    texts = [a.text for a in figure.layout.annotations]
    assert "baseline (first recorded visit) 6" in texts
    assert not any("window" in str(t) for t in texts)  # past every window: none is drawn
    assert figure.layout.xaxis2.title.text.startswith("Visit date")


def test_a_de_identified_chart_names_no_date():
    trajectory, treatments = _fbss_trajectory()
    figure = trajectory_figure(trajectory, trajectory.iloc[:0], treatments, AS_OF, dates=False)
    back = next(t for t in figure.data if t.name == "Back pain")
    # weeks since the first visit: 0, 175 days = 25 weeks, 336 days = 48 weeks
    assert list(back.x) == [0.0, 25.0, 48.0]
    assert "2025" not in figure.to_json()


def test_without_a_treatment_the_chart_keeps_its_dated_axis():
    trajectory, treatments = _fbss_trajectory()
    for dates, first, last in ((True, pd.Timestamp("2025-01-07"), pd.Timestamp("2025-12-09")), (False, 0.0, 48.0)):
        figure = trajectory_figure(trajectory, trajectory.iloc[:0], treatments.iloc[:0], AS_OF, dates=dates)
        # plotly draws the shared axis (dates, or weeks since the first visit) under the treatment lane
        # only when that lane holds a trace: it must span the visits even with no treatment to show
        lane = [t for t in figure.data if t.xaxis == "x2"]
        assert lane, "the treatment lane is empty: the chart would show no dates"
        xs = [pd.Timestamp(v) if dates else v for t in lane for v in t.x]
        assert min(xs) == first and max(xs) == last
        assert figure.layout.xaxis2.title.text.startswith(
            "Visit date" if dates else "Weeks since the first recorded visit"
        )
