"""Correct or void a visit entered wrongly: nothing is deleted, the audit keeps before and after."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from data_model import commands

from .formatting import plain, score
from .forms import save  # one save path for every form: messages, clearing, errors


def _label(row: pd.Series) -> str:
    values = ", ".join(f"{name} {score(row[col])}" for col, name in
                       (("back_pain", "back"), ("leg_pain", "leg"), ("odi", "ODI")) if pd.notna(row[col]))
    return f"{row['visit_date']} · {values or 'no pain score'} · #{row['visit_id']}"


def correction_form(patient: dict[str, Any], visits: pd.DataFrame) -> None:
    live = visits[visits["voided_at"].isna()]
    if live.empty:
        st.caption("No visit to correct.")
        return
    labels = {_label(row): row for _, row in live.iterrows()}
    chosen = labels[st.selectbox("Visit", list(labels), key="c_visit")]
    vid = int(chosen["visit_id"])
    with st.form(f"correct_form_{vid}"):
        cols = st.columns(4)
        raw = {
            "visit_date": cols[0].date_input("Visit date", value=chosen["visit_date"], key=f"c_date_{vid}"),
            "back_pain": cols[1].number_input("Back pain (0–10)", 0.0, 10.0, _num(chosen["back_pain"]), 0.5,
                                              key=f"c_back_{vid}"),
            "leg_pain": cols[2].number_input("Leg pain (0–10)", 0.0, 10.0, _num(chosen["leg_pain"]), 0.5,
                                             key=f"c_leg_{vid}"),
            "odi": cols[3].number_input("ODI (0–100)", 0.0, 100.0, _num(chosen["odi"]), 1.0, key=f"c_odi_{vid}"),
            "numbness": _flag(chosen["numbness"]), "tingling": _flag(chosen["tingling"]),
            "weakness": _flag(chosen["weakness"]), "mme_per_day": _num(chosen["mme_per_day"]),
            "notes": st.text_input("Notes", value=chosen["notes"] or "", key=f"c_notes_{vid}"),
        }
        correct = st.form_submit_button("Save correction", type="primary")
    reason = st.text_input("Reason for voiding", key=f"c_reason_{vid}", placeholder="e.g. entered for the wrong patient")
    void = st.button("Void this visit", key=f"c_void_{vid}", disabled=not reason.strip())
    if correct:
        save("correct", lambda s: commands.correct_visit(s, vid, raw),
              f"Corrected the visit of {raw['visit_date']} for {plain(patient['mrn'])}; the previous values are in the audit trail.")
    if void:
        save("correct", lambda s: commands.void_visit(s, vid, reason),
              f"Voided the visit of {chosen['visit_date']} for {plain(patient['mrn'])}; it stays in the record, marked voided.")


def _num(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def _flag(value: Any) -> bool | None:
    return None if pd.isna(value) else bool(value)
