"""Invariants of every flag rule together: nothing dated after as_of counts, and row order does not matter."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from data_model.flags.engine import compute_flags
from data_model.settings import DEFAULT_SETTINGS
from tests.unit.builders import Cohort, day

# A clinic curve from 2 patients, so that small random cohorts exercise it too.
SMALL_CLINIC = replace(DEFAULT_SETTINGS, off_track_min_cohort_patients=2)

_score = st.one_of(st.none(), st.integers(0, 20).map(lambda x: x / 2))
_flag01 = st.one_of(st.none(), st.sampled_from([0.0, 1.0]))
_mme = st.one_of(st.none(), st.sampled_from([0.0, 20.0, 50.0, 90.0, 120.0]))
_visit = st.tuples(
    st.integers(1, 3),
    st.integers(-120, 500),
    _score,
    _score,
    st.one_of(st.none(), st.integers(0, 100)),
    _flag01,
    _flag01,
    _flag01,
    _mme,
)
_surgery = st.tuples(
    st.integers(1, 4), st.integers(-300, 300), st.sampled_from(["discectomy", "laminectomy", "fusion", "other"])
)
_treatment = st.tuples(
    st.integers(1, 4),
    st.sampled_from(["opioid", "epidural_steroid_injection", "physical_therapy"]),
    st.integers(-100, 500),
    st.one_of(st.none(), st.integers(0, 300)),
)


def _cohort(surgeries, visits, treatments) -> Cohort:
    cohort = Cohort()
    for pid, d, procedure in surgeries:
        cohort.surgery(pid, day(d), procedure)
    for pid, d, back, leg, odi, numbness, tingling, weakness, mme in visits:
        cohort.visit(
            pid, day(d), back=back, leg=leg, odi=odi, numbness=numbness, tingling=tingling, weakness=weakness, mme=mme
        )
    for pid, code, start, length in treatments:
        cohort.treatment(pid, code, day(start), None if length is None else day(start + length))
    return cohort


def _flags(cohort: Cohort, as_of_day: int, settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    return compute_flags(*cohort.frames(), settings, day(as_of_day))


@hyp_settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_surgery, max_size=5),
    st.lists(_visit, max_size=20),
    st.lists(_treatment, max_size=4),
    st.integers(0, 400),
    st.lists(_visit, max_size=6),
    st.lists(_treatment, max_size=3),
    st.lists(_surgery, max_size=2),
    st.sampled_from([DEFAULT_SETTINGS, SMALL_CLINIC]),
)
def test_no_rule_reads_data_dated_after_as_of(
    surgeries, visits, treatments, as_of_day, later_visits, later_treatments, later_surgeries, settings
):
    before = _flags(_cohort(surgeries, visits, treatments), as_of_day, settings)
    after_as_of = as_of_day + 1
    more = _cohort(
        surgeries + [(pid, after_as_of + abs(d), p) for pid, d, p in later_surgeries],
        visits + [(pid, after_as_of + abs(d), *rest) for pid, d, *rest in later_visits],
        treatments + [(pid, code, after_as_of + abs(start), length) for pid, code, start, length in later_treatments],
    )
    after = _flags(more, as_of_day, settings)
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_surgery, max_size=5),
    st.lists(_visit, max_size=20),
    st.lists(_treatment, max_size=4),
    st.integers(0, 500),
    st.randoms(use_true_random=False),
    st.sampled_from([DEFAULT_SETTINGS, SMALL_CLINIC]),
)
def test_row_order_changes_no_flag(surgeries, visits, treatments, as_of_day, rnd, settings):
    frames = _cohort(surgeries, visits, treatments).frames()
    shuffled = [f.sample(frac=1, random_state=rnd.randint(0, 2**31)).reset_index(drop=True) for f in frames]
    expected = compute_flags(*frames, settings, day(as_of_day))
    actual = compute_flags(*shuffled, settings, day(as_of_day))
    pd.testing.assert_frame_equal(actual[0], expected[0])
    pd.testing.assert_frame_equal(actual[1], expected[1])


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_surgery, min_size=1, max_size=5),
    st.lists(_visit, max_size=20),
    st.lists(_treatment, max_size=4),
    st.integers(0, 500),
)
def test_every_flag_has_a_known_severity_and_a_reason_with_no_unknown_numbers(surgeries, visits, treatments, as_of_day):
    _, flags = _flags(_cohort(surgeries, visits, treatments), as_of_day, SMALL_CLINIC)
    assert flags["severity"].isin(["low", "medium", "high"]).all()
    assert flags["reason"].str.len().gt(0).all()
    assert not flags["reason"].str.contains(r"\?|nan|NaT", regex=True).any(), flags["reason"].tolist()
    assert not flags.duplicated(["patient_id", "code"]).any()
