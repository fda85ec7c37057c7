"""The expected-recovery band behind a patient's pain trajectory: the clinic's usual course for the procedure.

The band is the one OFF_TRACK compares with (data_model/flags/clinic_curve.py): per week range since
surgery, the clinic's median and the band between the percentile OFF_TRACK uses and its mirror about the
median (80th: 20th-80th) of patients' pain (the worse of back and leg, each patient once per range), or the
documented reference curve where the clinic has too few patients in a range. It is drawn as steps, one level
per week range, because that is what a visit is compared with: no line between ranges suggests a precision
the curve does not have. Clinic and reference ranges are told apart in the legend and the hover, and the
legend says how many patients the clinic's course stands on.
"""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.formatting import procedure_label, score
from data_model.flags.clinic_curve import Bucket, ExpectedBand
from data_model.flags.input import ordinal

CLINIC_FILL = "rgba(110, 110, 110, 0.20)"
REFERENCE_FILL = "rgba(110, 110, 110, 0.10)"
MEDIAN_COLOUR = "#7a7a7a"
OPEN_END_WEEKS = 26.0  # how far an open-ended last range is drawn past its first week
BAND_GROUP = "expected band"


def band_legend(band: ExpectedBand, clinic: bool) -> str:
    """The legend entry: which course, after which surgery, on how many patients, and what is drawn."""
    low, _, high = band.percentiles
    after = procedure_label(band.procedure).lower()
    what = f"median and {ordinal(low)}–{ordinal(high)} percentile"
    if clinic:
        return f"Clinic course after {after}, n = {band.procedure_patients} patients: {what}"
    where = "at " + _weeks_text(band, _runs(band, clinic=False)) if band.from_clinic.any() else "in each week range"
    return f"Reference course after {after}: {what}<br>(the clinic has fewer than {band.min_patients} patients {where})"


def add_expected_band(fig: go.Figure, band: ExpectedBand, row: int = 1, col: int = 1) -> None:
    """The band and its median behind the traces already in the pain panel (row, col) of fig.

    Drawn up to the furthest week the figure already shows (the recovery window, the latest visit or
    treatment), never beyond, so the patient's course keeps its scale."""
    if len(band.buckets) == 0:
        return
    x_end = _furthest_week(fig)
    before = len(fig.data)
    for clinic in (True, False):
        shown = False
        for run in _runs(band, clinic):
            spans = [(i, *_span(band.buckets[i], x_end)) for i in run]
            spans = [(i, a, b) for i, a, b in spans if b > a]
            if not spans:
                continue
            xs = [x for _, a, b in spans for x in (a, b)]
            upper = [float(band.upper[i]) for i, _, _ in spans for _ in (0, 1)]
            lower = [float(band.lower[i]) for i, _, _ in spans for _ in (0, 1)]
            median = [float(band.median[i]) for i, _, _ in spans for _ in (0, 1)]
            hover = [_hover(band, i, clinic) for i, _, _ in spans for _ in (0, 1)]
            name = band_legend(band, clinic)
            fig.add_trace(
                go.Scatter(
                    x=xs + xs[::-1],
                    y=upper + lower[::-1],
                    mode="lines",
                    fill="toself",
                    fillcolor=CLINIC_FILL if clinic else REFERENCE_FILL,
                    fillpattern=None if clinic else {"shape": "/", "fgcolor": "rgba(110, 110, 110, 0.35)", "size": 6},
                    line={"width": 0},
                    name=name,
                    legendgroup=f"{BAND_GROUP} {clinic}",
                    showlegend=not shown,
                    hoverinfo="skip",
                ),
                row=row,
                col=col,
            )
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=median,
                    mode="lines",
                    line={"color": MEDIAN_COLOUR, "width": 1.5, "dash": "solid" if clinic else "dot"},
                    name=name,
                    legendgroup=f"{BAND_GROUP} {clinic}",
                    showlegend=False,
                    customdata=hover,
                    hovertemplate="%{customdata}<extra></extra>",
                ),
                row=row,
                col=col,
            )
            shown = True
    added = len(fig.data) - before
    if added:
        # behind the patient's own lines: first in drawing order
        fig.data = fig.data[before:] + fig.data[:before]


def _runs(band: ExpectedBand, clinic: bool) -> list[list[int]]:
    """The week ranges from the clinic (or from the reference), as runs of neighbouring ranges."""
    runs: list[list[int]] = []
    for i, from_clinic in enumerate(band.from_clinic):
        if bool(from_clinic) != clinic:
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _weeks_text(band: ExpectedBand, runs: list[list[int]]) -> str:
    """'weeks 0–3 and 27–52', 'weeks 53 on'."""
    texts = []
    for run in runs:
        first, last = band.buckets[run[0]], band.buckets[run[-1]]
        texts.append(f"{first.first_week} on" if last.last_week is None else f"{first.first_week}–{last.last_week}")
    return "weeks " + ", ".join(texts[:-1]) + (" and " if len(texts) > 1 else "") + texts[-1]


def _span(bucket: Bucket, x_end: float) -> tuple[float, float]:
    """The range's weeks on the chart's axis (weeks since surgery as fractions): completed weeks
    first_week..last_week are x from first_week up to last_week + 1, cut at x_end."""
    end = bucket.first_week + OPEN_END_WEEKS if bucket.last_week is None else bucket.last_week + 1.0
    return float(bucket.first_week), float(min(end, x_end))


def _hover(band: ExpectedBand, i: int, clinic: bool) -> str:
    b = band.buckets[i]
    low, _, high = band.percentiles
    weeks = f"Weeks {b.first_week} on" if b.last_week is None else f"Weeks {b.first_week}–{b.last_week}"
    n = int(band.patients[i])
    values = (
        f"median {score(float(band.median[i]))}, {ordinal(low)}–{ordinal(high)} percentile "
        f"{score(float(band.lower[i]))}–{score(float(band.upper[i]))}"
    )
    if clinic:
        return f"{weeks}: clinic {values} ({n} patients)"
    return (
        f"{weeks}: reference curve {values}<br>(the clinic has {n} patient{'' if n == 1 else 's'} here, "
        f"fewer than {band.min_patients})"
    )


def _furthest_week(fig: go.Figure) -> float:
    """The largest x the pain chart already reaches: traces' points and shapes such as the window."""
    furthest = 0.0
    for trace in fig.data:
        for x in trace.x if trace.x is not None else ():
            if isinstance(x, (int, float)):
                furthest = max(furthest, float(x))
    for shape in fig.layout.shapes:
        for x in (shape.x0, shape.x1):
            if isinstance(x, (int, float)):
                furthest = max(furthest, float(x))
    return furthest
