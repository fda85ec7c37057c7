"""The patient page's flag review: who reviewed what and when, the form to mark flags reviewed (a note is
required, a re-check date optional), and undo."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import data, state
from dashboard.formatting import flag_label, plain, site_zone, when
from dashboard.signin import auth
from dashboard.widgets.feedback import sentence
from data_model import commands
from data_model.access.permissions import Action
from data_model.validation import ValidationFailed


def _status(review: dict, flags: pd.DataFrame) -> str:
    if review["newer_data"] or not set(flags["code"]) <= set(review["flags"]):
        return "new data or new flags since; review again"
    recheck = review.get("recheck_on")
    if recheck is not None and recheck <= data.today():
        return f"re-check date {recheck:%Y-%m-%d} has come; review again"
    return f"holds until {recheck:%Y-%m-%d} or new data" if recheck is not None else "holds until new data"


def _reviewer() -> str:
    return state.signed_in_user().username  # the page's guard has let only a signed-in user this far


def review_section(patient_id: int, flags: pd.DataFrame, review: dict | None) -> None:
    may_review = auth.allowed(Action.REVIEW_FLAGS)
    message = st.session_state.pop("review_saved", None)
    if message:
        st.success(message)
    if review is not None:
        at = when(review["reviewed_at"], site_zone(data.settings().time_zone))
        note = f" — “{plain(review['note'])}”" if review["note"] else ""
        st.caption(f"Reviewed by {plain(review['reviewed_by'])} on {at} ({plain(_status(review, flags))}){note}")
        if may_review and st.button("Undo this review", key=f"review_undo_{review['review_id']}"):
            actor = _reviewer()
            data.write(lambda s: commands.undo_review(s, review["review_id"], actor))
            st.session_state["review_saved"] = "Review undone: the patient is back on the worklist."
            st.rerun()
    if flags.empty or not may_review:
        return
    with st.form(f"review_form_{patient_id}", clear_on_submit=False):
        note = st.text_input(
            "Review note (required)",
            max_chars=4000,
            key="review_note",
            placeholder="e.g. SCS trial booked; re-assess in 6 weeks",
            help="What was decided for this patient. Shown on the worklist row when reviewed patients are shown.",
        )
        tomorrow = data.today() + timedelta(days=1)
        recheck = st.date_input(
            "Re-check on (optional)",
            value=None,
            min_value=tomorrow,
            key="review_recheck",
            format="YYYY-MM-DD",
            help="From this day the patient is back on the worklist, even without new data.",
        )
        submitted = st.form_submit_button("Mark flags reviewed")
    if submitted:
        codes = list(flags["code"])
        reviewer = _reviewer()
        try:
            data.write(lambda s: commands.review_flags(s, patient_id, codes, note, reviewer, recheck))
        except ValidationFailed as failed:
            st.error("Nothing was saved. " + " ".join(plain(sentence(e)) for e in failed.errors))
            return
        again = f" or until {recheck:%Y-%m-%d}" if recheck else ""
        st.session_state["review_saved"] = (
            "Reviewed: "
            + ", ".join(flag_label(c) for c in codes)
            + f". The worklist hides these flags until new data arrives{again}."
        )
        for key in ("review_note", "review_recheck"):
            st.session_state.pop(key, None)
        st.rerun()
