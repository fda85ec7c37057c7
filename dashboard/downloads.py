"""Download buttons: every chart as PNG, SVG, PDF and HTML."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from .figure_export import FORMATS, figure_bytes


def chart_downloads(name: str, figure: go.Figure) -> None:
    """Four buttons; the file is drawn only when one is clicked (kaleido takes a moment per image)."""
    cols = st.columns(len(FORMATS) + 2)
    for col, (fmt, mime) in zip(cols, FORMATS.items(), strict=False):
        col.download_button(
            fmt.upper(), data=lambda fmt=fmt: figure_bytes(figure, fmt), file_name=f"paintrail-{name}.{fmt}",
            mime=mime, key=f"dl_{name}_{fmt}", help=f"Download this chart as {fmt.upper()}", on_click="ignore",
        )
