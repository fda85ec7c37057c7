"""The pain trajectory of a patient with post-laminectomy syndrome and no recorded surgery: on dates.

Without a surgery date there is no week since surgery and no recovery window to draw (data_model/fbss.py:
such a patient is past every window), so the chart runs on calendar dates, with the baseline (the first
recorded visit) and its meaningful-improvement line, and the treatments tried in a lane below. A
de-identified export names no date: it runs on weeks since the first recorded visit instead.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.trajectory import (
    BACK_COLOUR,
    GROUP_COLOURS,
    LEG_COLOUR,
    OTHER_COLOUR,
    lane_margin,
    pain_over_treatments,
    wrapped,
)
from dashboard.formatting import score, treatment_label
from data_model.catalog import TREATMENTS

SITES = (
    ("back_pain", "Back pain", BACK_COLOUR),
    ("leg_pain", "Leg pain", LEG_COLOUR),
    ("pain_unspecified", "Pain (site not recorded)", OTHER_COLOUR),
)


def surgery_unknown(trajectory: pd.DataFrame) -> bool:
    """Whether the trajectory is of a patient followed without a recorded surgery."""
    if trajectory.empty or "surgery_known" not in trajectory:
        return False
    return bool(trajectory["surgery_known"].eq(False).fillna(False).any())


def dated_trajectory_figure(
    trajectory: pd.DataFrame, treatments: pd.DataFrame, as_of: pd.Timestamp, title: str, dates: bool = True
) -> go.Figure:
    """Back and leg pain by visit date (or, with dates=False, weeks since the first recorded visit)."""
    first_visit = pd.Timestamp(trajectory["visit_date"].min())

    def x_of(days: pd.Series) -> pd.Series:
        days = pd.to_datetime(days)
        return days if dates else (days - first_visit).dt.days / 7.0

    fig = pain_over_treatments(treatments)
    x = x_of(trajectory["visit_date"])
    hover = (
        trajectory["visit_date"].dt.strftime("%Y-%m-%d") if dates else "week " + x.map(lambda w: f"{w:.0f}")
    ).to_numpy()
    for column, name, colour in SITES:
        mask = trajectory[column].notna()
        if mask.any():
            fig.add_trace(
                go.Scatter(
                    x=x[mask],
                    y=trajectory[column][mask],
                    mode="lines+markers",
                    name=name,
                    line={"color": colour},
                    customdata=hover[mask.to_numpy()],
                    hovertemplate="%{customdata}: %{y:.1f}/10<extra>" + name + "</extra>",
                ),
                row=1,
                col=1,
            )
    first = trajectory.iloc[0]
    if pd.notna(first["baseline_pain"]):
        target = first["mcid_target_pain"]
        for y, dash, colour, text in (
            (
                first["baseline_pain"],
                "dash",
                "#444",
                f"baseline (first recorded visit) {score(first['baseline_pain'])}",
            ),
            (target, "dot", "#2ca02c", f"meaningful improvement ≤ {score(target)}"),
        ):
            fig.add_hline(
                y=y,
                line_dash=dash,
                line_color=colour,
                row=1,
                col=1,
                annotation_text=text,
                annotation_position="bottom right",
            )
    labels = _treatment_lanes(fig, treatments, as_of, x_of)
    if treatments.empty:
        # plotly draws no axis under a subplot without a trace: the empty treatment lane would leave the
        # chart without its dates (or weeks). An invisible point per visit keeps the axis and its title.
        fig.add_trace(
            go.Scatter(x=x, y=[0] * len(x), mode="markers", marker={"opacity": 0}, showlegend=False, hoverinfo="skip"),
            row=2,
            col=1,
        )
    fig.update_yaxes(title_text="Pain (NRS 0–10)", range=[0, 10.5], row=1, col=1)
    fig.update_xaxes(
        title_text="Visit date (surgery date unknown: post-laminectomy syndrome)"
        if dates
        else "Weeks since the first recorded visit (surgery date unknown)",
        row=2,
        col=1,
    )
    visits = int(trajectory[[c for c, _, _ in SITES]].notna().any(axis=1).sum())
    fig.update_layout(
        title=f"{title} (n = {visits} visit{'' if visits == 1 else 's'})",
        hovermode="closest",
        legend={"orientation": "h", "y": -0.15},
        margin={"l": lane_margin(labels), "r": 20, "t": 60, "b": 60},
    )
    return fig


def _treatment_lanes(fig: go.Figure, treatments: pd.DataFrame, as_of: pd.Timestamp, x_of) -> list[str]:
    """Each treatment as a bar from its start to its end (to as_of while it goes on), a marker for a
    single-day procedure; returns the names shown, for the margin."""
    if treatments.empty:
        fig.update_yaxes(visible=False, row=2, col=1)
        return []
    names = []
    for _, t in treatments.iterrows():
        name = treatment_label(t["code"])
        known = TREATMENTS.get(t["code"])
        colour = GROUP_COLOURS.get(known.group if known else "complementary", OTHER_COLOUR)
        single = known is not None and known.single_day
        ends = [t["start_date"]] if single else [t["start_date"], as_of if pd.isna(t["end_date"]) else t["end_date"]]
        fig.add_trace(
            go.Scatter(
                x=x_of(pd.Series(ends)),
                y=[wrapped(name)] * len(ends),
                mode="markers" if single else "lines",
                marker={"color": colour, "size": 14, "symbol": "diamond"},
                line={"color": colour, "width": 10},
                name=name,
                showlegend=False,
                hovertemplate=f"<b>{name}</b><extra></extra>",
            ),
            row=2,
            col=1,
        )
        names.append(name)
    fig.update_yaxes(title_text="", tickfont={"size": 12}, row=2, col=1)
    return names
