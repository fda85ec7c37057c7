"""The clinic's usual pain curve per procedure and week since surgery, with a literature fallback (OFF_TRACK)."""

# The clinic curve
# ----------------
# For each procedure and week bucket, the off_track_percentile (default 80th) of per-patient pain
# over the post-op visits of each patient's index surgery (as of as_of). Per visit, pain is the worse
# of back, leg and unspecified pain. Each patient counts once per bucket, with the mean of their
# visits in it, so a patient seen weekly does not outweigh one seen once. Percentiles interpolate
# linearly between order statistics (numpy's default method). The patient being judged is part of
# the curve: excluding them would cost a second pass per patient, and with the minimum of
# off_track_min_cohort_patients (30) patients per cell one patient moves the 80th percentile little.
# Procedure codes outside the catalogue share the 'other' curve, as they share its window.
#
# The same pass gives the median and the percentile mirrored about it (the 20th for the 80th): with
# the off_track_percentile they make the expected-recovery band the patient chart draws behind a
# patient (Curve.band; dashboard/charts/expected_band.py), cell by cell from the clinic or the
# reference curve exactly as OFF_TRACK's value is, so the chart shows what the flag compares with.
# The band covers the procedure's recovery window only (the cells OFF_TRACK compares its patients
# with): later, the clinic sees between the registry's time points mostly the patients whose pain
# brings them back, which is no expected course.
#
# Week buckets (completed weeks since surgery; day 1-13 is "0-1"): 0-1, 2-3, 4-5, 6-8, 9-13, 14-26,
# 27-52, 53+. Fine early, where pain changes week to week and the discectomy window (6 weeks) ends;
# coarse later, around the registry time points (3, 12, 24 months).
#
# The reference (fallback) curve
# ------------------------------
# A cell with fewer than off_track_min_cohort_patients patients uses the reference curve instead,
# derived from DESIGN.md's outcome figures with a deliberately simple model:
#
# 1. "Relieved" means pain below 4/10 (the persistent-pain threshold). The share relieved at the end
#    of the recovery time W is the anchor: discectomy 91 % at 6 weeks ("leg pain relieved in 91 % by
#    6 weeks"); fusion 40 % at 52 weeks ("only 10-40 % of fusion patients are adequately pain-free",
#    taking the upper end because "pain below 4" is a looser bar than "adequately pain-free", and 52
#    weeks because "fusion keeps improving to 12 months"); laminectomy and other 65 % at 12 weeks
#    (DESIGN.md gives the time, "no improvement by about 3 months means failure", but no share: 65 %
#    is an ASSUMPTION between discectomy's 85 % and fusion's 10-40 %, for the clinic to review).
# 2. Before W the share relieved rises on an exponential path that reaches the anchor at W:
#    p(t) = p_W * (1 - exp(-3 t / W)) / (1 - exp(-3)), t = the bucket's middle week
#    (1, 3, 5, 7.5, 11.5, 20.5, 40, 78); after W it stays at p_W. Discectomy falls back to its
#    long-term 85 % ("discectomy relieves pain in about 85 % of patients": some recur) from the
#    9-13 bucket on.
# 3. Per-patient pain in a bucket is taken as normal with an SD of 2 NRS points, so with a share p
#    below 4/10 the q-th percentile is  4 + 2 * (z(q) - z(p))  (z: the standard normal quantile),
#    clipped to 0-10. FALLBACK_P80 is that at q = 80, rounded to one decimal; other percentiles
#    are computed from the same shares.
#
# The model is conservative where the literature figure is strict (fusion's curve sits high, so
# the fallback rarely calls a fusion patient off track); the clinic's own curve replaces it as soon
# as a cell has enough patients.

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from ..catalog import PROCEDURE_CODES
from ..settings import Settings


@dataclass(frozen=True)
class Bucket:
    label: str
    first_week: int  # completed weeks since surgery, inclusive
    last_week: int | None  # inclusive; None: open-ended


BUCKETS: tuple[Bucket, ...] = (
    Bucket("0-1", 0, 1),
    Bucket("2-3", 2, 3),
    Bucket("4-5", 4, 5),
    Bucket("6-8", 6, 8),
    Bucket("9-13", 9, 13),
    Bucket("14-26", 14, 26),
    Bucket("27-52", 27, 52),
    Bucket("53+", 53, None),
)
BUCKET_LABELS: tuple[str, ...] = tuple(b.label for b in BUCKETS)
_FIRST_WEEKS = np.array([b.first_week for b in BUCKETS])
CURVE_PROCEDURES: tuple[str, ...] = PROCEDURE_CODES  # rows of every curve array, in this order

# --- The reference curve's derivation (see the module comment) ---------------------------------------

RELIEVED_BELOW = 4.0
PAIN_SD = 2.0
BUCKET_MIDDLE_WEEKS = (1.0, 3.0, 5.0, 7.5, 11.5, 20.5, 40.0, 78.0)
# procedure: (share relieved at W, W in weeks, long-term share from week 9 on or None)
RELIEF_ANCHORS: dict[str, tuple[float, float, float | None]] = {
    "discectomy": (0.91, 6.0, 0.85),
    "laminectomy": (0.65, 12.0, None),
    "fusion": (0.40, 52.0, None),
    "other": (0.65, 12.0, None),
}

# The 80th percentile of per-patient pain by procedure and bucket (0-1 ... 53+ weeks), from the
# model above; tests/unit/test_clinic_curve.py recomputes it.
FALLBACK_P80: dict[str, tuple[float, ...]] = {
    "discectomy": (6.3, 4.4, 3.3, 3.0, 3.6, 3.6, 3.6, 3.6),
    "laminectomy": (7.7, 6.4, 5.7, 5.3, 4.9, 4.9, 4.9, 4.9),
    "fusion": (9.7, 8.7, 8.2, 7.8, 7.3, 6.8, 6.3, 6.2),
    "other": (7.7, 6.4, 5.7, 5.3, 4.9, 4.9, 4.9, 4.9),
}


def relieved_share(procedure: str, middle_week: float) -> float:
    """The modelled share of patients with pain below 4/10 at that week (step 2 of the derivation)."""
    share, recovery_weeks, long_term = RELIEF_ANCHORS[procedure]
    if long_term is not None and middle_week >= 9:
        return long_term
    t = min(middle_week, recovery_weeks)
    return share * (1 - math.exp(-3 * t / recovery_weeks)) / (1 - math.exp(-3))


def reference_curve(percentile: float) -> np.ndarray:
    """The reference curve at a percentile: array [procedure (CURVE_PROCEDURES), bucket]."""
    if percentile == 80:
        return np.array([FALLBACK_P80[p] for p in CURVE_PROCEDURES], dtype="float64")
    z = NormalDist().inv_cdf
    return np.array(
        [
            [
                min(10.0, max(0.0, RELIEVED_BELOW + PAIN_SD * (z(percentile / 100) - z(relieved_share(p, w)))))
                for w in BUCKET_MIDDLE_WEEKS
            ]
            for p in CURVE_PROCEDURES
        ]
    )


# --- The clinic curve ------------------------------------------------------------------------------


_BUCKET_OF_WEEK = np.searchsorted(_FIRST_WEEKS, np.arange(_FIRST_WEEKS[-1] + 1), side="right") - 1


def bucket_of(days_since_surgery: np.ndarray) -> np.ndarray:
    """Bucket index per day count since surgery (-1 on or before the surgery day)."""
    d = np.asarray(days_since_surgery)
    bucket = _BUCKET_OF_WEEK[np.clip(d // 7, 0, _FIRST_WEEKS[-1])]  # a table lookup per week
    return np.where(d > 0, bucket, -1)


def buckets_end(days_since_surgery: int) -> float:
    """The first day after the bucket holding the day before this one: the curve up to a window end
    of that many days needs visits before this day only (inf when the open last bucket is reached)."""
    b = int(bucket_of(np.array([max(days_since_surgery - 1, 1)]))[0])
    return float(_FIRST_WEEKS[b + 1] * 7) if b + 1 < len(BUCKETS) else np.inf


def procedure_index(procedures) -> np.ndarray:
    """Row of each procedure code in the curve arrays; unknown codes use the 'other' row."""
    rows = {p: i for i, p in enumerate(CURVE_PROCEDURES)}
    other = rows["other"]
    codes, distinct = pd.factorize(np.asarray(procedures, dtype=object))
    lookup = np.array([rows.get(p, other) for p in distinct] + [other], dtype="int64")
    return lookup[codes]


@dataclass(frozen=True)
class Curve:
    """Arrays [procedure (CURVE_PROCEDURES), bucket (BUCKETS)] of one percentile, with the band around
    the clinic's median that the patient chart draws behind a patient's pain (ExpectedBand)."""

    percentile: float
    patients: np.ndarray  # patients with a post-op pain score in the cell
    clinic: np.ndarray  # the clinic's percentile (NaN without patients)
    reference: np.ndarray
    value: np.ndarray  # what OFF_TRACK compares with: clinic where it has enough patients
    from_clinic: np.ndarray  # bool
    # The band: the median and the percentile mirrored about it (the 20th for the 80th), clinic or
    # reference cell by cell exactly as `value` is; `value` and `mirrored` are its edges.
    median: np.ndarray
    mirrored: np.ndarray
    min_patients: int  # Settings.off_track_min_cohort_patients when the curve was made
    first_seen: np.ndarray  # patients whose first post-op score falls in the cell (sums: distinct patients)
    counted_buckets: int  # the first buckets that were counted from visits (the later ones never are)

    def band(self, procedure: str, window_weeks: float) -> ExpectedBand:
        """The band of one procedure code (outside the catalogue: 'other') over its recovery window: the
        buckets OFF_TRACK compares a patient of that window with (to the end of the one holding its last
        day). Later buckets are left out: past the window the clinic sees mostly the patients whose pain
        brings them back between the registry's time points, which is no expected course."""
        row = int(procedure_index([procedure])[0])
        k = min(self.counted_buckets, int(np.searchsorted(_FIRST_WEEKS * 7, buckets_end(int(window_weeks * 7)))))
        return ExpectedBand(
            procedure=CURVE_PROCEDURES[row],
            percentiles=(
                min(self.percentile, 100 - self.percentile),
                50.0,
                max(self.percentile, 100 - self.percentile),
            ),
            buckets=BUCKETS[:k],
            lower=np.minimum(self.value, self.mirrored)[row, :k],
            median=self.median[row, :k],
            upper=np.maximum(self.value, self.mirrored)[row, :k],
            patients=self.patients[row, :k],
            from_clinic=self.from_clinic[row, :k],
            procedure_patients=int(self.first_seen[row, :k].sum()),
            min_patients=self.min_patients,
        )


@dataclass(frozen=True)
class ExpectedBand:
    """One procedure's row of the curve: per bucket, the low and high percentile and the median that
    the patient chart draws, the patients behind each, and whether the clinic had enough of them."""

    procedure: str
    percentiles: tuple[float, float, float]  # (low, 50, high), e.g. (20, 50, 80)
    buckets: tuple[Bucket, ...]
    lower: np.ndarray
    median: np.ndarray
    upper: np.ndarray
    patients: np.ndarray
    from_clinic: np.ndarray  # bool per bucket; False: the reference curve's values
    procedure_patients: int  # distinct patients of the procedure with a score in any of these buckets
    min_patients: int


def curve_from_visits(
    procedure_row: np.ndarray,
    pos: np.ndarray,
    since_days: np.ndarray,
    pain: np.ndarray,
    settings: Settings,
    counted_to_day: float = np.inf,
) -> Curve:
    """The curve from per-visit arrays: the patient's curve row (procedure_index) by position, each
    visit's patient position, days since the index surgery and pain. Only post-op visits with a
    pain score count; callers pass visits up to as_of only, and, with counted_to_day (a
    buckets_end), only those before that day: the buckets from there on are marked not counted."""
    n_proc, n_bucket = len(CURVE_PROCEDURES), len(BUCKETS)
    b = bucket_of(since_days)
    ok = (b >= 0) & ~np.isnan(pain)
    key = pos[ok].astype("int64") * n_bucket + b[ok]
    size = len(procedure_row) * n_bucket
    counts = np.bincount(key, minlength=size)
    sums = np.bincount(key, weights=pain[ok], minlength=size)
    cells = np.flatnonzero(counts)  # one per patient and bucket
    mean = sums[cells] / counts[cells]
    group = procedure_row[cells // n_bucket] * n_bucket + cells % n_bucket
    # group the cells (a stable sort of small ints is a linear radix sort), then per group only the
    # order statistics the percentiles need (np.partition is linear too)
    values = mean[np.argsort(group.astype("int16"), kind="stable")]
    patients = np.bincount(group, minlength=n_proc * n_bucket)
    starts = np.concatenate(([0], np.cumsum(patients)[:-1]))
    high = settings.off_track_percentile
    wanted = (high, 50.0, 100 - high)  # OFF_TRACK's percentile, then the band's median and other edge
    clinic: np.ndarray = np.full((3, n_proc * n_bucket), np.nan)
    for cell in np.flatnonzero(patients):
        cell_values = values[starts[cell] : starts[cell] + patients[cell]]
        for i, q in enumerate(wanted):
            clinic[i, cell] = _percentile(cell_values, q)
    # cells are in (patient, bucket) order: a patient's first cell is their earliest bucket
    patient_of_cell = cells // n_bucket
    first_cells = cells[np.flatnonzero(np.diff(patient_of_cell, prepend=-1))]
    first_seen = np.bincount(
        procedure_row[first_cells // n_bucket] * n_bucket + first_cells % n_bucket, minlength=n_proc * n_bucket
    ).reshape(n_proc, n_bucket)
    patients = patients.reshape(n_proc, n_bucket)
    clinic = clinic.reshape(3, n_proc, n_bucket)
    from_clinic = patients >= settings.off_track_min_cohort_patients
    reference = reference_curve(high)
    value, median, mirrored = (np.where(from_clinic, clinic[i], reference_curve(q)) for i, q in enumerate(wanted))
    counted = int(np.searchsorted(_FIRST_WEEKS * 7, counted_to_day, side="left"))
    return Curve(
        high,
        patients,
        clinic[0],
        reference,
        value,
        from_clinic,
        median=median,
        mirrored=mirrored,
        min_patients=settings.off_track_min_cohort_patients,
        first_seen=first_seen,
        counted_buckets=counted,
    )


def _percentile(values: np.ndarray, percentile: float) -> float:
    """numpy's default (linear) percentile, from a partial sort."""
    h = (len(values) - 1) * percentile / 100
    low = int(math.floor(h))
    high = min(low + 1, len(values) - 1)
    part = np.partition(values, [low, high])
    return float(part[low] + (h - low) * (part[high] - part[low]))
