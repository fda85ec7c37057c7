"""Finding the right patient: search by MRN (or part of it) or name, choose by MRN, name and birth year."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import data, state
from dashboard.formatting import patient_label, plain


def _identified(shown: list[dict[str, Any]], total: int, query: str) -> int | None:
    """The patient a search names without a doubt: the exact MRN, or the only match; else nobody."""
    exact = [p for p in shown if str(p["mrn"]).lower() == query.strip().lower()]
    if exact:
        return int(exact[0]["patient_id"])
    if total == 1 and shown:
        return int(shown[0]["patient_id"])
    return None


def show_next(key: str, text: str) -> None:
    """Put text in the finder on the next run (a widget's value cannot change once drawn in this run)."""
    st.session_state[f"{key}_next"] = text


def patient_finder(key: str) -> dict[str, Any] | None:
    """The open patient, as a dict with mrn, display_name and birth_year, or None.

    A new search opens a patient only when it names one (the exact MRN, or a single match); among
    several (three patients of one name) nobody is open until the person chooses, by MRN, name and
    birth year. A search that finds more than it lists says so and how to narrow it. A patient opened
    elsewhere (the worklist, the follow-ups) replaces the search left in the box.
    """
    query_key, last_key, chose_key = f"{key}_query", f"{key}_searched", f"{key}_chose"

    def choose(patient_id: int | None) -> None:
        state.select_patient(patient_id)
        st.session_state[chose_key] = patient_id

    if f"{key}_next" in st.session_state:
        st.session_state[query_key] = st.session_state.pop(f"{key}_next")
    elif str(st.session_state.get(query_key) or "").strip() and state.selected_patient() != st.session_state.get(
        chose_key
    ):
        st.session_state[query_key] = ""
    query = st.text_input(
        "Find patient",
        key=query_key,
        placeholder="MRN (or some of its digits), or name: Oakhollow, Dora",
        help="Part of the MRN, or the name's words in any order (Last, First works); case does not matter.",
    )
    if not query.strip():
        st.session_state.pop(last_key, None)
        choose(state.selected_patient())
        return _open_patient()
    search = data.find_patients(query)
    shown = search.shown.to_dict("records")
    if st.session_state.get(last_key) != query:
        st.session_state[last_key] = query
        choose(_identified(shown, search.total, query))
    if search.total == 0:
        st.warning(f"No patient matches “{plain(query.strip())}”. Try part of the MRN, or the name as Last, First.")
        return None
    by_id = {int(p["patient_id"]): p for p in shown}
    current = state.selected_patient()
    ids = list(by_id)
    noun = "patient matches" if search.total == 1 else "patients match"
    picked = st.selectbox(
        f"{search.total} {noun}",
        ids,
        index=ids.index(current) if current in by_id else None,
        format_func=lambda pid: patient_label(by_id[pid]),
        placeholder="Choose the patient (check the birth year)",
        # a fresh widget per search and per choice, so the list always shows the patient that is open
        key=f"{key}_pick:{query.strip().lower()}:{current}",
    )
    if search.cut:
        st.caption(
            f"Showing the first {len(shown)} of {search.total} patients that match “{plain(query.strip())}”. "
            "Type more of the MRN, or the name as Last, First, to narrow the list."
        )
    if picked is None:
        return None
    if picked != current:
        choose(picked)
    return by_id[picked]


def _open_patient() -> dict[str, Any] | None:
    open_id = state.selected_patient()
    if open_id is None:
        return None
    record = data.patient_record(open_id, data.today())
    return None if record is None else record.patient
