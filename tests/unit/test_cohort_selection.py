"""Selecting a cohort by its index surgery: procedure, surgeon, date range, first or repeat surgery."""

from __future__ import annotations

import pandas as pd
import pytest

from data_model.cohort.figures import COHORT_COLUMNS, select_cohort
from tests.unit.builders import Cohort, day

AS_OF = day(100)


def _surgeries() -> pd.DataFrame:
    cohort = (
        Cohort()
        .surgery(1, day(0), "discectomy")
        .surgery(2, day(-400), "fusion")
        .surgery(2, day(-10), "laminectomy")  # a repeat surgery
        .surgery(3, day(-30), "discectomy")
        .surgery(3, day(200), "fusion")  # the fusion is after as_of
        .surgery(4, day(50), "fusion")
    )
    surgeries = cohort.frames()[0]
    surgeries["surgeon"] = ["Adams", "Brown", "Brown", "Adams", "Clark", "Clark"]
    return surgeries


def _ids(cohort: pd.DataFrame) -> list[int]:
    return sorted(cohort["patient_id"].tolist())


def test_without_filters_every_patient_with_a_surgery_by_as_of_is_in_the_cohort_with_the_index_surgery():
    cohort = select_cohort(_surgeries(), as_of=AS_OF).set_index("patient_id")
    assert list(cohort.columns) == [c for c in COHORT_COLUMNS if c != "patient_id"]
    assert sorted(cohort.index) == [1, 2, 3, 4]
    assert cohort.loc[2, "procedure"] == "laminectomy"
    assert cohort.loc[2, "prior_surgeries"] == 1
    assert cohort.loc[3, "procedure"] == "discectomy"  # the fusion after as_of does not exist yet
    assert cohort.loc[3, "surgeon"] == "Adams"
    assert cohort.loc[1, "days_since_surgery"] == 100


def test_the_procedure_filter_applies_to_the_index_surgery_not_to_earlier_ones():
    assert _ids(select_cohort(_surgeries(), procedures=["fusion"], as_of=AS_OF)) == [4]
    assert _ids(select_cohort(_surgeries(), procedures=["laminectomy", "discectomy"], as_of=AS_OF)) == [1, 2, 3]


def test_the_surgeon_filter_applies_to_the_index_surgery():
    # patient 3's fusion by Clark is after as_of; patient 2's earlier fusion was by Brown too
    assert _ids(select_cohort(_surgeries(), surgeons=["Clark"], as_of=AS_OF)) == [4]
    assert _ids(select_cohort(_surgeries(), surgeons=["Adams"], as_of=AS_OF)) == [1, 3]


def test_the_date_range_includes_both_ends():
    cohort = select_cohort(_surgeries(), date_from=day(-10), date_to=day(0), as_of=AS_OF)
    assert _ids(cohort) == [1, 2]


def test_first_means_no_earlier_surgery_and_repeat_means_at_least_one():
    assert _ids(select_cohort(_surgeries(), surgery_order="first", as_of=AS_OF)) == [1, 3, 4]
    assert _ids(select_cohort(_surgeries(), surgery_order="repeat", as_of=AS_OF)) == [2]


def test_a_later_as_of_makes_the_revision_the_index_surgery():
    cohort = select_cohort(_surgeries(), surgery_order="repeat", as_of=day(250)).set_index("patient_id")
    assert list(cohort.index) == [2, 3]
    assert cohort.loc[3, "procedure"] == "fusion"


def test_filters_that_match_nobody_give_an_empty_frame_with_the_columns():
    cohort = select_cohort(_surgeries(), procedures=["other"], as_of=AS_OF)
    assert cohort.empty
    assert list(cohort.columns) == list(COHORT_COLUMNS)


def test_surgeries_without_a_surgeon_column_still_select():
    surgeries = _surgeries().drop(columns="surgeon")
    assert _ids(select_cohort(surgeries, as_of=AS_OF)) == [1, 2, 3, 4]
    assert select_cohort(surgeries, surgeons=["Adams"], as_of=AS_OF).empty


def test_an_unknown_surgery_order_is_refused_with_its_value():
    with pytest.raises(ValueError, match="surgery_order: 'second'"):
        select_cohort(_surgeries(), surgery_order="second", as_of=AS_OF)
