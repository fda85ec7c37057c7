"""The ODI by its ten sections on the staff's visit forms, copied from a paper form.

Each section is a text box for its score 0–5, judged by data_model.validation like every other field; the
total is computed from them. The sections show only when asked for (a switch above the form, on by itself
for a visit that has them), so that a total copied alone stays one box and the form's Tab order does not
grow by ten stops for the clinics that never copy sections.

The statements a patient chooses from are the site's licensed wording (data_model/odi.py): when the site
supplied them, they are listed under the form for reference; the boxes take the score the paper shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.formatting import plain
from dashboard.widgets.feedback import FormFeedback
from data_model import odi

SWITCH_LABEL = "ODI section by section"
SWITCH_HELP_TEXT = "Copy the ten section scores (0–5) of a paper ODI; the total is computed from them."
NOT_ANSWERED = "not answered"
PER_ROW = 5


def label(key: str) -> str:
    return f"{odi.LABELS[key]} (0–5)"


def has_sections(values: dict[str, Any]) -> bool:
    """True when a stored visit holds at least one section score."""
    return any(_present(values.get(column)) for column in odi.COLUMNS)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value))


def wanted(key: str, stored: bool = False) -> bool:
    """The switch above a visit form: are the sections shown? Always for a visit that has them, so that a
    correction never drops a patient's answers unseen."""
    if stored:
        st.caption(f"{SWITCH_LABEL}: this visit's ODI was given by section; correct the scores below.")
        return True
    return st.toggle(SWITCH_LABEL, key=key)


def section_fields(
    feedback: FormFeedback, key: Callable[[str], str], values: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ten section boxes in the paper form's order, two rows of five; fields odi.column(key), as typed."""
    values = values or {}
    st.caption(SWITCH_HELP_TEXT + " Leave a section empty when it was not answered.")
    raw: dict[str, Any] = {}
    for start in range(0, len(odi.KEYS), PER_ROW):
        row = st.columns(PER_ROW)
        for column, section in zip(row, odi.KEYS[start : start + PER_ROW], strict=True):
            name = odi.column(section)
            stored = values.get(name)
            raw[name] = feedback.text(
                column,
                name,
                label(section),
                key(name),
                value=f"{stored:.0f}" if _present(stored) else "",
                placeholder=NOT_ANSWERED,
            )
    return raw


def site_statements() -> None:
    """The site's statements for each section, for reference, when the site supplied them."""
    try:
        wording = data.odi_wording()
    except odi.WordingError as error:
        st.warning(plain(f"The site's ODI statements cannot be shown: {error}"))
        return
    if not wording.statements:
        return
    with st.expander("The site's ODI statements"):
        for key in odi.KEYS:
            options = wording.statements.get(key)
            if options is None:
                continue
            st.markdown(f"**{plain(odi.LABELS[key])}**")
            st.text("\n".join(f"{score}  {statement}" for score, statement in enumerate(options)))


def answered_summary(raw: dict[str, Any]) -> str:
    """'ODI by section, 9 of 10 answered' for the save message, or '' when no section was typed."""
    given = sum(1 for column in odi.COLUMNS if str(raw.get(column) or "").strip())
    return f"ODI by section, {given} of 10 answered" if given else ""
