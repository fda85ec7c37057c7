"""Plotly figures of the cohort page (DataFrame in, Figure out): pain curve, responders, recovery, treatments."""

# Print-ready: a title with the patient count, axis titles with units, a legend, and the n behind
# every point or bar (in the hover, on the bar or in the legend). An empty input gives an empty
# chart that says "no patients match" instead of an error or a blank frame.

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.trajectory import GROUP_COLOURS, OTHER_COLOUR
from dashboard.formatting import procedure_label
from data_model.cohort.intervals import wilson_interval
from data_model.cohort.pain_curve import BASELINE
from data_model.settings import DEFAULT_SETTINGS

NO_PATIENTS = "no patients match"
_MAX_CENSOR_MARKS = 60  # per curve; more would hide the curve itself
PROCEDURE_COLOURS = {
    "discectomy": "#1f77b4",
    "laminectomy": "#ff7f0e",
    "fusion": "#d62728",
    "other": "#9467bd",  # not grey: grey marks a point with too few patients
}
GREY = "#b0b0b0"
_TICKS = list(
    range(0, 101, 20)
)  # a share axis: 0 % to 100 %, room beyond for the labels  # a point or bar with too few patients to read
_MARGIN: dict[str, int] = {"l": 70, "r": 30, "t": 110, "b": 70}  # the top holds the title and the cohort line
_LEGEND: dict[str, object] = {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0}
_LAYOUT = {"template": "plotly_white", "font": {"size": 13}, "margin": _MARGIN, "legend": _LEGEND}


def _colour(procedure: str) -> str:
    return PROCEDURE_COLOURS.get(procedure, "#8c564b")


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


def _titled(title: str, subtitle: str | None) -> str:
    """The title, and under it the cohort definition and the as-of date (kept in every export)."""
    return f"{title}<br><sup>{subtitle}</sup>" if subtitle else title


def _too_few(min_patients: int) -> str:
    return f"grey: fewer than {min_patients} patients, too few to read"


def _window(row: pd.Series) -> str:
    if row["time_point"] == BASELINE:
        return f"baseline: last score up to {-int(row['window_from_day'])} days before surgery"
    return f"visits {int(row['window_from_day'])}–{int(row['window_to_day'])} days after surgery"


def _window_name(time_point: str) -> str:
    """'6 weeks' -> '6-week', '12 months' -> '12-month' (any other label as it is)."""
    match = re.fullmatch(r"(\d+)\s*(week|month|year)s?", time_point.strip())
    return f"{match[1]}-{match[2]}" if match else time_point


def _dropped(no_visit: int, not_yet: int, time_point: str) -> str:
    """Why patients are not in a point, in words ('' when all are)."""
    if time_point == BASELINE:
        return f"{no_visit:,} without a baseline score" if no_visit else ""
    parts = []
    if no_visit:
        parts.append(f"{no_visit:,} without a visit in the {_window_name(time_point)} window")
    if not_yet:
        parts.append(f"{not_yet:,} not yet due")
    return "; ".join(parts)


def curve_dropouts(curve: pd.DataFrame) -> list[str]:
    """Per procedure, one sentence: how many of its patients are missing from which point, and why."""
    lines = []
    for procedure, rows in curve.groupby("procedure", sort=False):
        n = int(rows["procedure_patients"].iloc[0])
        parts = [
            f"{r.time_point}: {_dropped(int(r.n_no_visit), int(r.n_not_yet_due), str(r.time_point))}"
            for r in rows.itertuples()
            if r.n_no_visit or r.n_not_yet_due
        ]
        if parts:
            lines.append(
                f"{procedure_label(procedure)} ({_patients(n)}) – not in the point at " + "; ".join(parts) + "."
            )
    return lines


def pain_curve_figure(
    curve: pd.DataFrame,
    title: str = "Pain after surgery by procedure",
    subtitle: str | None = None,
    min_patients: int = DEFAULT_SETTINGS.cohort_min_patients,
) -> go.Figure:
    """Median pain per procedure at the registry time points (cohort.pain_curve), the IQR as a band.

    Each point is labelled with its n; a point with fewer than min_patients patients (its
    below_minimum) is drawn grey, off the line, and its hover says it is too few to read. The
    hover gives the due window and how many of the procedure's patients are not in the point, and why.
    """
    fig = go.Figure()
    x_title, y_title = "Time since index surgery (visits inside each time point's due window)", "Pain, NRS 0–10"
    data = curve[curve["n_patients"] > 0]
    if data.empty:
        return _empty(fig, _titled(title, subtitle), x_title, y_title)
    total = int(curve.drop_duplicates("procedure")["procedure_patients"].sum())
    for procedure, rows in data.groupby("procedure", sort=False):
        colour, label = _colour(procedure), procedure_label(procedure)
        n = int(rows["procedure_patients"].iloc[0])
        enough = ~rows["below_minimum"].to_numpy(bool)
        x = rows["time_point"]
        band = rows.where(pd.Series(enough, index=rows.index))
        for y, fill in ((band["q3"], None), (band["q1"], _rgba(colour, 0.15))):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    line={"width": 0},
                    fill="tonexty" if fill else None,
                    fillcolor=fill,
                    showlegend=False,
                    hoverinfo="skip",
                    legendgroup=procedure,
                )
            )
        why = [
            _dropped(int(a), int(b), str(t))
            for a, b, t in zip(rows["n_no_visit"], rows["n_not_yet_due"], rows["time_point"], strict=True)
        ]
        custom = np.column_stack(
            [
                rows["n_patients"].to_numpy(dtype=object),
                rows["q1"].round(1).to_numpy(dtype=object),
                rows["q3"].round(1).to_numpy(dtype=object),
                [_window(r) for _, r in rows.iterrows()],
                [f"<br>not in this point: {w}" if w else "" for w in why],
                np.where(enough, "", f"<br><b>fewer than {min_patients} patients: too few to read</b>"),
            ]
        )
        hover = (
            f"<b>{label}</b>, %{{x}}<br>median %{{y:.1f}}, IQR %{{customdata[1]}}–%{{customdata[2]}}"
            "<br>n = %{customdata[0]} patients, one visit each (%{customdata[3]})%{customdata[4]}%{customdata[5]}"
            "<extra></extra>"
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=rows["median"].where(enough),
                mode="lines+markers",
                name=f"{label} ({_patients(n)})",
                line={"color": colour, "width": 2.5},
                marker={"size": 8},
                legendgroup=procedure,
                customdata=custom,
                hovertemplate=hover,
            )
        )
        if not enough.all():
            fig.add_trace(
                go.Scatter(
                    x=x[~enough],
                    y=rows["median"][~enough],
                    mode="markers",
                    name=f"{label}: too few patients",
                    showlegend=False,
                    marker={"size": 9, "color": GREY, "symbol": "circle-open", "line": {"width": 2}},
                    legendgroup=procedure,
                    customdata=custom[~enough],
                    hovertemplate=hover,
                )
            )
    order = list(dict.fromkeys(curve["time_point"]))
    fig.update_layout(title=_titled(f"{title} ({_patients(total)})", subtitle), **_LAYOUT)
    _n_table(fig, curve, order)
    _caption(
        fig,
        f"Median, band: interquartile range; under the axis: patients per point; {_too_few(min_patients)}.",
        below=True,
    )
    fig.update_xaxes(title_text=x_title, categoryorder="array", categoryarray=order)
    fig.update_yaxes(title_text=y_title, range=[0, 10.5], dtick=2)
    return fig


_HEIGHT_PX = 700  # the print size; the plot area gives way to the rows under it
_TABLE_TOP_PX = 62  # below the plot: tick labels and the axis title first
_ROW_PX = 19
_BAR_TEXT_PX = 12  # the share on a responder bar
_LEGEND_ABOVE_PX = 48  # two lines of legend above a plot


Cell = tuple[object, str, str]  # (x, text, colour)


def _rows_under_axis(fig: go.Figure, header: str, rows: list[tuple[str, str, list[Cell]]]) -> None:
    """Under the x axis, as survival plots put their numbers at risk: a header, then per row its
    label (left of the axis, in its colour) and its cells at their x; the legend goes above the plot."""
    label_style = {"x": 0, "y": 0, "xref": "paper", "yref": "paper", "xanchor": "right", "yanchor": "top"}
    fig.add_annotation(
        text=f"<b>{header}</b>", **label_style, xshift=-12, yshift=-_TABLE_TOP_PX, showarrow=False, font={"size": 11}
    )
    for i, (label, colour, cells) in enumerate(rows, start=1):
        shift = -(_TABLE_TOP_PX + _ROW_PX * i)
        fig.add_annotation(
            text=label, **label_style, xshift=-12, yshift=shift, showarrow=False, font={"size": 11, "color": colour}
        )
        for x, text, cell_colour in cells:
            fig.add_annotation(
                name="n",
                text=text,
                x=x,
                y=0,
                xref="x",
                yref="paper",
                yanchor="top",
                yshift=shift,
                showarrow=False,
                font={"size": 11, "color": cell_colour},
            )
    below = _TABLE_TOP_PX + _ROW_PX * (len(rows) + 1)
    fig.update_layout(height=_HEIGHT_PX, margin={**_MARGIN, "l": 200, "b": below + 40})
    _legend_above(fig)


def _legend_above(fig: go.Figure) -> None:
    """The legend above the plot, as many entries a line as the width allows: under the rows below the
    axis it met them whenever the plot was drawn at another height than the print size (a clinic laptop)."""
    fig.update_layout(
        legend={**_LEGEND, "yanchor": "bottom", "y": 1.0, "x": 0, "xanchor": "left"},
        margin={"t": _MARGIN["t"] + _LEGEND_ABOVE_PX},
    )


def _n_table(fig: go.Figure, curve: pd.DataFrame, order: list[str]) -> None:
    """The patients behind each pain-curve point (0 included), grey where below the minimum."""
    rows = []
    for procedure, points in curve.groupby("procedure", sort=False):
        colour = _colour(procedure)
        cells: list[Cell] = [
            (point, f"{int(k):,}", GREY if few else colour)
            for point, k, few in zip(points["time_point"], points["n_patients"], points["below_minimum"], strict=True)
            if point in order
        ]
        rows.append((procedure_label(procedure), colour, cells))
    _rows_under_axis(fig, "Patients per point", rows)


AT_RISK_WEEKS = (0, 6, 13, 26, 52, 104, 156)  # the registry time points, and 6-monthly between


def at_risk(km: pd.DataFrame, weeks: float) -> int:
    """Patients still followed and not yet improved at `weeks`: those whose time is at least `weeks`
    (the first timeline row at or after it; 0 past the last)."""
    later = km[km["weeks"] >= weeks]
    return int(later["at_risk"].iloc[0]) if len(later) else 0


def left_out_text(durations: pd.DataFrame) -> str:
    """Who time_to_recovery left out of the curves, and why ('' when nobody)."""
    counts = durations["outcome"].value_counts()
    parts = []
    if counts.get("no_baseline", 0):
        parts.append(f"{int(counts['no_baseline']):,} without a baseline score")
    if counts.get("no_follow_up", 0):
        parts.append(f"{int(counts['no_follow_up']):,} without a scored visit after surgery yet")
    return f"Not in the curves: {' and '.join(parts)}." if parts else ""


def _caption(fig: go.Figure, text: str, below: bool = False) -> None:
    """A line of small grey text above the plot; below=True: under the rows below the axis
    (_rows_under_axis), from the figure's left edge, where a legend now above the plot (_legend_above) was."""
    place: dict[str, object] = {"y": 1.0, "yanchor": "bottom"}
    if below:
        place = {
            "y": 0,
            "yanchor": "top",
            "xshift": -(fig.layout.margin.l - 10),
            "yshift": -(fig.layout.margin.b - 34),
            "align": "left",
        }
    fig.add_annotation(
        text=text,
        showarrow=False,
        x=0,
        xref="paper",
        yref="paper",
        xanchor="left",
        font={"size": 11, "color": "#555555"},
        **place,
    )


def _weight(n: np.ndarray, enough: np.ndarray, top: float) -> np.ndarray:
    """Opacity by n: the chart's largest n full, a small one faint (never below 0.3); too few: 0.5 grey."""
    return np.where(enough, 0.3 + 0.7 * np.sqrt(n / max(top, 1.0)), 0.5)


def responder_figure(
    rates: pd.DataFrame,
    title: str = "Meaningful improvement at the registry time points",
    subtitle: str | None = None,
    min_patients: int = DEFAULT_SETTINGS.cohort_min_patients,
) -> go.Figure:
    """Grouped bars: share of responders (MCID vs baseline) among patients seen, per time point and
    procedure (cohort.responder_rates), with the 95 % Wilson interval as error bars and opacity by n
    seen; each bar carries its n and how many eligible were missing; a bar under min_patients is grey."""
    fig = go.Figure()
    x_title, y_title = "Time since index surgery (visit inside the due window)", "Responders, % of patients seen"
    if rates.empty:
        return _empty(fig, _titled(title, subtitle), x_title, y_title)
    if rates["n_eligible"].sum() == 0:
        return _empty(
            fig,
            _titled(title, subtitle),
            x_title,
            y_title,
            "no patient with a baseline is past a time point's window yet",
        )
    top = rates["n_with_visit"].to_numpy("float64")
    for procedure, rows in rates.groupby("procedure", sort=False):
        label = procedure_label(procedure)
        seen = rows["n_with_visit"].to_numpy("int64")
        enough = ~rows["below_minimum"].to_numpy(bool)
        opacity = _weight(seen.astype("float64"), enough, float(top.max()))
        rate = 100 * rows["responder_rate"].to_numpy("float64")
        low, high = 100 * rows["rate_low"].to_numpy("float64"), 100 * rows["rate_high"].to_numpy("float64")
        # only the share on the bar: four bars a time point are narrow on a clinic laptop, and plotly shrank
        # three lines to fit them; the n seen and the missing stand in rows under the axis (_seen_rows)
        text = [_percent(r) for r in rows["responder_rate"]]
        colour = _colour(procedure)
        fig.add_trace(
            go.Bar(
                x=rows["time_point"],
                y=np.nan_to_num(rate),
                name=label,
                legendgroup=procedure,
                showlegend=False,  # the legend entry below keeps the colour, even if this bar is grey
                text=text,
                # inside, from the base: the whisker at the top stays clear; a short bar has it above
                textposition=["inside" if r >= 25 else "outside" for r in np.nan_to_num(rate)],
                insidetextanchor="start",
                textangle=0,
                textfont={"size": _BAR_TEXT_PX},
                insidetextfont={"size": _BAR_TEXT_PX, "color": "#1a1a1a"},
                outsidetextfont={"size": _BAR_TEXT_PX, "color": "#1a1a1a"},
                marker={
                    "color": [colour if ok else GREY for ok in enough],
                    "opacity": opacity,
                    "line": {"color": [colour if ok else GREY for ok in enough], "width": 1},
                },
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": np.nan_to_num(high - rate),
                    "arrayminus": np.nan_to_num(rate - low),
                    "color": "#333333",
                    "thickness": 1.2,
                    "width": 4,
                },
                cliponaxis=False,
                customdata=np.column_stack(
                    [
                        rows["n_eligible"].to_numpy(dtype=object),
                        seen.astype(object),
                        rows["n_responders"].to_numpy(dtype=object),
                        rows["n_missing"].to_numpy(dtype=object),
                        (100 * rows["missing_share"].fillna(0)).round(0).to_numpy(dtype=object),
                        [_interval(a, b) for a, b in zip(rows["rate_low"], rows["rate_high"], strict=True)],
                        np.where(enough, "", f"<br><b>fewer than {min_patients} seen: too few to read</b>"),
                        [
                            f"<br>{a:,} without a baseline, {b:,} not yet due"
                            for a, b in zip(rows["n_no_baseline"], rows["n_not_yet_due"], strict=True)
                        ],
                    ]
                ),
                hovertemplate=(
                    f"<b>{label}</b>, %{{x}}<br>%{{customdata[2]}} responders of %{{customdata[1]}} seen, "
                    "95 % interval %{customdata[5]}"
                    "<br>%{customdata[3]} of %{customdata[0]} eligible missing (%{customdata[4]} %)"
                    "%{customdata[7]}%{customdata[6]}<extra></extra>"
                ),
            )
        )
    first = rates.drop_duplicates("procedure")  # every patient is in one row per time point
    per_procedure = first["n_eligible"] + first["n_no_baseline"] + first["n_not_yet_due"]
    for procedure, n in zip(first["procedure"], per_procedure, strict=True):
        legend_name = f"{procedure_label(procedure)} ({_patients(int(n))})"
        fig.add_trace(
            go.Scatter(  # legend only: a bar here would take a slot in every group
                x=[None],
                y=[None],
                mode="markers",
                name=legend_name,
                legendgroup=procedure,
                marker={"symbol": "square", "size": 12, "color": _colour(procedure)},
            )
        )
    total = int(per_procedure.sum())
    fig.update_layout(title=_titled(f"{title} ({_patients(total)})", subtitle), barmode="group", **_LAYOUT)
    # never shrunk below a readable size (plotly fits a bar's text to its width otherwise)
    fig.update_layout(uniformtext={"minsize": _BAR_TEXT_PX, "mode": "show"})
    _rows_under_axis(
        fig,
        "Seen (missing)",
        [
            (
                procedure_label(procedure),
                _colour(procedure),
                [
                    (point, f"{n:,} ({m:,})", _colour(procedure) if not few else GREY)
                    for point, n, m, few in zip(
                        rows["time_point"], rows["n_with_visit"], rows["n_missing"], rows["below_minimum"], strict=True
                    )
                ],
            )
            for procedure, rows in rates.groupby("procedure", sort=False)
        ],
    )
    _caption(
        fig,
        "On the bars: share of responders; under the axis: patients seen (missing) at that time point.<br>"
        f"Whiskers: 95 % interval (Wilson); fainter bars: fewer patients; {_too_few(min_patients)}.",
        below=True,
    )
    points = list(dict.fromkeys(rates["time_point"]))
    fig.update_xaxes(title_text=x_title, categoryorder="array", categoryarray=points)
    fig.update_yaxes(title_text=y_title, range=[0, 108], dtick=20, ticksuffix=" %")
    return fig


def _interval(low: float, high: float) -> str:
    return "–" if pd.isna(low) else f"{100 * low:.0f}–{100 * high:.0f} %"


def km_figure(
    km: pd.DataFrame,
    title: str = "Time to meaningful improvement (Kaplan–Meier)",
    subtitle: str | None = None,
    durations: pd.DataFrame | None = None,
) -> go.Figure:
    """Step curves of the share not yet improved against weeks since surgery, per procedure
    (cohort.kaplan_meier); the legend gives n and the median; ticks mark censored patients when
    there are few enough of them to read."""
    fig = go.Figure()
    x_title, y_title = "Weeks since index surgery", "Not yet meaningfully improved, % of patients"
    if km.empty:
        return _empty(fig, _titled(title, subtitle), x_title, y_title)
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
    fig.update_layout(title=_titled(f"{title} ({_patients(total)})", subtitle), **_LAYOUT)
    ticks = [w for w in AT_RISK_WEEKS if w <= max(float(km["weeks"].max()), 1.0)]
    _rows_under_axis(
        fig,
        "Numbers at risk",
        [
            (
                procedure_label(procedure),
                _colour(procedure),
                [(w, f"{at_risk(rows, w):,}", _colour(procedure)) for w in ticks],
            )
            for procedure, rows in km.groupby("procedure", sort=False)
        ],
    )
    left_out = left_out_text(durations) if durations is not None else ""
    _caption(
        fig,
        " ".join(
            t
            for t in ("Tick marks (on a small cohort): censored, no improvement seen by the last visit.", left_out)
            if t
        ),
        below=True,
    )
    fig.update_xaxes(title_text=x_title, rangemode="tozero", tickvals=ticks)
    fig.update_yaxes(title_text=y_title, range=[0, 102], ticksuffix=" %")
    return fig


def treatment_response_figure(
    rates: pd.DataFrame,
    title: str = "Responders per treatment",
    threshold_percent: float = 30.0,
    subtitle: str | None = None,
    min_patients: int = DEFAULT_SETTINGS.cohort_min_patients,
) -> go.Figure:
    """Horizontal bars of the responder rate per treatment (treatment_response.responder_rates), in
    the catalogue's stepped order top to bottom, coloured by group, with the n behind each bar, the
    95 % Wilson interval as whiskers and opacity by n; a bar of fewer than min_patients is grey.
    threshold_percent (Settings.mcid_nrs_percent) is named in the title."""
    title = f"{title} (pain ≥ {threshold_percent:g} % lower after the start)"
    fig = go.Figure()
    x_title, y_title = "Responders, % of patients with pain before and after", "Treatment"
    if rates.empty or rates["n_patients"].sum() == 0:
        return _empty(fig, _titled(title, subtitle), x_title, y_title)
    top = float(rates["n_evaluable"].max())
    legend: list[go.Bar] = []
    # one trace per group: a legend of the groups; stacked, as each treatment has a single bar
    for group, rows in rates.assign(group=rates["group"].fillna("other")).groupby("group", sort=False):
        n = rows["n_evaluable"].to_numpy("int64")
        enough = n >= min_patients
        colour = GROUP_COLOURS.get(group, OTHER_COLOUR)
        low, high = wilson_interval(rows["n_responders"].to_numpy("int64"), n)
        rate = 100 * rows["responder_rate"].to_numpy("float64")
        texts = [f"{_percent(r)} (n = {k:,})" for r, k in zip(rows["responder_rate"], n, strict=True)]
        short = np.nan_to_num(rate) < 30
        fig.add_trace(
            go.Bar(
                y=rows["label"],
                x=np.nan_to_num(rate),
                orientation="h",
                name=str(group).capitalize(),
                legendgroup=str(group),
                showlegend=False,  # the legend entry below keeps the group's colour, even if this bar is grey
                marker={
                    "color": [colour if ok else GREY for ok in enough],
                    "opacity": _weight(n.astype("float64"), enough, top),
                },
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": np.nan_to_num(100 * high - rate),
                    "arrayminus": np.nan_to_num(rate - 100 * low),
                    "color": "#333333",
                    "thickness": 1.2,
                    "width": 3,
                },
                text=texts,
                # inside from the base, clear of the whisker; a short bar's text goes past its whisker
                textposition=np.where(short, "none", "inside"),
                insidetextanchor="start",
                insidetextfont={"size": 12, "color": "#1a1a1a"},
                cliponaxis=False,
                customdata=np.column_stack(
                    [
                        rows["n_responders"].to_numpy(dtype=object),
                        n.astype(object),
                        rows["n_not_evaluable"].to_numpy(dtype=object),
                        [_interval(a, b) for a, b in zip(low, high, strict=True)],
                        np.where(enough, "", f"<br><b>fewer than {min_patients} patients: too few to read</b>"),
                    ]
                ),
                hovertemplate=(
                    "<b>%{y}</b><br>%{customdata[0]} responders of %{customdata[1]} patients, "
                    "95 % interval %{customdata[3]}"
                    "<br>%{customdata[2]} without a score before or after%{customdata[4]}<extra></extra>"
                ),
            )
        )
        legend.append(
            go.Bar(
                x=[None],
                y=[None],
                orientation="h",
                name=str(group).capitalize(),
                legendgroup=str(group),
                marker_color=colour,
                text=[],
                hoverinfo="skip",
            )
        )
        ends = np.nan_to_num(100 * high)
        for label, text, end, is_short in zip(rows["label"], texts, ends, short, strict=True):
            if is_short:
                fig.add_annotation(
                    x=end, y=label, text=text, xanchor="left", xshift=4, showarrow=False, font={"size": 12}
                )
    for entry in legend:
        fig.add_trace(entry)
    total = int(rates["n_evaluable"].sum())
    fig.update_layout(
        title=_titled(f"{title} (n = {total:,} first courses)", subtitle),
        height=max(360, 32 * len(rates) + 200),
        barmode="stack",
        **_LAYOUT,
    )
    _caption(fig, f"Whiskers: 95 % interval (Wilson); fainter bars: fewer patients; {_too_few(min_patients)}.")
    fig.update_layout(legend_traceorder="normal")  # stacked horizontal bars would reverse it
    fig.update_xaxes(title_text=x_title, range=[0, 125], tickvals=_TICKS, ticktext=[f"{t} %" for t in _TICKS])
    fig.update_yaxes(
        title_text=y_title, autorange="reversed", categoryorder="array", categoryarray=list(rates["label"])
    )
    return fig


# --- The numbers behind the charts, in clinic words -----------------------------------------------


def _one_decimal(x: float) -> str:
    return "–" if pd.isna(x) else f"{x:.1f}"


def _too_few_mark(flag: bool) -> str:
    return "too few" if flag else ""


def curve_table(curve: pd.DataFrame) -> pd.DataFrame:
    """cohort.pain_curve for reading: one row per procedure and time point, clinic labels, rounded."""
    return pd.DataFrame(
        {
            "Procedure": curve["procedure"].map(procedure_label),
            "Time point": curve["time_point"].str.capitalize(),
            "Visits counted": [_window(r) for _, r in curve.iterrows()],
            "Patients": curve["n_patients"],
            "Median pain (0–10)": curve["median"].map(_one_decimal),
            "Lower quartile": curve["q1"].map(_one_decimal),
            "Upper quartile": curve["q3"].map(_one_decimal),
            "No visit in window (baseline: no score)": curve["n_no_visit"],
            "Not yet due": curve["n_not_yet_due"],
            "Patients of the procedure": curve["procedure_patients"],
            "Too few to read": curve["below_minimum"].map(_too_few_mark),
        }
    )


def responder_table(rates: pd.DataFrame) -> pd.DataFrame:
    """cohort.responder_rates for reading, with the 95 % interval in percent."""
    return pd.DataFrame(
        {
            "Procedure": rates["procedure"].map(procedure_label),
            "Time point": rates["time_point"].str.capitalize(),
            "Window, weeks after surgery": [
                f"{a}–{b}" for a, b in zip(rates["window_from_weeks"], rates["window_to_weeks"], strict=True)
            ],
            "Eligible": rates["n_eligible"],
            "Seen": rates["n_with_visit"],
            "Missing": rates["n_missing"],
            "Responders": rates["n_responders"],
            "Responder rate": rates["responder_rate"].map(_percent),
            "95 % interval": [_interval(a, b) for a, b in zip(rates["rate_low"], rates["rate_high"], strict=True)],
            "No baseline": rates["n_no_baseline"],
            "Not yet due": rates["n_not_yet_due"],
            "Too few to read": rates["below_minimum"].map(_too_few_mark),
        }
    )


def km_table(km: pd.DataFrame) -> pd.DataFrame:
    """cohort.kaplan_meier for reading."""
    return pd.DataFrame(
        {
            "Procedure": km["procedure"].map(procedure_label),
            "Week": km["weeks"].map(_one_decimal),
            "Not yet improved": km["survival"].map(_percent),
            "At risk": km["at_risk"],
            "Improved this week": km["events"],
            "Censored this week": km["censored"],
            "Median, weeks": km["median_weeks"].map(lambda m: "not reached" if pd.isna(m) else f"{m:.1f}"),
        }
    )


def treatment_table(rates: pd.DataFrame, min_patients: int = DEFAULT_SETTINGS.cohort_min_patients) -> pd.DataFrame:
    """treatment_response.responder_rates for reading, with the 95 % interval in percent."""
    low, high = wilson_interval(rates["n_responders"].to_numpy("int64"), rates["n_evaluable"].to_numpy("int64"))
    return pd.DataFrame(
        {
            "Treatment": rates["label"],
            "First courses": rates["n_patients"],
            "With pain before and after": rates["n_evaluable"],
            "Responders": rates["n_responders"],
            "Responder rate": rates["responder_rate"].map(_percent),
            "95 % interval": [_interval(a, b) for a, b in zip(low, high, strict=True)],
            "Median pain reduction": rates["median_change_percent"].map(lambda x: "–" if pd.isna(x) else f"{x:.0f} %"),
            "Too few to read": (rates["n_evaluable"] < min_patients).map(_too_few_mark),
        }
    )


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """cohort.summary_figures for reading: per procedure and for all, shares with their counts."""
    point = str(summary["ftp_time_point"].iloc[0]) if len(summary) else "3 months"
    return pd.DataFrame(
        {
            "Procedure": summary["procedure"].map(lambda p: "All procedures" if p == "all" else procedure_label(p)),
            "Patients": summary["n_patients"],
            "Flagged": [
                f"{_percent(s)} ({n:,})" for s, n in zip(summary["flagged_share"], summary["n_flagged"], strict=True)
            ],
            "Persistent pain": [
                f"{_percent(s)} ({n:,})"
                for s, n in zip(summary["persistent_pain_share"], summary["n_persistent_pain"], strict=True)
            ],
            f"No meaningful improvement by {point}": [
                f"{_percent(s)} ({f:,} of {e:,})"
                for s, f, e in zip(
                    summary["ftp_failure_share"], summary["n_ftp_failure"], summary["n_ftp_eligible"], strict=True
                )
            ],
            f"No visit by {point} (missing)": summary["n_ftp_missing"],
            "Window closed, no baseline": summary["n_ftp_no_baseline"],
        }
    )


def follow_up_table(shares: pd.DataFrame, lost_after: int) -> pd.DataFrame:
    """services.follow_ups.cohort_follow_up for reading: per time point, of the patients whose window has
    closed, the share seen and the share lost to follow-up, with why."""

    def part(n: pd.Series) -> list[str]:
        return [f"{_percent(k / e if e else float('nan'))} ({k:,})" for k, e in zip(n, shares["eligible"], strict=True)]

    return pd.DataFrame(
        {
            "Time point": shares["time_point"],
            "Window closed": shares["eligible"],
            "Seen": part(shares["seen"]),
            "Lost to follow-up": part(shares["lost"]),
            "Declined": part(shares["declined"]),
            f"Unreachable after {lost_after} attempts": part(shares["unreachable"]),
            "Not seen, no outcome yet": part(shares["not_seen"]),
        }
    )
