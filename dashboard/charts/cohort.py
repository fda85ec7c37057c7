"""Plotly figures of the cohort page (DataFrame in, Figure out): pain curve, responders, recovery, treatments."""

# Print-ready: a title with the patient count, axis titles with units, a legend, and the n behind
# every point or bar (in the hover, on the bar or in the legend). An empty input gives an empty
# chart that says "no patients match" instead of an error or a blank frame.

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.trajectory import GROUP_COLOURS, OTHER_COLOUR
from dashboard.formatting import procedure_label

NO_PATIENTS = "no patients match"
_MAX_CENSOR_MARKS = 60  # per curve; more would hide the curve itself
PROCEDURE_COLOURS = {
    "discectomy": "#1f77b4",
    "laminectomy": "#ff7f0e",
    "fusion": "#d62728",
    "other": "#7f7f7f",
}
_LAYOUT = {
    "template": "plotly_white",
    "font": {"size": 13},
    "margin": {"l": 70, "r": 30, "t": 80, "b": 70},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
}


def _colour(procedure: str) -> str:
    return PROCEDURE_COLOURS.get(procedure, OTHER_COLOUR)


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _patients(n: int) -> str:
    return f"n = {n:,} patient" + ("" if n == 1 else "s")


def _percent(x: float) -> str:
    return "–" if pd.isna(x) else f"{100 * x:.0f} %"


def _empty(fig: go.Figure, title: str, x_title: str, y_title: str, text: str = NO_PATIENTS) -> go.Figure:
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 16})
    bare = {"showticklabels": False, "showgrid": False, "zeroline": False}
    # Every chart says its n, an empty one too.
    fig.update_layout(
        title=f"{title} (n = 0)", xaxis={"title": x_title, **bare}, yaxis={"title": y_title, **bare}, **_LAYOUT
    )
    return fig


def pain_curve_figure(curve: pd.DataFrame, title: str = "Pain after surgery by procedure") -> go.Figure:
    """Median pain per procedure across the buckets of cohort.pain_curve, with the IQR as a band.

    The buckets sit equally spaced, in order, as the spine registries draw their time points; the
    hover gives each bucket's week range and how many patients the point is the median of.
    """
    fig = go.Figure()
    x_title, y_title = "Time since index surgery", "Pain, NRS 0–10 (median; band: IQR)"
    data = curve[curve["n_patients"] > 0]
    if data.empty:
        return _empty(fig, title, x_title, y_title)
    total = int(curve.drop_duplicates("procedure")["procedure_patients"].sum())
    for procedure, rows in data.groupby("procedure", sort=False):
        colour, label = _colour(procedure), procedure_label(procedure)
        n = int(rows["procedure_patients"].iloc[0])
        x = rows["bucket"]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=rows["q3"],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
                legendgroup=procedure,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=rows["q1"],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=_rgba(colour, 0.15),
                showlegend=False,
                hoverinfo="skip",
                legendgroup=procedure,
            )
        )
        weeks = np.where(
            rows["bucket"] == "baseline",
            "before surgery",
            "weeks " + rows["week_from"].map("{:g}".format) + "–" + rows["week_to"].map("{:g}".format),
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=rows["median"],
                mode="lines+markers",
                name=f"{label} ({_patients(n)})",
                line={"color": colour, "width": 2.5},
                marker={"size": 8},
                legendgroup=procedure,
                # an object array keeps the numbers numbers (column_stack with text would make them text)
                customdata=rows[["n_patients", "q1", "q3"]].assign(weeks=weeks).to_numpy(dtype=object),
                hovertemplate=(
                    f"<b>{label}</b>, %{{x}} (%{{customdata[3]}})<br>median %{{y:.1f}}, "
                    "IQR %{customdata[1]:.1f}–%{customdata[2]:.1f}<br>n = %{customdata[0]} patients"
                    "<extra></extra>"
                ),
            )
        )
    order = list(dict.fromkeys(curve["bucket"]))
    fig.update_layout(title=f"{title} ({_patients(total)})", **_LAYOUT)
    fig.update_xaxes(title_text=x_title, categoryorder="array", categoryarray=order)
    fig.update_yaxes(title_text=y_title, range=[0, 10], dtick=2)
    return fig


def responder_figure(
    rates: pd.DataFrame,
    title: str = "Meaningful improvement at the registry time points",
) -> go.Figure:
    """Grouped bars: share of responders (MCID vs baseline) among patients seen, per time point and
    procedure (cohort.responder_rates); each bar carries its n and how many eligible were missing."""
    fig = go.Figure()
    x_title, y_title = "Time since index surgery", "Responders, % of patients seen"
    if rates.empty:
        return _empty(fig, title, x_title, y_title)
    if rates["n_eligible"].sum() == 0:
        return _empty(fig, title, x_title, y_title, "no patient with a baseline is past a time point's window yet")
    for procedure, rows in rates.groupby("procedure", sort=False):
        label = procedure_label(procedure)
        text = [
            f"{_percent(r)}<br>n = {n:,}<br>{m:,} missing"
            for r, n, m in zip(rows["responder_rate"], rows["n_with_visit"], rows["n_missing"], strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=rows["time_point"],
                y=100 * rows["responder_rate"].fillna(0),
                name=label,
                text=text,
                textposition="outside",
                marker_color=_colour(procedure),
                cliponaxis=False,
                customdata=np.column_stack(
                    [
                        rows["n_eligible"],
                        rows["n_with_visit"],
                        rows["n_responders"],
                        rows["n_missing"],
                        100 * rows["missing_share"].fillna(0),
                    ]
                ),
                hovertemplate=(
                    f"<b>{label}</b>, %{{x}}<br>%{{customdata[2]}} responders of %{{customdata[1]}} seen"
                    "<br>%{customdata[3]} of %{customdata[0]} eligible missing (%{customdata[4]:.0f} %)"
                    "<extra></extra>"
                ),
            )
        )
    first = rates.drop_duplicates("procedure")  # every patient is in one row per time point
    total = int((first["n_eligible"] + first["n_no_baseline"] + first["n_not_yet_due"]).sum())
    fig.update_layout(
        title=f"{title} ({_patients(total)}; on the bars: n seen at that time point)", barmode="group", **_LAYOUT
    )
    points = list(dict.fromkeys(rates["time_point"]))
    fig.update_xaxes(title_text=x_title, categoryorder="array", categoryarray=points)
    fig.update_yaxes(title_text=y_title, range=[0, 119], dtick=20, ticksuffix=" %")
    return fig


def km_figure(km: pd.DataFrame, title: str = "Time to meaningful improvement (Kaplan–Meier)") -> go.Figure:
    """Step curves of the share not yet improved against weeks since surgery, per procedure
    (cohort.kaplan_meier); the legend gives n and the median; ticks mark censored patients when
    there are few enough of them to read."""
    fig = go.Figure()
    x_title, y_title = "Weeks since index surgery", "Not yet meaningfully improved, % of patients"
    if km.empty:
        return _empty(fig, title, x_title, y_title)
    total = 0
    for procedure, rows in km.groupby("procedure", sort=False):
        colour, label = _colour(procedure), procedure_label(procedure)
        n, median = int(rows["n_patients"].iloc[0]), rows["median_weeks"].iloc[0]
        total += n
        median_text = "median not reached" if pd.isna(median) else f"median {median:.1f} weeks"
        fig.add_trace(
            go.Scatter(
                x=rows["weeks"],
                y=100 * rows["survival"],
                mode="lines",
                line_shape="hv",
                line={"color": colour, "width": 2.5},
                name=f"{label} (n = {n}, {median_text})",
                legendgroup=procedure,
                customdata=np.column_stack([rows["at_risk"], rows["events"], rows["censored"]]),
                hovertemplate=(
                    f"<b>{label}</b>, week %{{x:.1f}}<br>%{{y:.0f}} % not yet improved<br>"
                    "at risk %{customdata[0]}, improved %{customdata[1]}, censored %{customdata[2]}"
                    "<extra></extra>"
                ),
            )
        )
        censored = rows[rows["censored"] > 0]
        if len(censored) > _MAX_CENSOR_MARKS:
            continue  # on a large cohort the marks would merge into a thick band hiding the curve
        fig.add_trace(
            go.Scatter(
                x=censored["weeks"],
                y=100 * censored["survival"],
                mode="markers",
                marker={"symbol": "line-ns-open", "size": 8, "color": colour},
                showlegend=False,
                hoverinfo="skip",
                legendgroup=procedure,
            )
        )
    fig.update_layout(title=f"{title} ({_patients(total)})", **_LAYOUT)
    fig.update_xaxes(title_text=x_title, rangemode="tozero")
    fig.update_yaxes(title_text=y_title, range=[0, 102], ticksuffix=" %")
    return fig


def treatment_response_figure(
    rates: pd.DataFrame,
    title: str = "Responders per treatment",
    threshold_percent: float = 30.0,
) -> go.Figure:
    """Horizontal bars of the responder rate per treatment (treatment_response.responder_rates), in
    the catalogue's stepped order top to bottom, coloured by group, with the n behind each bar.
    threshold_percent (Settings.mcid_nrs_percent) is named in the title."""
    title = f"{title} (pain ≥ {threshold_percent:g} % lower after the start)"
    fig = go.Figure()
    x_title, y_title = "Responders, % of patients with pain before and after", "Treatment"
    if rates.empty or rates["n_patients"].sum() == 0:
        return _empty(fig, title, x_title, y_title)
    # one trace per group: a legend of the groups; stacked, as each treatment has a single bar
    for group, rows in rates.assign(group=rates["group"].fillna("other")).groupby("group", sort=False):
        fig.add_trace(
            go.Bar(
                y=rows["label"],
                x=100 * rows["responder_rate"].fillna(0),
                orientation="h",
                name=str(group).capitalize(),
                marker_color=GROUP_COLOURS.get(group, OTHER_COLOUR),
                text=[
                    f"{_percent(r)} (n = {n:,})"
                    for r, n in zip(rows["responder_rate"], rows["n_evaluable"], strict=True)
                ],
                textposition="outside",
                cliponaxis=False,
                customdata=np.column_stack([rows["n_responders"], rows["n_evaluable"], rows["n_not_evaluable"]]),
                hovertemplate=(
                    "<b>%{y}</b><br>%{customdata[0]} responders of %{customdata[1]} patients"
                    "<br>%{customdata[2]} without a score before or after<extra></extra>"
                ),
            )
        )
    total = int(rates["n_evaluable"].sum())
    fig.update_layout(
        title=f"{title} (n = {total:,} first courses)",
        height=max(360, 32 * len(rates) + 200),
        barmode="stack",
        **_LAYOUT,
    )
    fig.update_layout(legend_traceorder="normal")  # stacked horizontal bars would reverse it
    fig.update_xaxes(title_text=x_title, range=[0, 119], dtick=20, ticksuffix=" %")
    fig.update_yaxes(
        title_text=y_title, autorange="reversed", categoryorder="array", categoryarray=list(rates["label"])
    )
    return fig
