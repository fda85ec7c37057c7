"""Responder rates at the registry time points: eligible, seen, missing, responders (MCID vs baseline)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from data_model.cohort.figures import RATE_COLUMNS, responder_rates, select_cohort
from data_model.settings import DEFAULT_SETTINGS, FollowUpPoint
from tests.unit.builders import Cohort, day

AS_OF = day(200)  # the 3-month window (days 70-112) has closed for surgeries on day 0


def _frames(cohort: Cohort, as_of=AS_OF):
    surgeries, visits, _ = cohort.frames()
    return surgeries, visits, select_cohort(surgeries, as_of=as_of)


def _rates(cohort: Cohort, as_of=AS_OF, settings=DEFAULT_SETTINGS) -> pd.DataFrame:
    surgeries, visits, selected = _frames(cohort, as_of)
    return responder_rates(surgeries, visits, selected, settings, as_of)


def _outcomes(cohort: Cohort, as_of=AS_OF, point="3 months") -> dict[int, str]:
    """Each patient's outcome at a time point, read from the responder rates of a cohort of that patient alone."""
    surgeries, visits, selected = _frames(cohort, as_of)
    counted = {
        "responder": "n_responders",
        "non_responder": "n_non_responders",
        "missing": "n_missing",
        "no_baseline": "n_no_baseline",
        "not_yet_due": "n_not_yet_due",
    }
    outcomes = {}
    for patient_id in selected["patient_id"]:
        alone = selected[selected["patient_id"] == patient_id]
        rates = responder_rates(surgeries, visits, alone, DEFAULT_SETTINGS, as_of)
        row = _at(rates, alone["procedure"].iloc[0], point)
        [outcome] = [o for o, column in counted.items() if row[column] == 1]
        outcomes[int(patient_id)] = outcome
    return outcomes


def _at(rates: pd.DataFrame, procedure: str, point: str) -> pd.Series:
    rows = rates[(rates["procedure"] == procedure) & (rates["time_point"] == point)]
    assert len(rows) == 1
    return rows.iloc[0]


def _hand_cohort() -> Cohort:
    c = Cohort()
    for pid in (1, 2, 3, 4, 6):
        c.surgery(pid)
        if pid != 6:
            c.visit(pid, day(-7), leg=8)  # baseline leg 8: the MCID target is 5.6 (30 %)
    c.visit(1, day(91), leg=4)  # responder
    c.visit(2, day(91), leg=7)  # non-responder
    c.visit(3, day(75), leg=3).visit(3, day(100), leg=7)  # the day-100 visit is closer to day 91
    c.visit(4, day(130), leg=2)  # improved, but after the window: missing at 3 months
    c.surgery(5, day(150)).visit(5, day(140), leg=8).visit(5, day(190), leg=2)  # too recent
    c.visit(6, day(91), leg=3)  # no baseline
    return c


def test_responder_rates_at_3_months_for_a_hand_cohort():
    row = _at(_rates(_hand_cohort()), "discectomy", "3 months")
    assert row["n_eligible"] == 4  # 1, 2, 3, 4: window closed and a baseline
    assert row["n_with_visit"] == 3
    assert row["n_responders"] == 1 and row["n_non_responders"] == 2
    assert row["responder_rate"] == 1 / 3  # responders / patients with a visit
    assert row["n_missing"] == 1 and row["missing_share"] == 1 / 4
    assert row["n_no_baseline"] == 1  # patient 6: left out, counted
    assert row["n_not_yet_due"] == 1  # patient 5
    assert (row["window_from_weeks"], row["window_to_weeks"]) == (10, 16)


def test_a_missing_visit_is_reported_as_missing_never_as_a_responder():
    outcomes = _outcomes(_hand_cohort())
    assert outcomes == {
        1: "responder",
        2: "non_responder",
        3: "non_responder",
        4: "missing",
        5: "not_yet_due",
        6: "no_baseline",
    }


def test_the_visit_closest_to_the_due_date_decides_and_a_tie_goes_to_the_earlier():
    c = Cohort().surgery(1).visit(1, day(-1), leg=8).visit(1, day(84), leg=3).visit(1, day(98), leg=7)
    assert _outcomes(c) == {1: "responder"}  # days 84 and 98 are both 7 days from day 91


def test_the_window_closes_only_once_as_of_is_past_its_last_day():
    c = Cohort().surgery(1).visit(1, day(-1), leg=8).visit(1, day(112), leg=2)
    assert _outcomes(c, as_of=day(112)) == {1: "not_yet_due"}
    assert _outcomes(c, as_of=day(113)) == {1: "responder"}  # a visit on the last day counts


def test_the_mcid_is_points_or_percent_without_float_noise():
    c = Cohort()
    c.surgery(1).visit(1, day(-1), leg=5).visit(1, day(91), leg=3.5)  # 1.5 points but 30 %
    c.surgery(2).visit(2, day(-1), leg=7).visit(2, day(91), leg=4.9)  # 30 % (7 * 0.7 = 4.8999...)
    c.surgery(3).visit(3, day(-1), leg=8.2).visit(3, day(91), leg=6.2)  # 2 points (8.2 - 6.2 = 1.99...)
    c.surgery(4).visit(4, day(-1), leg=8.2).visit(4, day(91), leg=6.3)  # neither
    c.surgery(5).visit(5, day(-1), leg=0).visit(5, day(91), leg=0)  # nothing to improve on
    assert _outcomes(c) == {1: "responder", 2: "responder", 3: "responder", 4: "non_responder", 5: "non_responder"}


def test_the_primary_site_is_the_one_recovery_compares_the_higher_baseline():
    # back started worse, so back decides: 9 -> 8 is no meaningful improvement, whatever the leg did
    c = Cohort().surgery(1).visit(1, day(-1), back=9, leg=5).visit(1, day(91), back=8, leg=1)
    assert _outcomes(c) == {1: "non_responder"}
    assert bool(c.status(as_of=AS_OF).loc[1, "mcid_met"]) is False


def test_odi_is_the_measure_when_no_pain_score_exists_with_its_own_thresholds():
    c = Cohort().surgery(1).visit(1, day(-1), odi=40).visit(1, day(91), odi=30)  # 10 points
    c.surgery(2).visit(2, day(-1), odi=40).visit(2, day(91), odi=31)  # 9 points, 22.5 %
    assert _outcomes(c) == {1: "responder", 2: "non_responder"}


def test_a_visit_without_a_score_on_the_measure_does_not_count_as_seen():
    c = Cohort().surgery(1).visit(1, day(-1), leg=8).visit(1, day(91), mme=30, numbness=1)
    assert _outcomes(c) == {1: "missing"}


def test_every_procedure_and_time_point_gets_a_row_in_schedule_order():
    c = _hand_cohort().surgery(7, day(0), "fusion").visit(7, day(-3), back=6)
    rates = _rates(c)
    assert list(rates.columns) == list(RATE_COLUMNS)
    points = [p.label for p in DEFAULT_SETTINGS.follow_up_schedule]
    assert rates["time_point"].tolist() == points * 2
    assert rates["procedure"].tolist() == ["discectomy"] * 4 + ["fusion"] * 4
    fusion = _at(rates, "fusion", "3 months")
    assert (fusion["n_eligible"], fusion["n_missing"], fusion["missing_share"]) == (1, 1, 1.0)
    assert np.isnan(fusion["responder_rate"])  # nobody seen: no rate, not 0 %
    assert _at(rates, "discectomy", "12 months")["n_not_yet_due"] == 6


def test_the_schedule_comes_from_settings():
    settings = replace(DEFAULT_SETTINGS, follow_up_schedule=(FollowUpPoint("4 months", 17, 1),))
    rates = _rates(_hand_cohort(), settings=settings)
    row = _at(rates, "discectomy", "4 months")
    # window days 112-126: only patient 4's day-130 visit is near, and outside it
    assert (row["n_eligible"], row["n_missing"], row["n_with_visit"]) == (4, 4, 0)


def _ten_seen() -> Cohort:
    """Ten patients with baseline leg 8 (MCID target 5.6) seen at 3 months: 8 responders, 2 not.
    Patient 10 also had an unscheduled visit on day 60 with leg 2, outside every window: it is
    judged on its 3-month visit (day 95, leg 7), not on the better unscheduled one."""
    c = Cohort()
    for pid in range(1, 11):
        c.surgery(pid).visit(pid, day(-7), leg=8)
    for pid in range(1, 9):
        c.visit(pid, day(91), leg=4)
    c.visit(9, day(91), leg=7)
    c.visit(10, day(60), leg=2).visit(10, day(95), leg=7)
    return c


def test_a_responder_rate_carries_its_95_percent_wilson_interval():
    row = _at(_rates(_ten_seen()), "discectomy", "3 months")
    assert (row["n_responders"], row["n_with_visit"]) == (8, 10)  # patient 10's day-60 visit is in no window
    assert (round(row["rate_low"], 3), round(row["rate_high"], 3)) == (0.490, 0.943)  # by hand, 8 of 10


def test_a_time_point_with_fewer_patients_seen_than_the_setting_is_below_the_minimum():
    assert not _at(_rates(_ten_seen()), "discectomy", "3 months")["below_minimum"]  # 10 seen, minimum 10
    eleven = replace(DEFAULT_SETTINGS, cohort_min_patients=11)
    assert _at(_rates(_ten_seen(), settings=eleven), "discectomy", "3 months")["below_minimum"]
    nobody = _at(_rates(_ten_seen()), "discectomy", "6 weeks")  # nobody seen at 6 weeks
    assert nobody["below_minimum"] and np.isnan(nobody["rate_low"])


def test_every_patient_is_counted_once_at_each_time_point():
    rates = _rates(_hand_cohort())
    total = rates[["n_not_yet_due", "n_no_baseline", "n_missing", "n_responders", "n_non_responders"]].sum(axis=1)
    assert (total == 6).all()  # the six patients of the hand cohort
