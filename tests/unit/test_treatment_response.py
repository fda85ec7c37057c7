"""Pain before and after a treatment started, responder rates per treatment, steps not yet tried."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from data_model.catalog import TREATMENTS
from data_model.settings import DEFAULT_SETTINGS
from data_model.treatment_response import (
    RESPONSE_COLUMNS,
    STEP_COLUMNS,
    TREATMENT_RATE_COLUMNS,
    not_yet_tried,
    per_treatment,
    responder_rates,
)
from tests.unit.builders import Cohort, day

AS_OF = day(400)
START = day(100)


def _per_treatment(cohort: Cohort, as_of=AS_OF, **kwargs) -> pd.DataFrame:
    _, visits, treatments = cohort.frames()
    return per_treatment(visits, treatments, DEFAULT_SETTINGS, as_of, **kwargs).set_index("treatment_id")


def _hand_cohort() -> Cohort:
    c = Cohort()
    # 1: before (day 10 = start - 90, and day 50) 8 and 6 -> 7; after (days 130, 200) 5 and 4 -> 4.5
    c.treatment(1, "epidural_steroid_injection", START)
    c.visit(1, day(9), leg=10)  # start - 91: outside the before window
    c.visit(1, day(10), leg=8).visit(1, day(50), back=6, leg=2)
    c.visit(1, day(120), leg=1)  # start + 20: too early, the injection has not shown its effect
    c.visit(1, day(130), leg=5).visit(1, day(200), back=4)
    c.visit(1, day(281), leg=9)  # start + 181: too late
    # 2: no visit after
    c.treatment(2, "radiofrequency_ablation", START).visit(2, day(90), leg=6)
    # 3: no visit before
    c.treatment(3, "radiofrequency_ablation", START).visit(3, day(150), leg=2)
    # 4: 10 -> 7.5 is 2.5 points but 25 %: short of the 30 % responder threshold
    c.treatment(4, "medial_branch_block", START).visit(4, day(100), leg=10).visit(4, day(280), leg=7.5)
    return c


def test_pain_before_and_after_are_means_over_their_windows():
    row = _per_treatment(_hand_cohort()).loc[1]
    assert (row["pain_before"], row["n_before"]) == (7, 2)
    assert (row["pain_after"], row["n_after"]) == (4.5, 2)
    assert row["change_points"] == 2.5
    assert row["change_percent"] == pytest.approx(100 * 2.5 / 7)
    assert bool(row["responder"]) is True


def test_the_windows_used_are_given_with_each_row():
    row = _per_treatment(_hand_cohort()).loc[1]
    assert (row["before_from"], row["before_to"]) == (pd.Timestamp(day(10)), pd.Timestamp(START))
    assert (row["after_from"], row["after_to"]) == (pd.Timestamp(day(128)), pd.Timestamp(day(280)))
    assert bool(row["after_complete"]) is True


def test_a_missing_side_gives_nan_and_an_unknown_response_never_a_responder():
    pt = _per_treatment(_hand_cohort())
    assert np.isnan(pt.loc[2, "pain_after"]) and pt.loc[2, "n_after"] == 0
    assert np.isnan(pt.loc[3, "pain_before"]) and pt.loc[3, "n_before"] == 0
    assert pt.loc[[2, 3], "responder"].isna().all()
    assert np.isnan(pt.loc[2, "change_points"]) and np.isnan(pt.loc[3, "change_percent"])


def test_the_responder_threshold_is_the_30_percent_reduction_not_2_points():
    row = _per_treatment(_hand_cohort()).loc[4]
    assert (row["change_points"], row["change_percent"]) == (2.5, 25.0)
    assert bool(row["responder"]) is False
    looser = replace(DEFAULT_SETTINGS, mcid_nrs_percent=25.0)
    _, visits, treatments = _hand_cohort().frames()
    again = per_treatment(visits, treatments, looser, AS_OF).set_index("treatment_id")
    assert bool(again.loc[4, "responder"]) is True


def test_visits_and_treatments_after_as_of_are_ignored():
    c = _hand_cohort().treatment(5, "cbt", day(300)).visit(5, day(250), leg=9).visit(5, day(340), leg=2)
    pt = _per_treatment(c, as_of=day(150))
    assert 5 not in pt.index
    row = pt.loc[1]
    assert (row["pain_after"], row["n_after"]) == (5, 1)  # the day-200 visit is after as_of
    assert bool(row["after_complete"]) is False
    assert pt.loc[3, "n_after"] == 1  # day 150 itself counts


def test_the_windows_can_be_changed():
    pt = _per_treatment(_hand_cohort(), before_days=50, after_days=(14, 60))
    row = pt.loc[1]
    assert (row["pain_before"], row["n_before"]) == (6, 1)  # only day 50 (= start - 50)
    assert (row["pain_after"], row["n_after"]) == (3, 2)  # days 120 and 130: 1 and 5
    with pytest.raises(ValueError, match="after_days"):
        _per_treatment(_hand_cohort(), after_days=(60, 14))


def test_every_treatment_row_is_kept_with_the_columns():
    pt = per_treatment(*_hand_cohort().frames()[1:], DEFAULT_SETTINGS, AS_OF)
    assert list(pt.columns) == list(RESPONSE_COLUMNS)
    assert pt["treatment_id"].tolist() == [1, 2, 3, 4]


def test_given_the_surgeries_the_before_window_starts_after_the_latest_surgery():
    c = Cohort().surgery(1, day(0)).treatment(1, "nsaid", day(10))
    c.surgery(2, day(30)).surgery(0, day(8))  # other patients' surgeries change nothing for patient 1
    c.visit(1, day(-5), leg=8).visit(1, day(5), leg=6).visit(1, day(60), leg=4.5)
    surgeries, visits, treatments = c.frames()
    blind = per_treatment(visits, treatments, DEFAULT_SETTINGS, AS_OF).iloc[0]
    assert (blind["pain_before"], bool(blind["responder"])) == (7, True)  # the surgery's relief, credited
    row = per_treatment(visits, treatments, DEFAULT_SETTINGS, AS_OF, surgeries=surgeries).iloc[0]
    assert (row["pain_before"], row["n_before"], row["before_from"]) == (6, 1, pd.Timestamp(day(1)))
    assert (row["change_percent"], bool(row["responder"])) == (25, False)
    assert bool(row["clipped_by_surgery"]) is True
    assert row["after_to"] == pd.Timestamp(day(190))


def test_given_the_surgeries_the_after_window_ends_on_the_next_surgery_day():
    c = Cohort().surgery(1, day(-300)).surgery(1, day(160), "fusion")
    c.treatment(1, "epidural_steroid_injection", START)
    c.visit(1, day(95), leg=8).visit(1, day(150), leg=7).visit(1, day(160), leg=7).visit(1, day(200), leg=2)
    surgeries, visits, treatments = c.frames()
    row = per_treatment(visits, treatments, DEFAULT_SETTINGS, AS_OF, surgeries=surgeries).iloc[0]
    assert (row["after_to"], row["pain_after"], row["n_after"]) == (pd.Timestamp(day(160)), 7, 2)
    assert bool(row["responder"]) is False and bool(row["clipped_by_surgery"]) is True
    assert row["before_from"] == pd.Timestamp(day(10))  # the surgery on day -300 is far before
    # a surgery after as_of is not known yet
    later = per_treatment(visits, treatments, DEFAULT_SETTINGS, day(155), surgeries=surgeries).iloc[0]
    assert later["after_to"] == pd.Timestamp(day(280)) and not later["clipped_by_surgery"]


# --- Responder rates per treatment ----------------------------------------------------------------


def test_responder_rates_count_each_patients_first_course_once():
    c = _hand_cohort()
    # patient 1's second injection (no relief) is not counted: their first course decides
    c.treatment(1, "epidural_steroid_injection", day(300)).visit(1, day(340), leg=9)
    # patient 6: an injection with no visit after it: counted, not evaluable, not a responder
    c.treatment(6, "epidural_steroid_injection", START).visit(6, day(95), leg=7)
    rates = responder_rates(_per_treatment(c).reset_index()).set_index("code")
    assert list(rates.reset_index().columns) == list(TREATMENT_RATE_COLUMNS)
    esi = rates.loc["epidural_steroid_injection"]
    assert (esi["n_patients"], esi["n_evaluable"], esi["n_not_evaluable"]) == (2, 1, 1)
    assert (esi["n_responders"], esi["responder_rate"]) == (1, 1.0)
    rfa = rates.loc["radiofrequency_ablation"]
    assert (rfa["n_patients"], rfa["n_evaluable"], rfa["n_responders"]) == (2, 0, 0)
    assert np.isnan(rfa["responder_rate"])
    assert rates.loc["medial_branch_block", "responder_rate"] == 0.0


def test_the_first_course_is_the_earliest_start_whatever_the_row_order():
    c = Cohort()
    c.treatment(1, "nsaid", day(300))  # entered first, started later
    c.treatment(1, "nsaid", START)
    c.visit(1, day(90), leg=8).visit(1, day(150), leg=2)  # the first course: a responder
    c.visit(1, day(290), leg=8).visit(1, day(350), leg=8)
    rates = responder_rates(_per_treatment(c).reset_index())
    assert (rates.loc[0, "n_patients"], rates.loc[0, "n_responders"]) == (1, 1)


def test_rates_are_in_the_catalogues_stepped_order():
    rates = responder_rates(_per_treatment(_hand_cohort()).reset_index())
    order = list(TREATMENTS)
    assert rates["code"].tolist() == sorted(rates["code"], key=order.index)
    assert rates["label"].iloc[0] == TREATMENTS[rates["code"].iloc[0]].label


# --- Not yet tried --------------------------------------------------------------------------------


def test_not_yet_tried_lists_the_catalogue_in_stepped_order_with_what_was_tried():
    c = Cohort().treatment(1, "epidural_steroid_injection", day(10)).treatment(1, "physical_therapy", day(5))
    c.treatment(1, "physical_therapy", day(50)).treatment(1, "homeopathy", day(7))
    steps = not_yet_tried(c.frames()[2])
    assert list(steps.columns) == list(STEP_COLUMNS)
    assert steps["code"].tolist() == list(TREATMENTS)  # the catalogue is written in stepped order
    assert steps["step"].is_monotonic_increasing
    tried = steps.set_index("code")
    assert tried.loc["physical_therapy", "courses"] == 2
    assert tried.loc["physical_therapy", "first_start"] == pd.Timestamp(day(5))
    untried = steps.loc[~steps["tried"], "code"].tolist()
    assert untried[:5] == ["nsaid", "neuropathic_agent", "muscle_relaxant", "antidepressant", "opioid"]
    assert "physical_therapy" not in untried and "epidural_steroid_injection" not in untried
    assert "cbt" in untried and len(untried) == len(TREATMENTS) - 2  # homeopathy is not a step


def test_not_yet_tried_ignores_treatments_after_as_of_and_refuses_several_patients():
    c = Cohort().treatment(1, "nsaid", day(10)).treatment(1, "opioid", day(200))
    steps = not_yet_tried(c.frames()[2], as_of=day(100)).set_index("code")
    assert steps.loc["nsaid", "tried"] and not steps.loc["opioid", "tried"]
    assert not not_yet_tried(Cohort().frames()[2])["tried"].any()
    with pytest.raises(ValueError, match="one patient"):
        not_yet_tried(c.treatment(2, "cbt", day(3)).frames()[2])
