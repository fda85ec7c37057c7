"""Plotly figure builders (DataFrame in, Figure out), shared by the pages and the exports."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.expected_band import add_expected_band
from dashboard.formatting import procedure_label, score, treatment_label
from data_model.catalog import TREATMENTS
from data_model.flags.clinic_curve import ExpectedBand

BACK_COLOUR = "#1f77b4"
LEG_COLOUR = "#d62728"
OTHER_COLOUR = "#7f7f7f"
GROUP_COLOURS = {
    "medication": "#8c564b",
    "rehabilitation": "#2ca02c",
    "behavioural": "#9467bd",
    "interventional": "#ff7f0e",
    "neuromodulation": "#17becf",
    "complementary": "#bcbd22",
}


def _weeks(dates: pd.Series, index_date: pd.Timestamp) -> pd.Series:
    return (pd.to_datetime(dates) - index_date).dt.days / 7.0


def trajectory_figure(
    trajectory: pd.DataFrame,
    surgeries: pd.DataFrame,
    treatments: pd.DataFrame,
    as_of: pd.Timestamp,
    title: str = "Pain trajectory",
    dates: bool = True,
    band: ExpectedBand | None = None,
) -> go.Figure:
    """Back and leg pain against weeks since the index surgery, with baseline, MCID target, recovery
    window, earlier surgeries and the treatments tried in a lane below.

    The title gets the number of visits drawn. dates=False (a de-identified export) names no calendar
    date anywhere, in the axis title or the hover: only weeks since surgery. band: the clinic's usual
    course for the procedure (PatientRecord.expected_band), drawn behind the patient's pain.
    """
    from dashboard.charts.dated_trajectory import dated_trajectory_figure, surgery_unknown  # it imports this module

    if surgery_unknown(trajectory):  # post-laminectomy syndrome, no surgery recorded: on dates (data_model/fbss.py)
        return dated_trajectory_figure(trajectory, treatments, as_of, title, dates)
    fig = pain_over_treatments(treatments)
    missing = missing_trajectory(surgeries, trajectory, dates)
    if missing and (trajectory.empty or trajectory["index_surgery_date"].isna().all()):
        fig.add_annotation(text=missing, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        fig.update_layout(title=f"{title} (n = 0 visits)")
        return fig
    first = trajectory.iloc[0]
    index_date = pd.Timestamp(first["index_surgery_date"])
    x = trajectory["weeks_from_surgery"]
    hover = trajectory["visit_date"].dt.strftime("%Y-%m-%d") if dates else "week " + x.map(lambda w: f"{w:.0f}")
    for column, name, colour in (
        ("back_pain", "Back pain", BACK_COLOUR),
        ("leg_pain", "Leg pain", LEG_COLOUR),
        ("pain_unspecified", "Pain (site not recorded)", OTHER_COLOUR),
    ):
        values = trajectory[column]
        if values.notna().any():
            mask = values.notna()
            fig.add_trace(
                go.Scatter(
                    x=x[mask],
                    y=values[mask],
                    mode="lines+markers",
                    name=name,
                    line={"color": colour},
                    customdata=hover[mask],
                    hovertemplate="%{customdata}: %{y:.1f}/10<extra>" + name + "</extra>",
                ),
                row=1,
                col=1,
            )
    window = float(first["window_weeks"])
    fig.add_vrect(
        x0=0,
        x1=window,
        fillcolor="#2ca02c",
        opacity=0.08,
        line_width=0,
        row=1,
        col=1,
        annotation_text=f"{window:g}-week {procedure_label(first['procedure']).lower()} window",
        annotation_position="top left",
    )
    baseline = first["baseline_pain"]
    if pd.notna(baseline):
        fig.add_hline(
            y=baseline,
            line_dash="dash",
            line_color="#444",
            row=1,
            col=1,
            annotation_text=f"baseline {score(baseline)}",
            annotation_position="bottom right",
        )
        fig.add_hline(
            y=first["mcid_target_pain"],
            line_dash="dot",
            line_color="#2ca02c",
            row=1,
            col=1,
            annotation_text=f"meaningful improvement ≤ {score(first['mcid_target_pain'])}",
            annotation_position="bottom right",
        )
    for _, surgery in surgeries.iterrows():
        week = (pd.Timestamp(surgery["surgery_date"]) - index_date).days / 7.0
        fig.add_vline(x=week, line_color="#000", line_width=1.5, row="all", col=1)
        fig.add_annotation(
            x=week,
            y=10.4,
            text=procedure_label(surgery["procedure"]),
            showarrow=False,
            textangle=-90,
            xanchor="right",
            yanchor="top",
            font={"size": 10},
            row=1,
            col=1,
        )
    _treatment_lanes(fig, treatments, index_date, as_of, dates)
    if band is not None:
        add_expected_band(fig, band)
    fig.update_yaxes(title_text="Pain (NRS 0–10)", range=[0, 10.5], row=1, col=1)
    surgery = procedure_label(first["procedure"]).lower() + (f" of {index_date:%Y-%m-%d}" if dates else "")
    fig.update_xaxes(title_text=f"Weeks since {surgery}", row=2, col=1)
    visits = int(trajectory[["back_pain", "leg_pain", "pain_unspecified"]].notna().any(axis=1).sum())
    fig.update_layout(
        title=f"{title} (n = {visits} visit{'' if visits == 1 else 's'})",
        hovermode="closest",
        legend={"orientation": "h", "y": -0.15},
        margin={"l": lane_margin([treatment_label(c) for c in treatments.get("code", [])]), "r": 20, "t": 60, "b": 60},
    )
    return fig


def pain_over_treatments(treatments: pd.DataFrame) -> go.Figure:
    """The chart's frame: pain on top, the treatment lanes under it on the same time axis. The lanes
    grow with the number of distinct treatments so every label stays readable."""
    lanes = max(treatments["code"].nunique() if not treatments.empty else 0, 1)
    lane_px, pain_px = LANE_PX * lanes + 30, 380
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[pain_px / (pain_px + lane_px), lane_px / (pain_px + lane_px)],
    )
    fig.update_layout(height=pain_px + lane_px + 140)
    return fig


def _when(day: object, week: float, dates: bool) -> str:
    return f"{pd.Timestamp(day):%Y-%m-%d}" if dates else f"week {week:.0f}"


LABEL_WRAP = 24  # characters per line of a treatment name in the lane
LABEL_PX_PER_CHAR = 7.5  # a 12 px sans-serif at its widest ordinary letters, with room to spare
LANE_PX = 36  # one lane: two lines of a wrapped name


def wrapped(label: str, width: int = LABEL_WRAP) -> str:
    """A treatment name wrapped at word boundaries (plotly's <br>), whole: never cut."""
    return "<br>".join(textwrap.wrap(label, width, break_long_words=False)) or label


def lane_margin(labels: list[str]) -> int:
    """Left margin (px) that holds the longest line of the wrapped names beside the lane."""
    longest = max((len(line) for label in labels for line in wrapped(label).split("<br>")), default=0)
    return max(60, int(longest * LABEL_PX_PER_CHAR) + 30)


def missing_trajectory(surgeries: pd.DataFrame, trajectory: pd.DataFrame, dates: bool = True) -> str | None:
    """What is missing for a trajectory, in words; None when there is one to draw."""
    if surgeries.empty:
        return "No surgery recorded yet: the trajectory starts with a surgery (enter one on Enter visit)."
    last = pd.Timestamp(pd.to_datetime(surgeries["surgery_date"]).max())
    scored = trajectory[["back_pain", "leg_pain", "pain_unspecified"]].notna().any(axis=1)
    after = trajectory.loc[scored, "visit_date"] > last if not trajectory.empty else pd.Series(dtype=bool)
    if trajectory.empty or trajectory["index_surgery_date"].isna().all() or not after.any():
        when = f" on {last:%Y-%m-%d}" if dates else ""
        return f"No visit recorded since the surgery{when} — enter one on Enter visit"
    return None


def _dose(t: pd.Series) -> str:
    parts = []
    drug = t.get("drug")
    if isinstance(drug, str) and drug.strip():
        parts.append(drug.strip())
    mme = t.get("mme_per_day")
    if mme is not None and pd.notna(mme):
        parts.append(f"{float(mme):g} MME/day")
    return "<br>Dose: " + ", ".join(parts) if parts else ""


def _treatment_lanes(
    fig: go.Figure,
    treatments: pd.DataFrame,
    index_date: pd.Timestamp,
    as_of: pd.Timestamp,
    dates: bool = True,
) -> None:
    """Courses of treatment as spans (start to end, or to today when ongoing), single-day procedures
    (catalog.Treatment.single_day) as markers at their date; hover text on both; names wrapped and whole."""
    if treatments.empty:
        fig.update_yaxes(visible=False, row=2, col=1)
        return
    labels = []
    for _, t in treatments.iterrows():
        name = treatment_label(t["code"])
        label = wrapped(name)
        known = TREATMENTS.get(t["code"])
        colour = GROUP_COLOURS.get(known.group if known else "complementary", OTHER_COLOUR)
        start = _weeks(pd.Series([t["start_date"]]), index_date).iloc[0]
        if known is not None and known.single_day:
            hover = f"<b>{name}</b><br>{_when(t['start_date'], start, dates)} (single day){_dose(t)}"
            trace = go.Scatter(
                x=[start],
                y=[label],
                mode="markers",
                marker={"color": colour, "size": 14, "symbol": "diamond", "line": {"color": "#333", "width": 1}},
                name=name,
                showlegend=False,
                hovertemplate=hover + "<extra></extra>",
            )
        else:
            ongoing = pd.isna(t["end_date"])
            end = _weeks(pd.Series([as_of if ongoing else t["end_date"]]), index_date).iloc[0]
            end = max(end, start + 0.3)
            until = ", ongoing" if ongoing else f" to {_when(t['end_date'], end, dates)}"
            hover = f"<b>{name}</b><br>{_when(t['start_date'], start, dates)}{until}{_dose(t)}"
            # points along the span so the hover answers anywhere on the bar, not only at its ends
            x = np.linspace(start, end, int(min(max(2, end - start + 1), 60)))
            trace = go.Scatter(
                x=x,
                y=[label] * len(x),
                mode="lines",
                line={"color": colour, "width": 10},
                name=name,
                showlegend=False,
                hovertemplate=hover + "<extra></extra>",
            )
        fig.add_trace(trace, row=2, col=1)
        labels.append(label)
    fig.update_yaxes(
        title_text="",
        categoryorder="array",
        categoryarray=list(dict.fromkeys(labels)),
        tickfont={"size": 12},
        row=2,
        col=1,
    )
