"""PERSISTENT_PAIN: past the window of the most recent surgery, current pain at or above 4/10."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from data_model.catalog import FLAG_CODES
from data_model.flags.engine import RULES, compute_flags
from data_model.flags.worklist import WORKLIST_COLUMNS, build_worklist
from data_model.settings import DEFAULT_SETTINGS
from tests.unit import builders
from tests.unit.builders import Cohort, day, flag, week

PP = "PERSISTENT_PAIN"
NMI = "NO_MEANINGFUL_IMPROVEMENT"
PAST_WINDOW = (PP, NMI)  # the past-window rules; the other rules have their own test files


def codes(flags: pd.DataFrame, patient_id: int) -> list[str]:
    """The patient's past-window flag codes, in order."""
    return [c for c in builders.codes(flags, patient_id) if c in PAST_WINDOW]


WINDOWS = {"discectomy": 6, "laminectomy": 12, "fusion": 26, "other": 12}


def test_leg_pain_past_the_discectomy_window_is_flagged():
    cohort = Cohort().surgery(1).visit(1, day(-10), leg=8).visit(1, week(14), leg=6)
    row = flag(cohort.flags(as_of=week(15)), 1, PP)
    assert row["severity"] == "medium"
    assert row["reason"] == "Leg pain 6/10 at week 14, past the 6-week discectomy window; baseline 8, 25 % lower"


@pytest.mark.parametrize("procedure", WINDOWS)
def test_pain_on_the_last_day_inside_the_window_is_not_flagged(procedure):
    end = WINDOWS[procedure] * 7
    cohort = Cohort().surgery(1, procedure=procedure).visit(1, day(end - 1), back=8)
    assert codes(cohort.flags(as_of=day(end - 1)), 1) == []
    # nor later: the only evidence is still from inside the window
    assert codes(cohort.flags(as_of=day(end + 100)), 1) == []


@pytest.mark.parametrize("procedure", WINDOWS)
def test_pain_on_the_day_the_window_ends_is_flagged(procedure):
    end = WINDOWS[procedure] * 7
    cohort = Cohort().surgery(1, procedure=procedure).visit(1, day(end), back=8)
    reason = flag(cohort.flags(as_of=day(end)), 1, PP)["reason"]
    assert f"past the {WINDOWS[procedure]}-week " in reason


def test_the_window_follows_the_clinic_settings():
    longer = replace(DEFAULT_SETTINGS, window_weeks={**DEFAULT_SETTINGS.window_weeks, "discectomy": 10})
    cohort = Cohort().surgery(1).visit(1, week(8), leg=7)
    assert codes(cohort.flags(as_of=week(8)), 1) == [PP]
    assert codes(cohort.flags(as_of=week(8), settings=longer), 1) == []


def test_a_revision_restarts_the_clock_and_is_named_in_the_reason():
    cohort = Cohort().surgery(1, day(-300), "discectomy").surgery(1, day(0), "fusion").visit(1, week(20), back=8)
    assert codes(cohort.flags(as_of=week(20)), 1) == []  # inside the new 26-week fusion window
    cohort.visit(1, week(27), back=8)
    reason = flag(cohort.flags(as_of=week(27)), 1, PP)["reason"]
    assert "past the 26-week fusion window (revision: 1 prior surgery)" in reason


def test_two_prior_surgeries_read_in_the_plural():
    cohort = Cohort().surgery(1, day(-600)).surgery(1, day(-300)).surgery(1, day(0)).visit(1, week(8), leg=5)
    assert "(revision: 2 prior surgeries)" in flag(cohort.flags(as_of=week(8)), 1, PP)["reason"]


def test_persistent_pain_without_baseline_is_flagged_and_says_baseline_missing():
    cohort = Cohort().surgery(1, procedure="fusion").visit(1, week(29), back=7.5).visit(1, week(30), back=7.5)
    row = flag(cohort.flags(as_of=week(31)), 1, PP)
    assert row["reason"] == (
        "Back pain 7.5/10 (mean of 2 visits) at week 30, past the 26-week fusion window; baseline missing"
    )
    assert row["severity"] == "high"


@pytest.mark.parametrize(("pain", "flagged"), [(3.99, False), (4.0, True), (4.01, True)])
def test_the_threshold_is_4_out_of_10_with_decimals(pain, flagged):
    cohort = Cohort().surgery(1).visit(1, week(10), leg=pain)
    assert (codes(cohort.flags(as_of=week(10)), 1) == [PP]) is flagged


def test_a_mean_of_exactly_the_threshold_is_flagged():
    cohort = Cohort().surgery(1).visit(1, week(10), leg=4.5).visit(1, week(11), leg=3.2).visit(1, week(12), leg=4.3)
    assert codes(cohort.flags(as_of=week(12)), 1) == [PP]
    cohort = Cohort().surgery(1).visit(1, week(10), leg=4.5).visit(1, week(11), leg=3.2).visit(1, week(12), leg=4.2)
    assert codes(cohort.flags(as_of=week(12)), 1) == []


@pytest.mark.parametrize(("pain", "severity"), [(6.9, "medium"), (7.0, "high"), (10, "high")])
def test_severe_pain_is_high_severity(pain, severity):
    cohort = Cohort().surgery(1).visit(1, week(10), leg=pain)
    assert flag(cohort.flags(as_of=week(10)), 1, PP)["severity"] == severity


def test_leg_pain_alone_is_enough():
    cohort = Cohort().surgery(1).visit(1, week(10), leg=5)
    assert flag(cohort.flags(as_of=week(10)), 1, PP)["reason"].startswith("Leg pain 5/10 at week 10")


def test_the_worse_site_is_reported_when_back_pain_is_worse():
    cohort = Cohort().surgery(1).visit(1, day(-3), back=6, leg=9).visit(1, week(10), back=6, leg=3)
    reason = flag(cohort.flags(as_of=week(10)), 1, PP)["reason"]
    # the improvement is measured where the baseline was worse, and the reason names that site
    assert reason.startswith("Back pain 6/10 at week 10")
    assert reason.endswith("leg pain baseline 9, now 3, 67 % lower")


def test_high_pain_long_ago_and_low_pain_now_is_not_flagged():
    cohort = Cohort().surgery(1).visit(1, week(8), leg=9).visit(1, week(20), leg=2)
    assert codes(cohort.flags(as_of=week(21)), 1) == []


def test_one_low_score_among_recent_high_ones_does_not_clear_the_flag():
    cohort = Cohort().surgery(1).visit(1, week(10), leg=8).visit(1, week(12), leg=8).visit(1, week(13), leg=1)
    row = flag(cohort.flags(as_of=week(13)), 1, PP)
    assert row["reason"].startswith("Leg pain 5.7/10 (mean of 3 visits) at week 13")


def test_relief_after_a_treatment_clears_the_flag():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(10), leg=8)
        .visit(1, week(12), leg=8)
        .treatment(1, "epidural_steroid_injection", week(13))
        .visit(1, week(15), leg=2)
    )
    assert codes(cohort.flags(as_of=week(15)), 1) == []


def test_pain_after_a_failed_treatment_is_still_flagged():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(10), leg=3)
        .treatment(1, "medial_branch_block", week(13))
        .visit(1, week(15), leg=7)
    )
    assert flag(cohort.flags(as_of=week(15)), 1, PP)["severity"] == "high"


def test_pain_relieved_by_a_treatment_months_ago_is_not_flagged():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, day(-5), leg=8)
        .visit(1, week(10), leg=8)
        .visit(1, week(12), leg=8)
        .treatment(1, "radiofrequency_ablation", week(13))
        .visit(1, week(16), leg=2)
        .visit(1, week(40), leg=2)
    )
    assert codes(cohort.flags(as_of=week(44)), 1) == []


def test_the_score_on_the_day_a_treatment_starts_is_the_pre_procedure_score():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(10), leg=8)
        .treatment(1, "epidural_steroid_injection", week(13))
        .visit(1, week(13), leg=8)
        .visit(1, week(15), leg=2)
    )
    assert codes(cohort.flags(as_of=week(15)), 1) == []


def test_a_treatment_started_on_the_latest_visit_day_does_not_narrow_the_scores_yet():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(10), leg=8)
        .visit(1, week(12), leg=6)
        .treatment(1, "medial_branch_block", week(12))
    )
    row = flag(cohort.flags(as_of=week(12)), 1, PP)
    assert row["reason"].startswith("Leg pain 7/10 (mean of 2 visits) at week 12")


def test_an_early_post_op_score_is_never_averaged_into_pain_past_the_window():
    # day 7 at 9/10 and day 42 (the window end) at 3/10: the 6/10 mean must not read as persisting
    cohort = Cohort().surgery(1).visit(1, day(7), leg=9).visit(1, day(42), leg=3)
    assert codes(cohort.flags(as_of=day(42)), 1) == []
    assert codes(cohort.flags(as_of=day(60)), 1) == []


def test_visits_from_before_the_window_end_do_not_dilute_pain_past_it():
    cohort = Cohort().surgery(1).visit(1, day(30), leg=2).visit(1, day(43), leg=5)
    row = flag(cohort.flags(as_of=day(43)), 1, PP)
    assert row["reason"].startswith("Leg pain 5/10 at week 6,")


def test_visits_only_inside_the_window_are_not_flagged_later():
    cohort = Cohort().surgery(1, procedure="laminectomy").visit(1, week(4), back=9).visit(1, week(11), back=9)
    assert codes(cohort.flags(as_of=week(40)), 1) == []


def test_scores_after_as_of_are_ignored():
    cohort = Cohort().surgery(1).visit(1, week(10), leg=2).visit(1, week(30), leg=9)
    assert codes(cohort.flags(as_of=week(20)), 1) == []
    assert codes(cohort.flags(as_of=week(30)), 1) == [PP]


def test_a_surgery_after_as_of_does_not_restart_the_clock_yet():
    cohort = Cohort().surgery(1).visit(1, week(10), leg=6).surgery(1, week(12), "fusion")
    assert codes(cohort.flags(as_of=week(11)), 1) == [PP]
    assert codes(cohort.flags(as_of=week(12)), 1) == []


def test_no_surgery_means_no_flag():
    cohort = Cohort().visit(1, week(10), leg=9)
    assert cohort.flags(as_of=week(40)).empty


def test_every_rule_has_a_catalogue_flag_code():
    assert set(RULES) <= set(FLAG_CODES)


# --- Worklist -----------------------------------------------------------------------------------------


def _worklist(cohort: Cohort, as_of) -> pd.DataFrame:
    status, flags = compute_flags(*cohort.frames(), DEFAULT_SETTINGS, as_of)
    return build_worklist(status, flags[flags["code"].isin(PAST_WINDOW)])


def test_the_worklist_lists_each_flagged_patient_once_most_severe_first():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(10), leg=5)  # medium, 5/10
        .surgery(2)
        .visit(2, day(-2), leg=8)
        .visit(2, week(10), leg=8)  # high, both flags
        .surgery(3)
        .visit(3, week(10), leg=6)  # medium, 6/10
        .surgery(4)
        .visit(4, week(10), leg=1)
    )  # not flagged
    worklist = _worklist(cohort, week(10))
    assert list(worklist.columns) == list(WORKLIST_COLUMNS)
    assert worklist["patient_id"].tolist() == [2, 3, 1]
    top = worklist.iloc[0]
    assert (top["severity"], top["severity_rank"], top["flag_count"]) == ("high", 3, 2)
    assert top["flags"] == "PERSISTENT_PAIN;NO_MEANINGFUL_IMPROVEMENT"
    assert top["reasons"].split(" | ")[0].startswith("Leg pain 8/10")
    assert len(top["reasons"].split(" | ")) == 2
    # the acceptable symptom state in clinic words (8/10 and 5/10 are not; 6/10 neither)
    assert worklist["acceptable_state"].tolist() == ["not acceptable", "not acceptable", "not acceptable"]


def test_the_worklist_says_whether_a_flagged_patient_is_in_the_acceptable_symptom_state():
    cohort = (
        Cohort()
        .surgery(1)
        .visit(1, week(4), weakness=0)
        .visit(1, week(10), leg=2, weakness=1)  # NEW_NERVE_SYMPTOMS, pain 2/10: acceptable
        .surgery(2)
        .visit(2, week(4), weakness=0)
        .visit(2, week(10), weakness=1, mme=5)  # no pain or ODI scored
    )
    status, flags = compute_flags(*cohort.frames(), DEFAULT_SETTINGS, week(10))
    worklist = build_worklist(status, flags).set_index("patient_id")
    assert worklist.loc[1, "acceptable_state"] == "acceptable"
    assert worklist.loc[2, "acceptable_state"] == "not scored"


def test_the_most_severe_flag_comes_first_within_a_patient():
    # 6/10 (medium PERSISTENT) with no improvement at all from 6 (high NO_MEANINGFUL_IMPROVEMENT)
    cohort = Cohort().surgery(1).visit(1, day(-2), leg=6).visit(1, week(10), leg=6)
    row = _worklist(cohort, week(10)).iloc[0]
    assert (row["flags"], row["severity"]) == ("NO_MEANINGFUL_IMPROVEMENT;PERSISTENT_PAIN", "high")


def test_equal_severity_and_pain_puts_the_longest_since_surgery_first():
    cohort = Cohort().surgery(1, day(0)).visit(1, week(20), leg=5).surgery(2, day(-70)).visit(2, week(20), leg=5)
    assert _worklist(cohort, week(20))["patient_id"].tolist() == [2, 1]


def test_no_flags_give_an_empty_worklist_with_every_column():
    worklist = _worklist(Cohort().surgery(1).visit(1, week(10), leg=1), week(10))
    assert worklist.empty and list(worklist.columns) == list(WORKLIST_COLUMNS)


# --- Properties ---------------------------------------------------------------------------------------

_procedure = st.sampled_from(list(WINDOWS))
_pain = st.integers(0, 100).map(lambda x: x / 10)


@hyp_settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(-400, 0), _procedure), min_size=1, max_size=3),
    st.lists(st.tuples(st.integers(-90, 300), _pain, _pain), max_size=8),
    st.integers(0, 300),
)
def test_no_past_window_flag_fires_before_the_window_of_the_latest_surgery_ends(surgeries, visits, as_of_day):
    cohort = Cohort()
    for d, procedure in surgeries:
        cohort.surgery(1, day(d), procedure)
    for d, back, leg in visits:
        cohort.visit(1, day(d), back=back, leg=leg)
    flags = cohort.flags(as_of=day(as_of_day))
    if flags["code"].isin(PAST_WINDOW).any():
        # the index surgery: the latest on or before as_of; on one day, the last one recorded
        index_day, _, procedure = max((d, i, p) for i, (d, p) in enumerate(surgeries) if d <= as_of_day)
        window_end = index_day + WINDOWS[procedure] * 7
        assert as_of_day >= window_end
        assert any(window_end <= d <= as_of_day for d, _, _ in visits)
