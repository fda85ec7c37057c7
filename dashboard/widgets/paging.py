"""Pages of a long table: the browser gets one page of rows, never tens of thousands at once."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

PAGE_SIZES = (25, 50, 100, 250)


def paginate(frame: pd.DataFrame, key: str, noun: str = "rows") -> pd.DataFrame:
    """The rows of the page chosen under the table (page number and rows per page), with where they sit."""
    total = len(frame)
    if total <= PAGE_SIZES[0]:
        return frame
    cols = st.columns([1, 1, 3], vertical_alignment="bottom")
    size = cols[1].selectbox("Rows per page", PAGE_SIZES, index=1, key=f"{key}_page_size")
    pages = max(math.ceil(total / size), 1)
    # a filter can shrink the table under a page number chosen before: keep it in range
    if st.session_state.get(f"{key}_page", 1) > pages:
        st.session_state[f"{key}_page"] = pages
    page = cols[0].number_input(
        f"Page (of {pages:,})", min_value=1, max_value=pages, value=1, step=1, key=f"{key}_page"
    )
    first = (int(page) - 1) * size
    shown = frame.iloc[first : first + size]
    cols[2].caption(f"{noun.capitalize()} {first + 1:,}–{first + len(shown):,} of {total:,}")
    return shown
