"""Correct or void a visit entered wrongly: nothing is deleted, the audit keeps before and after."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.formatting import score
from dashboard.widgets import odi_sections
from dashboard.widgets.feedback import FormFeedback
from dashboard.widgets.forms import (  # one save path and one set of visit fields for every form
    LAST_VISIT,
    save,
    visit_fields,
)
from data_model import commands, odi


def _label(row: pd.Series) -> str:
    values = ", ".join(
        f"{name} {score(row[col])}"
        for col, name in (("back_pain", "back"), ("leg_pain", "leg"), ("odi", "ODI"))
        if pd.notna(row[col])
    )
    return f"{pd.Timestamp(row['visit_date']):%Y-%m-%d} · {values or 'no pain score'} · #{row['visit_id']}"


def _first_choice(patient_id: int, visit_ids: list[int]) -> int:
    """The visit saved last in this session when it is this patient's, else the latest (the list's first)."""
    last = st.session_state.get(LAST_VISIT)
    if last is not None and last[0] == patient_id and last[1] in visit_ids:
        return visit_ids.index(last[1])
    return 0


def correction_form(patient: dict[str, Any], visits: pd.DataFrame) -> None:
    live = visits[visits["voided_at"].isna()]  # newest first (queries.visits_table)
    if live.empty:
        st.caption("No visit to correct.")
        return
    pid = int(patient["patient_id"])
    rows = {int(row["visit_id"]): row for _, row in live.iterrows()}
    ids = list(rows)
    first = _first_choice(pid, ids)
    # A new key whenever a visit is added or saved: the choice starts again from the latest one.
    vid = st.selectbox(
        "Visit", ids, index=first, format_func=lambda v: _label(rows[v]), key=f"c_visit_{pid}_{max(ids)}_{ids[first]}"
    )
    chosen = rows[vid]
    feedback = FormFeedback()
    by_section = odi_sections.wanted(f"c_odi_sections_{vid}", stored=odi_sections.has_sections(chosen.to_dict()))
    with st.form(f"correct_form_{vid}"):
        values = {name: _value(chosen[name]) for name in ("back_pain", "leg_pain", "odi", "mme_per_day", "notes")}
        values |= {
            name: None if pd.isna(chosen[name]) else bool(chosen[name]) for name in ("numbness", "tingling", "weakness")
        }
        values["visit_date"] = pd.Timestamp(chosen["visit_date"]).date()
        values |= {name: chosen.get(name) for name in (*odi.COLUMNS, "odi_source")}
        raw = visit_fields(feedback, "c", vid, values, odi_by_section=by_section)
        correct = st.form_submit_button("Save correction", type="primary")
        feedback.summary_here()
    void_feedback = FormFeedback()
    # A form, not a button enabled by the reason: a disabled button is skipped by the Tab key, and Enter
    # in the reason voids (or says that a reason is needed).
    with st.form(f"void_form_{vid}"):
        reason = void_feedback.text(
            st, "reason", "Reason for voiding", f"c_reason_{vid}", placeholder="e.g. entered for the wrong patient"
        )
        void = st.form_submit_button("Void this visit")
        void_feedback.summary_here()
    if correct:
        save(
            "correct",
            feedback,
            lambda s: commands.correct_visit(s, vid, raw),
            f"Corrected the visit of {str(raw['visit_date']).strip()} for {patient['mrn']}; "
            "the previous values are in the audit trail.",
        )
    if void:
        save(
            "correct",
            void_feedback,
            lambda s: commands.void_visit(s, vid, reason),
            f"Voided the visit of {values['visit_date']:%Y-%m-%d} for {patient['mrn']}; it stays in the record, "
            "marked voided.",
        )


def _value(value: Any) -> float | str | None:
    if isinstance(value, str):
        return value
    return None if pd.isna(value) else float(value)
