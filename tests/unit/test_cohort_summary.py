"""Cohort summary: patients, share flagged, share with persistent pain, failure to progress by 3 months."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_model.cohort.figures import SUMMARY_COLUMNS, select_cohort, summary_figures
from data_model.flags.engine import compute_flags
from data_model.recovery import patient_status
from data_model.settings import DEFAULT_SETTINGS
from tests.unit.builders import Cohort, day

AS_OF = day(300)  # the 3-month window ends on day 112 (13 + 3 weeks) for surgeries on day 0


def _hand_cohort() -> Cohort:
    c = Cohort()
    for pid in (1, 2, 3, 4, 6, 7):
        c.surgery(pid)
    for pid in (1, 2, 3, 4):
        c.visit(pid, day(-5), leg=8)  # baseline 8: MCID at 5.6 or below
    c.visit(1, day(42), leg=3)  # reached the MCID by 3 months
    c.visit(2, day(42), leg=7).visit(2, day(100), leg=7)  # seen, never improved: failure
    c.visit(3, day(130), leg=2)  # first seen after the window end: missing, neither failure nor success
    c.visit(4, day(50), leg=7).visit(4, day(150), leg=2)  # improved, but only after 3 months: failure
    c.surgery(5, day(250), "fusion")  # too recent to judge at 3 months
    c.visit(6, day(91), leg=6)  # no baseline: left out of failure to progress, still flagged
    c.visit(7, day(-5), leg=4.5).visit(7, day(60), leg=3.5)  # 1 point, 22 %: failure, mild pain
    return c


# the flags as the rules would give them (their own tests cover the rules): the counts here must
# follow the flags frame, whatever rules produced it
FLAGS = pd.DataFrame(
    {
        "patient_id": [2, 2, 6, 7, 9],  # 9 is not in the cohort
        "code": [
            "PERSISTENT_PAIN",
            "NO_MEANINGFUL_IMPROVEMENT",
            "PERSISTENT_PAIN",
            "NO_MEANINGFUL_IMPROVEMENT",
            "PERSISTENT_PAIN",
        ],
        "severity": ["high", "medium", "medium", "medium", "high"],
        "reason": ["", "", "", "", ""],
    }
)


def _summary(cohort: Cohort, flags: pd.DataFrame = FLAGS, **kwargs) -> pd.DataFrame:
    surgeries, visits, treatments = cohort.frames()
    status = patient_status(surgeries, visits, treatments, DEFAULT_SETTINGS, AS_OF)
    selected = select_cohort(surgeries, as_of=AS_OF)
    return summary_figures(status, flags, selected, visits, DEFAULT_SETTINGS, AS_OF, **kwargs).set_index("procedure")


def test_failure_to_progress_counts_missing_separately_from_failure_and_success():
    row = _summary(_hand_cohort()).loc["discectomy"]
    assert row["n_ftp_eligible"] == 5  # 1, 2, 3, 4, 7
    assert (row["n_ftp_reached"], row["n_ftp_failure"], row["n_ftp_missing"]) == (1, 3, 1)
    assert row["ftp_failure_share"] == 3 / 5
    assert row["ftp_missing_share"] == 1 / 5
    assert row["ftp_failure_share_seen"] == 3 / 4
    assert row["n_ftp_no_baseline"] == 1  # patient 6
    assert (row["ftp_time_point"], row["ftp_window_end_weeks"]) == ("3 months", 16)


def test_share_flagged_counts_patients_with_any_flag_and_persistent_pain_its_own():
    summary = _summary(_hand_cohort())
    row = summary.loc["discectomy"]
    assert row["n_patients"] == 6
    # flagged: 2 (two flags, counted once), 6 and 7; patient 9 is outside the cohort
    assert (row["n_flagged"], row["flagged_share"]) == (3, 0.5)
    assert (row["n_persistent_pain"], row["persistent_pain_share"]) == (2, 2 / 6)


def test_the_summary_reads_the_flags_the_rules_give():
    surgeries, visits, treatments = _hand_cohort().frames()
    status, flags = compute_flags(surgeries, visits, treatments, DEFAULT_SETTINGS, AS_OF)
    selected = select_cohort(surgeries, as_of=AS_OF)
    row = summary_figures(status, flags, selected, visits, DEFAULT_SETTINGS, AS_OF).set_index("procedure").loc["all"]
    assert row["n_flagged"] == flags["patient_id"].nunique()
    assert row["n_persistent_pain"] == flags.loc[flags["code"] == "PERSISTENT_PAIN", "patient_id"].nunique()
    assert {2, 6} <= set(flags.loc[flags["code"] == "PERSISTENT_PAIN", "patient_id"])


def test_every_procedure_has_a_row_and_all_adds_them_up():
    summary = _summary(_hand_cohort())
    assert list(summary.reset_index().columns) == list(SUMMARY_COLUMNS)
    assert summary.index.tolist() == ["discectomy", "fusion", "all"]
    assert summary.loc["all", "n_patients"] == 7
    assert summary.loc["all", "n_ftp_failure"] == 3
    fusion = summary.loc["fusion"]
    assert fusion["n_ftp_eligible"] == 0 and np.isnan(fusion["ftp_failure_share"])


def test_another_time_point_can_be_asked_for_and_an_unknown_one_is_refused():
    row = _summary(_hand_cohort(), time_point="6 weeks").loc["discectomy"]
    # window end day 56: patient 4 seen on day 50, 2 and 1 on day 42, 3 not yet, 7 not by day 56
    assert (row["n_ftp_reached"], row["n_ftp_failure"], row["n_ftp_missing"]) == (1, 2, 2)
    with pytest.raises(ValueError, match="time_point: '9 months'"):
        _summary(_hand_cohort(), time_point="9 months")


def test_a_status_computed_for_another_as_of_is_refused():
    surgeries, visits, treatments = _hand_cohort().frames()
    status = patient_status(surgeries, visits, treatments, DEFAULT_SETTINGS, day(290))
    selected = select_cohort(surgeries, as_of=AS_OF)
    with pytest.raises(ValueError, match="another as_of"):
        summary_figures(status, FLAGS, selected, visits, DEFAULT_SETTINGS, AS_OF)
