"""The cohort pain curve OFF_TRACK compares with: the clinic's percentile per procedure and week, and its fallback."""

from __future__ import annotations

import itertools
from dataclasses import replace
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from data_model.flags.clinic_curve import (
    BUCKET_LABELS,
    BUCKET_MIDDLE_WEEKS,
    CURVE_PROCEDURES,
    FALLBACK_P80,
    Curve,
    bucket_of,
    reference_curve,
    relieved_share,
)
from data_model.flags.engine import flags_with_curve
from data_model.settings import DEFAULT_SETTINGS
from tests.unit.builders import Cohort, day, week

LATER = week(60)


def _table(curve: Curve) -> pd.DataFrame:
    """The curve OFF_TRACK compared with, one row per procedure and bucket, to read cells by name."""
    n_proc, n_bucket = curve.value.shape
    return pd.DataFrame(
        {
            "procedure": np.repeat(np.array(CURVE_PROCEDURES, dtype=object), n_bucket),
            "bucket": np.tile(np.array(BUCKET_LABELS, dtype=object), n_proc),
            "patients": curve.patients.ravel(),
            "clinic_value": curve.clinic.ravel(),
            "value": curve.value.ravel(),
            "source": np.where(curve.from_clinic.ravel(), "clinic", "reference").astype(object),
        }
    )


def _curve(cohort: Cohort, as_of=LATER, settings=DEFAULT_SETTINGS):
    """The clinic curve of an evaluation, as flags_with_curve hands it to the app."""
    surgeries, visits, treatments = cohort.frames()
    curve = flags_with_curve(surgeries, visits, treatments, settings, as_of)[2]
    return _table(curve).set_index(["procedure", "bucket"])


# --- The reference (fallback) curve ---------------------------------------------------------------


def test_the_fallback_table_is_what_the_documented_derivation_gives():
    z = NormalDist().inv_cdf
    for procedure in CURVE_PROCEDURES:
        for b, middle in enumerate(BUCKET_MIDDLE_WEEKS):
            share = relieved_share(procedure, middle)
            expected = min(10.0, max(0.0, 4 + 2 * (z(0.8) - z(share))))
            assert FALLBACK_P80[procedure][b] == pytest.approx(expected, abs=0.05), (procedure, BUCKET_LABELS[b])


def test_the_fallback_reaches_the_literature_anchors():
    # discectomy: 91 % relieved at 6 weeks, 85 % in the long run; fusion 40 % at 12 months
    assert relieved_share("discectomy", 6) == pytest.approx(0.91)
    assert relieved_share("discectomy", 40) == pytest.approx(0.85)
    assert relieved_share("fusion", 52) == pytest.approx(0.40)
    assert relieved_share("laminectomy", 12) == pytest.approx(0.65)


def test_the_fallback_falls_as_patients_recover_and_fusion_sits_highest():
    for procedure in ("laminectomy", "fusion", "other"):
        values = FALLBACK_P80[procedure]
        assert all(a >= b for a, b in itertools.pairwise(values)), procedure
    for b in range(len(BUCKET_LABELS)):
        assert FALLBACK_P80["fusion"][b] >= FALLBACK_P80["laminectomy"][b] >= FALLBACK_P80["discectomy"][b]


def test_other_percentiles_come_from_the_same_model():
    at_80 = reference_curve(80)
    assert np.allclose(reference_curve(80.0001), at_80, atol=0.05)
    assert (reference_curve(90) >= at_80).all() and (reference_curve(70) <= at_80).all()
    assert ((reference_curve(99) >= 0) & (reference_curve(99) <= 10)).all()


# --- Buckets ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "label"),
    [
        (1, "0-1"),
        (13, "0-1"),
        (14, "2-3"),
        (27, "2-3"),
        (28, "4-5"),
        (41, "4-5"),
        (42, "6-8"),
        (62, "6-8"),
        (63, "9-13"),
        (97, "9-13"),
        (98, "14-26"),
        (188, "14-26"),
        (189, "27-52"),
        (370, "27-52"),
        (371, "53+"),
        (5000, "53+"),
    ],
)
def test_visits_fall_in_buckets_of_completed_weeks_since_surgery(days, label):
    assert BUCKET_LABELS[bucket_of(np.array([days]))[0]] == label


def test_the_surgery_day_and_before_are_in_no_bucket():
    assert bucket_of(np.array([0, -5])).tolist() == [-1, -1]


# --- The clinic curve --------------------------------------------------------------------------------------


def test_the_curve_has_a_row_per_procedure_and_bucket():
    curve = _curve(Cohort()).reset_index()
    assert len(curve) == len(CURVE_PROCEDURES) * len(BUCKET_LABELS)
    assert (curve["source"] == "reference").all() and (curve["patients"] == 0).all()
    assert curve["value"].tolist() == [v for p in CURVE_PROCEDURES for v in FALLBACK_P80[p]]


def test_the_clinic_percentile_is_numpys_over_one_mean_per_patient():
    rng = np.random.default_rng(3)
    cohort, means = Cohort(), []
    for patient in range(1, 41):
        scores = rng.integers(0, 11, rng.integers(1, 4))
        cohort.surgery(patient)
        for k, score in enumerate(scores):
            cohort.visit(patient, day(15 + k), leg=float(score))
        means.append(scores.mean())
    row = _curve(cohort).loc[("discectomy", "2-3")]
    assert (row["patients"], row["source"]) == (40, "clinic")
    assert row["clinic_value"] == pytest.approx(np.percentile(means, 80))
    assert row["value"] == row["clinic_value"]


def test_a_patient_seen_often_counts_once():
    cohort = Cohort()
    for patient in range(1, 31):
        cohort.surgery(patient).visit(patient, day(20), leg=2)
    cohort.surgery(99)
    for d in range(14, 28):
        cohort.visit(99, day(d), leg=9)  # 14 visits at 9/10 in the same bucket
    row = _curve(cohort).loc[("discectomy", "2-3")]
    assert row["patients"] == 31
    assert row["clinic_value"] == 2  # counting visits, 14 of 44 would sit at 9 and move the 80th percentile there


def test_the_worse_site_of_each_visit_is_the_pain():
    cohort = Cohort()
    for patient in range(1, 31):
        cohort.surgery(patient).visit(patient, day(20), back=5, leg=1)
    assert _curve(cohort).loc[("discectomy", "2-3"), "clinic_value"] == 5


def test_only_post_op_visits_of_the_index_surgery_count():
    cohort = Cohort()
    for patient in range(1, 31):
        (
            cohort.surgery(patient, day(-400))
            .visit(patient, day(-380), leg=9)  # after an earlier surgery
            .surgery(patient, day(0))
            .visit(patient, day(-3), leg=9)
            .visit(patient, day(0), leg=9)  # pre-op
            .visit(patient, day(20), leg=3)
        )
    row = _curve(cohort).loc[("discectomy", "2-3")]
    assert (row["patients"], row["clinic_value"]) == (30, 3)


def test_unknown_procedures_share_the_other_curve():
    cohort = Cohort()
    for patient in range(1, 31):
        cohort.surgery(patient, procedure="kyphoplasty").visit(patient, day(20), leg=3)
    row = _curve(cohort).loc[("other", "2-3")]
    assert (row["patients"], row["source"], row["value"]) == (30, "clinic", 3)


def test_too_few_patients_fall_back_to_the_reference_curve():
    cohort = Cohort()
    for patient in range(1, 30):
        cohort.surgery(patient).visit(patient, day(20), leg=3)
    row = _curve(cohort).loc[("discectomy", "2-3")]
    assert (row["patients"], row["clinic_value"], row["source"]) == (29, 3, "reference")
    assert row["value"] == FALLBACK_P80["discectomy"][1]
    fewer_needed = replace(DEFAULT_SETTINGS, off_track_min_cohort_patients=29)
    assert _curve(cohort, settings=fewer_needed).loc[("discectomy", "2-3"), "source"] == "clinic"


def test_the_curve_is_as_of_a_date():
    cohort = Cohort()
    for patient in range(1, 31):
        cohort.surgery(patient).visit(patient, day(20), leg=3)
    assert _curve(cohort, as_of=day(19)).loc[("discectomy", "2-3"), "patients"] == 0
    assert _curve(cohort, as_of=day(20)).loc[("discectomy", "2-3"), "patients"] == 30
