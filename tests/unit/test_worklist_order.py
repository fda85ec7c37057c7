"""The worklist's order, reasons and reviews (data_model.services.worklist), on small hand-built lists."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from data_model.services.worklist import WorklistFilter, attach_reviews, filter_worklist, reason_list, sort_worklist


def _list() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [1, 2, 3, 4, 5],
            "mrn": ["M1", "M2", "M3", "M4", "M5"],
            "display_name": ["delta", "Alpha", "charlie", "Bravo", None],
            "severity_rank": [2, 3, 3, 1, 2],
            "current_pain": [5.0, np.nan, 8.0, 3.0, 5.0],
            "weeks_since_surgery": [10.0, 156.0, 30.0, 2.0, 60.0],
            "flag_count": [1, 2, 3, 1, 1],
            "reviewed": [False] * 5,
        }
    )


def _ids(frame: pd.DataFrame) -> list[int]:
    return list(frame["patient_id"])


def test_the_default_order_is_most_severe_then_most_pain_then_longest_since_surgery():
    # high: 3 (pain 8) before 2 (pain unknown, last); medium: 5 and 1 tie on pain, 5 is 60 weeks out
    assert _ids(sort_worklist(_list())) == [3, 2, 5, 1, 4]


def test_weeks_since_surgery_sorts_the_whole_list_both_ways():
    assert _ids(sort_worklist(_list(), "weeks", descending=True)) == [2, 5, 3, 1, 4]
    assert _ids(sort_worklist(_list(), "weeks", descending=False)) == [4, 1, 3, 5, 2]


def test_a_missing_pain_comes_last_whichever_way():
    assert _ids(sort_worklist(_list(), "pain", descending=True)) == [3, 5, 1, 4, 2]
    assert _ids(sort_worklist(_list(), "pain", descending=False)) == [4, 5, 1, 3, 2]


def test_names_sort_without_regard_to_case_and_a_missing_name_comes_last():
    assert _ids(sort_worklist(_list(), "name", descending=False)) == [2, 4, 3, 1, 5]


def test_the_filter_applies_the_order_before_any_page_is_cut():
    whole = filter_worklist(_list(), WorklistFilter(sort_by="weeks", descending=True))
    assert _ids(whole.iloc[:2]) == [2, 5]  # the first "page" of two holds the two longest since surgery


def test_an_unknown_order_is_the_default_one():
    assert _ids(sort_worklist(_list(), "patient_id; drop table")) == [3, 2, 5, 1, 4]


def test_each_reason_is_one_sentence_said_once_in_flag_order():
    joined = "Leg pain 7/10 at week 14 | Baseline 8, 13 % lower | Leg pain 7/10 at week 14 | Weakness new"
    assert reason_list(joined) == ["Leg pain 7/10 at week 14", "Baseline 8, 13 % lower", "Weakness new"]
    assert reason_list(None) == []
    both = "Back pain 9/10 at week 122; baseline 9, unchanged | Back pain 9/10 at week 122; baseline 9, unchanged, short of the MCID"
    assert reason_list(both) == ["Back pain 9/10 at week 122; baseline 9, unchanged, short of the MCID"]
    assert reason_list(float("nan")) == []


def _reviewed(as_of: date | None, recheck: date | None = date(2026, 5, 20), flags: str = "PERSISTENT_PAIN"):
    worklist = pd.DataFrame({"patient_id": [1, 2], "flags": [flags, "WORSENING"]})
    reviews = pd.DataFrame(
        {
            "patient_id": [1],
            "review_id": [7],
            "reviewed_flags": ["PERSISTENT_PAIN;WORSENING"],
            "review_note": ["SCS trial booked"],
            "reviewed_by": ["doc"],
            "reviewed_at": [pd.Timestamp("2026-05-10 12:00", tz="UTC")],
            "recheck_on": [recheck],
            "data_changed_at": [pd.Timestamp("2026-05-01 09:00", tz="UTC")],
        }
    )
    out = attach_reviews(worklist, reviews, as_of).set_index("patient_id")["reviewed"]
    assert not out[2]  # never reviewed
    return bool(out[1])


def test_a_review_never_hides_a_patient_looking_back_to_before_it():
    assert not _reviewed(date(2026, 5, 9))
    assert _reviewed(date(2026, 5, 10))


def test_a_review_holds_until_its_recheck_date_and_then_the_patient_is_back():
    assert _reviewed(date(2026, 5, 19))
    assert not _reviewed(date(2026, 5, 20))
    assert _reviewed(date(2026, 8, 1), recheck=None)


def test_a_flag_the_review_did_not_see_brings_the_patient_back():
    assert not _reviewed(date(2026, 5, 12), flags="PERSISTENT_PAIN;REBOUND")
