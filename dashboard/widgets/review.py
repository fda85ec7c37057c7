"""The patient page's flag review: who reviewed what and when, and the form to mark flags reviewed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, state
from dashboard.formatting import flag_label, plain
from dashboard.signin import auth
from data_model import commands
from data_model.access.permissions import Action


def review_section(patient_id: int, flags: pd.DataFrame, review: dict | None) -> None:
    if review is not None:
        when = pd.Timestamp(review["reviewed_at"]).strftime("%Y-%m-%d %H:%M")
        holds = not review["newer_data"] and set(flags["code"]) <= set(review["flags"])
        status = "holds" if holds else "new data or new flags since; review again"
        note = f" — “{plain(review['note'])}”" if review["note"] else ""
        st.caption(f"Reviewed by {plain(review['reviewed_by'])} on {when} UTC ({status}){note}")
    if flags.empty or not auth.allowed(Action.REVIEW_FLAGS):
        return
    saved = st.session_state.pop("review_saved", None)
    if saved:
        st.success(saved)
    with st.form(f"review_form_{patient_id}", clear_on_submit=True):
        note = st.text_input(
            "Review note", max_chars=4000, key="review_note", placeholder="e.g. SCS trial booked; re-assess in 6 weeks"
        )
        submitted = st.form_submit_button("Mark flags reviewed")
    if submitted:
        codes = list(flags["code"])
        reviewer = state.signed_in_user().username
        data.write(lambda s: commands.review_flags(s, patient_id, codes, note, reviewer))
        st.session_state["review_saved"] = (
            "Reviewed: "
            + ", ".join(flag_label(c) for c in codes)
            + ". The worklist hides these flags until new data arrives."
        )
        st.rerun()
