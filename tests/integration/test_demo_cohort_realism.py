"""The demo cohort, read by the cohort page's own time-point code: every registry time point holds most of
the patients due for it, its medians move as recovery does, and unscheduled visits come at the many times
patients have reasons to come, not in one week the generator chose (which would put a step into every
curve that reads that week: the OFF_TRACK curve, the expected-recovery band)."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pandas as pd
import pytest

from dashboard.cli.serve import DEMO_SEED
from dashboard.demo import DEMO_PATIENTS
from data_model.catalog import TREATMENTS
from data_model.db import make_engine, read_session
from data_model.follow_up import window_days
from data_model.migrate import upgrade
from data_model.services.cohort import CohortFilter, cohort_view
from data_model.services.evaluation import evaluate_clinic
from data_model.settings import DEFAULT_SETTINGS
from sample_data.generator import CohortFrames, generate_cohort
from sample_data.writer import write_cohort

TODAY = date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo() -> CohortFrames:
    return generate_cohort(DEMO_PATIENTS, DEMO_SEED, TODAY)  # what `paintrail demo` writes on that day


@pytest.fixture(scope="module")
def curve(demo, tmp_path_factory) -> pd.DataFrame:
    """The cohort page's pain curve of every patient (time points, n per point, medians)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    try:
        upgrade(engine)
        write_cohort(engine, demo)
        with read_session(engine) as s:
            evaluation = evaluate_clinic(s, TODAY)
    finally:
        engine.dispose()
    return cohort_view(evaluation, CohortFilter()).curve


def test_every_registry_time_point_holds_most_of_the_patients_due_for_it(curve):
    # The generator misses 15 % of registry visits (params.REGISTRY_MISSED), and an unscheduled visit in
    # the window may stand in for a missed one, so about 85 % or more of the patients whose window has
    # closed have a value. 75 % is about three binomial standard deviations below that at the smallest
    # time point (24 months: some 120 patients due, SD 3-4 %), so falling under it means visits moved
    # out of the windows, not chance. A clinic reads a time point only when it holds most of its patients.
    points = curve[curve["time_point"] != "baseline"].groupby("time_point", sort=False)
    for point, rows in points:
        held, due = rows["n_patients"].sum(), (rows["n_patients"] + rows["n_no_visit"]).sum()
        assert due >= 100, point
        assert held / due >= 0.75, (point, held, due)


def test_the_median_moves_between_time_points_less_than_a_meaningful_change(curve):
    # After surgery the clinic's median pain changes gradually (fusion keeps improving to 12 months); a
    # move of the MCID (2 points) or more between neighbouring registry time points would be an artefact
    # of which patients the generator sends to which window. Only points of 30 patients or more are
    # compared: with an interquartile range of 2-3 points their median's standard error is about 0.4
    # points, while at a dozen patients ('other' surgery at 12 months) chance alone moves it by 2.
    post = curve[(curve["time_point"] != "baseline") & (curve["n_patients"] >= 30)]
    compared = []
    for procedure, rows in post.groupby("procedure"):
        medians = rows["median"].tolist()
        for earlier, later in pairwise(medians):
            assert abs(later - earlier) < DEFAULT_SETTINGS.mcid_nrs_points, (procedure, medians)
        if len(medians) >= 3:
            compared.append(procedure)
    assert {"discectomy", "laminectomy", "fusion"} <= set(compared)  # 95 % of the demo's patients


def _unscheduled_weeks(cohort: CohortFrames) -> pd.Series:
    """Completed weeks since the surgery before it, of every post-op visit in the first two years that lies
    outside every registry time point's due window (so no registry visit, save the rare late one)."""
    surgeries = cohort.surgeries.sort_values("surgery_date")
    visits = cohort.visits.sort_values("visit_date")
    index = pd.merge_asof(
        visits[["mrn", "visit_date"]],
        surgeries[["mrn", "surgery_date"]],
        left_on="visit_date",
        right_on="surgery_date",
        by="mrn",
        allow_exact_matches=False,  # a visit on the surgery day is pre-operative
    )
    days = (index["visit_date"] - index["surgery_date"]).dt.days.dropna().to_numpy()
    _, start, end = window_days(DEFAULT_SETTINGS)
    inside = ((days[:, None] >= start) & (days[:, None] <= end)).any(axis=1)
    return pd.Series(days[~inside & (days < 104 * 7)] // 7)


def test_unscheduled_visits_spread_over_the_weeks_not_into_one(demo):
    # Patients come back when pain flares or returns, around an injection, with an early wound or pain
    # problem: at many different times. Spread evenly over the two years such visits would put about 1 %
    # in each week; no week may hold more than 5 %, five times that (a fixed first extra visit on day
    # 60 put 14 % into week 8). And they fall in most weeks outside the registry windows (of the 104
    # weeks, about 60 are outside every window), not in a few.
    weeks = _unscheduled_weeks(demo)
    assert len(weeks) > 500
    share = weeks.value_counts(normalize=True)
    assert share.max() <= 0.05, share.head(3).to_dict()
    assert weeks.nunique() >= 45, sorted(weeks.unique())


def test_visits_made_for_a_procedure_sit_around_it(demo):
    # A visit noted as the review of a procedure comes 2-6 weeks after it; one noted as the assessment
    # before it, 1-4 weeks before, unless the procedure is still to come (after the cohort's day) or a
    # revision surgery replaced it, which leaves few.
    notes = demo.visits.dropna(subset=["notes"])
    t = demo.treatments.assign(label=demo.treatments["code"].map(lambda c: TREATMENTS[c].label.lower()))
    for prefix, low, high, share in (("Review after ", 14, 42, 1.0), ("Assessment before ", -28, -7, 0.9)):
        noted = notes[notes["notes"].str.startswith(prefix)]
        assert len(noted) >= 20, prefix
        pairs = noted.assign(label=noted["notes"].str.removeprefix(prefix)).merge(t, on="mrn")
        days = (pairs["visit_date"] - pairs["start_date"]).dt.days
        matched = pairs[(pairs["label_x"] == pairs["label_y"]) & days.between(low, high)]
        found = noted.merge(
            matched[["mrn", "visit_date"]].drop_duplicates(), on=["mrn", "visit_date"], how="left", indicator=True
        )
        assert (found["_merge"] == "both").mean() >= share, (prefix, (found["_merge"] == "both").mean())
