"""The patient page's treatment response: pain before and after each treatment, and steps not yet tried."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.formatting import score, treatment_label
from data_model.treatment_response import AFTER_DAYS, BEFORE_DAYS, NOT_YET_TRIED_NOTE, change_in_words


def _window(start: pd.Series, end: pd.Series) -> pd.Series:
    return start.dt.strftime("%Y-%m-%d") + " to " + end.dt.strftime("%Y-%m-%d")


def treatment_response_section(response: pd.DataFrame, steps: pd.DataFrame) -> None:
    st.subheader("Treatment response")
    if response.empty:
        st.caption("No treatment recorded yet.")
    else:
        st.caption(
            f"Mean pain (worse of back and leg) in the {BEFORE_DAYS} days up to the start, and from day "
            f"{AFTER_DAYS[0]} to day {AFTER_DAYS[1]} after it; windows stop at a spine surgery. A missing side "
            "stays missing: it never counts as a response. Lower is better (pain on 0–10)."
        )
        table = pd.DataFrame(
            {
                "Treatment": response["code"].map(treatment_label),
                "Started": response["start_date"].dt.strftime("%Y-%m-%d"),
                "Pain before": [
                    f"{score(v)} (n={n})" if n else "no visit"
                    for v, n in zip(response["pain_before"], response["n_before"], strict=True)
                ],
                "Before window": _window(response["before_from"], response["before_to"]),
                "Pain after": [
                    f"{score(v)} (n={n})" if n else "no visit yet"
                    for v, n in zip(response["pain_after"], response["n_after"], strict=True)
                ],
                "After window": _window(response["after_from"], response["after_to"]),
                "Pain after vs before": [
                    change_in_words(c, p)
                    for c, p in zip(response["change_points"], response["change_percent"], strict=True)
                ],
                "Responder (≥ 30 %)": response["responder"].map({True: "yes", False: "no"}).fillna("unknown"),
            }
        )
        # a static table wraps its cells: no column is cut on a 1280-pixel screen
        st.table(table, hide_index=True)
    untried = steps[~steps["tried"]]
    with st.expander(f"Stepped care: {len(untried)} catalogue steps not tried yet"):
        st.caption(NOT_YET_TRIED_NOTE)
        st.dataframe(
            steps.assign(tried=steps["tried"].map({True: "tried", False: "not yet"}))[["group", "label", "tried"]],
            hide_index=True,
            key="pt_steps",
            column_config={"group": "Group", "label": "Treatment", "tried": ""},
        )
