"""Time to recovery (the first visit meeting the MCID) and its Kaplan-Meier table, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from data_model.cohort.figures import select_cohort
from data_model.cohort.survival import DURATION_COLUMNS, KM_COLUMNS, kaplan_meier, time_to_recovery
from data_model.recovery import patient_status
from data_model.settings import DEFAULT_SETTINGS
from tests.unit.builders import Cohort, day, week

AS_OF = day(400)


def _durations(cohort: Cohort, as_of=AS_OF) -> pd.DataFrame:
    surgeries, visits, _ = cohort.frames()
    selected = select_cohort(surgeries, as_of=as_of)
    return time_to_recovery(surgeries, visits, selected, DEFAULT_SETTINGS, as_of)


def _hand_cohort() -> Cohort:
    """Recovered at 6, 6 and 13 weeks; censored at 8 and 20 weeks; baseline leg 8 (target 5.6)."""
    c = Cohort()
    for pid in range(1, 8):
        c.surgery(pid)
        if pid != 6:
            c.visit(pid, day(-10), leg=8)
    c.visit(1, week(6), leg=3)
    c.visit(2, week(6), leg=2).visit(2, week(10), leg=7)  # recovered first; a later relapse does not undo it
    c.visit(3, week(6), leg=7).visit(3, week(13), leg=4).visit(3, week(30), leg=1)
    c.visit(4, week(8), leg=7)
    c.visit(5, week(6), leg=7).visit(5, week(20), leg=6.5)  # 1.5 points, 19 %: short
    c.visit(6, week(6), leg=1)  # no baseline
    # patient 7: a baseline but no post-op visit yet
    return c


def test_the_duration_is_the_first_visit_meeting_the_mcid_or_the_last_visit_censored():
    d = _durations(_hand_cohort()).set_index("patient_id")
    assert list(d.columns) == [c for c in DURATION_COLUMNS if c != "patient_id"]
    assert d["duration_weeks"].loc[[1, 2, 3, 4, 5]].tolist() == [6, 6, 13, 8, 20]
    assert d["event"].loc[[1, 2, 3, 4, 5]].tolist() == [1, 1, 1, 0, 0]
    assert d["outcome"].tolist() == ["recovered"] * 3 + ["censored"] * 2 + ["no_baseline", "no_follow_up"]


def test_patients_without_a_baseline_or_follow_up_are_left_out_and_counted():
    d = _durations(_hand_cohort())
    assert d["outcome"].value_counts()[["no_baseline", "no_follow_up"]].tolist() == [1, 1]
    assert d.loc[d["outcome"].isin(["no_baseline", "no_follow_up"]), "event"].isna().all()
    assert kaplan_meier(d)["n_patients"].iloc[0] == 5


def test_kaplan_meier_steps_match_a_hand_computation():
    km = kaplan_meier(_durations(_hand_cohort()))
    assert list(km.columns) == list(KM_COLUMNS)
    # week 0: 5 at risk, S=1; week 6: 2 of 5 recover, S = 3/5; week 8: one censored, S stays;
    # week 13: 1 of 2 recovers, S = 3/5 * 1/2 = 0.3; week 20: the last one censored
    assert km["weeks"].tolist() == [0, 6, 8, 13, 20]
    assert np.allclose(km["survival"], [1, 0.6, 0.6, 0.3, 0.3])
    assert km["at_risk"].tolist() == [5, 5, 3, 2, 1]
    assert km["events"].tolist() == [0, 2, 0, 1, 0]
    assert km["censored"].tolist() == [0, 0, 1, 0, 1]
    assert km["n_events"].iloc[0] == 3


def test_the_median_time_to_recovery_is_the_first_week_the_curve_reaches_one_half():
    assert kaplan_meier(_durations(_hand_cohort()))["median_weeks"].iloc[0] == 13


def test_a_median_never_reached_is_nan():
    c = Cohort().surgery(1).visit(1, day(-1), leg=8).visit(1, week(6), leg=2)
    for pid in (2, 3):
        c.surgery(pid).visit(pid, day(-1), leg=8).visit(pid, week(10), leg=8)
    km = kaplan_meier(_durations(c))
    assert km["survival"].iloc[-1] == 2 / 3
    assert np.isnan(km["median_weeks"].iloc[0])


def test_each_procedure_gets_its_own_curve():
    c = _hand_cohort().surgery(8, procedure="fusion").visit(8, day(-1), back=6).visit(8, week(26), back=3)
    km = kaplan_meier(_durations(c))
    assert km["procedure"].unique().tolist() == ["discectomy", "fusion"]
    fusion = km[km["procedure"] == "fusion"]
    assert fusion["weeks"].tolist() == [0, 26] and fusion["survival"].tolist() == [1, 0]
    assert fusion["median_weeks"].iloc[0] == 26


def test_visits_after_as_of_are_ignored():
    d = _durations(_hand_cohort(), as_of=week(12)).set_index("patient_id")
    assert (d.loc[3, "outcome"], d.loc[3, "duration_weeks"]) == ("censored", 6)  # week 13 not yet


def test_an_empty_cohort_gives_empty_frames():
    surgeries, visits, _ = _hand_cohort().frames()
    selected = select_cohort(surgeries, procedures=["fusion"], as_of=AS_OF)
    d = time_to_recovery(surgeries, visits, selected, DEFAULT_SETTINGS, AS_OF)
    assert d.empty and kaplan_meier(d).empty


# --- The verdict agrees with recovery's MCID ---------------------------------------------------------

scores = st.one_of(st.none(), st.integers(0, 100).map(lambda x: x / 10))


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(scores, scores, scores, scores), min_size=1, max_size=12))
def test_with_one_post_op_visit_recovery_is_exactly_recoverys_mcid_met(patients):
    c = Cohort()
    for pid, (base_back, base_leg, back, leg) in enumerate(patients, start=1):
        c.surgery(pid).visit(pid, day(-3), back=base_back, leg=base_leg)
        c.visit(pid, week(8), back=back, leg=leg)
    surgeries, visits, treatments = c.frames()
    status = patient_status(surgeries, visits, treatments, DEFAULT_SETTINGS, AS_OF).set_index("patient_id")
    d = _durations(c).set_index("patient_id")
    known = status["mcid_met"].notna()
    assert (d.loc[known[known].index, "outcome"] == "recovered").tolist() == status.loc[known, "mcid_met"].tolist()
