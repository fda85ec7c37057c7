"""The staff's entry forms: patient finder, visit, treatment, surgery and new patient."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from data_model import commands
from data_model.catalog import PROCEDURE_CODES, SEXES, TREATMENT_CODES, TREATMENTS
from data_model.db import DatabaseBusyError
from data_model.validation import FieldError, ValidationFailed

from . import data, state
from .formatting import plain, procedure_label, score, treatment_label

LABELS = {
    "mrn": "MRN", "display_name": "Name", "birth_year": "Birth year", "sex": "Sex",
    "visit_date": "Visit date", "back_pain": "Back pain", "leg_pain": "Leg pain", "odi": "ODI",
    "numbness": "Numbness", "tingling": "Tingling", "weakness": "Weakness", "mme_per_day": "Opioid MME/day",
    "notes": "Notes", "surgery_date": "Surgery date", "procedure": "Procedure", "spinal_levels": "Levels",
    "surgeon": "Surgeon", "treatment": "Treatment", "start_date": "Start date", "end_date": "End date",
    "measurements": "Measurements",
}
SYMPTOM_CHOICES = {None: "not asked", False: "no", True: "yes"}
SAVED = "ef_saved"
PENDING_VISIT = "ef_pending_visit"


def describe(error: FieldError) -> str:
    value = "" if error.value is None else f" (entered: {error.value!r})"
    return f"**{LABELS.get(error.field, error.field)}**: {plain(error.message + value)}"


def _generation(form: str) -> int:
    """Bumped after a save so the form's widgets get new keys and come back empty."""
    return st.session_state.get(f"ef_gen_{form}", 0)


def _saved(form: str, message: str) -> None:
    st.session_state[f"ef_gen_{form}"] = _generation(form) + 1
    st.session_state[SAVED] = message
    st.rerun()


def save(form: str, action, success: str, after=None) -> None:  # noqa: ANN001
    """Write, then clear the form and say what was saved; on bad input say why and keep the entries."""
    try:
        result = data.write(action)
    except commands.SameDayVisitExists:
        raise
    except ValidationFailed as failure:
        st.error("Nothing was saved. " + " · ".join(describe(e) for e in failure.errors))
        return
    except DatabaseBusyError as busy:
        st.error(str(busy))
        return
    if after is not None:
        after(result)
    _saved(form, success)


def show_saved() -> None:
    message = st.session_state.pop(SAVED, None)
    if message:
        st.success(message)


def patient_finder() -> dict[str, Any] | None:
    """Search by MRN or name; the chosen (or already open) patient is returned as a dict."""
    show_saved()
    query = st.text_input("Find patient", placeholder="MRN or name", key="ef_query",
                          help="An MRN prefix or part of the name; case does not matter.")
    if query.strip():
        found = data.find_patients(query)
        if found.empty:
            st.warning(f"No patient matches {plain(repr(query.strip()))}.")
            return None
        options = {f"{p['mrn']} · {p['display_name'] or ''}": p for p in found.to_dict("records")}
        exact = [i for i, p in enumerate(options.values()) if p["mrn"].lower() == query.strip().lower()]
        picked = st.selectbox(f"{len(options)} match(es)", list(options), index=exact[0] if exact else 0, key="ef_pick")
        patient = options[picked]
        state.select_patient(int(patient["patient_id"]))
        return patient
    open_id = state.selected_patient()
    if open_id is not None:
        record = data.patient_record(open_id, date.today())
        if record is not None:
            return record.patient
    return None


def _symptom(label: str, key: str) -> bool | None:
    return st.selectbox(label, list(SYMPTOM_CHOICES), format_func=SYMPTOM_CHOICES.get, key=key)


def visit_form(patient: dict[str, Any]) -> None:
    gen = _generation("visit")
    pid = int(patient["patient_id"])
    with st.form(f"visit_form_{gen}", enter_to_submit=True):
        cols = st.columns(4)
        visit_date = cols[0].date_input("Visit date", value=date.today(), max_value=date.today(), key=f"v_date_{gen}")
        back = cols[1].number_input("Back pain (0–10)", 0.0, 10.0, value=None, step=0.5, key=f"v_back_{gen}",
                                    placeholder="not recorded")
        leg = cols[2].number_input("Leg pain (0–10)", 0.0, 10.0, value=None, step=0.5, key=f"v_leg_{gen}",
                                   placeholder="not recorded")
        odi = cols[3].number_input("ODI (0–100)", 0.0, 100.0, value=None, step=1.0, key=f"v_odi_{gen}",
                                   placeholder="not recorded", help="Oswestry Disability Index")
        cols = st.columns(4)
        numbness = _symptom("Numbness", f"v_numb_{gen}")
        with cols[1]:
            tingling = _symptom("Tingling", f"v_ting_{gen}")
        with cols[2]:
            weakness = _symptom("Weakness", f"v_weak_{gen}")
        mme = cols[3].number_input("Opioid MME/day", 0.0, 5000.0, value=None, step=5.0, key=f"v_mme_{gen}",
                                   placeholder="none recorded", help="Morphine milligram equivalents per day")
        notes = st.text_area("Notes", key=f"v_notes_{gen}", max_chars=4000)
        submitted = st.form_submit_button("Save visit", type="primary")
    raw = {"visit_date": visit_date, "back_pain": back, "leg_pain": leg, "odi": odi, "numbness": numbness,
           "tingling": tingling, "weakness": weakness, "mme_per_day": mme, "notes": notes}
    if submitted:
        _save_visit(patient, pid, raw, allow_same_day=False)
    pending = st.session_state.get(PENDING_VISIT)
    if pending and pending["patient_id"] == pid:
        st.warning(f"{plain(patient['mrn'])} already has a visit on {pending['raw']['visit_date']}. Save a second one?")
        yes, no = st.columns(2)
        if yes.button("Save second visit", key="v_confirm_same_day"):
            st.session_state.pop(PENDING_VISIT)
            _save_visit(patient, pid, pending["raw"], allow_same_day=True)
        if no.button("Cancel", key="v_cancel_same_day"):
            st.session_state.pop(PENDING_VISIT)
            st.rerun()


def _visit_summary(raw: dict[str, Any]) -> str:
    parts = [f"{LABELS[k].lower()} {score(raw[k])}" for k in ("back_pain", "leg_pain", "odi", "mme_per_day")
             if raw.get(k) is not None]
    parts += [LABELS[k].lower() for k in ("numbness", "tingling", "weakness") if raw.get(k)]
    return ", ".join(parts)


def _save_visit(patient: dict[str, Any], pid: int, raw: dict[str, Any], allow_same_day: bool) -> None:
    user = state.current_user()
    try:
        save(
            "visit",
            lambda s: commands.add_visit(s, pid, raw, allow_same_day=allow_same_day, actor=user.username),
            f"Saved the visit of {raw['visit_date']} for {plain(patient['mrn'])}: {_visit_summary(raw)}.",
        )
    except commands.SameDayVisitExists:
        st.session_state[PENDING_VISIT] = {"patient_id": pid, "raw": raw}
        st.rerun()


def treatment_form(patient: dict[str, Any]) -> None:
    gen = _generation("treatment")
    pid = int(patient["patient_id"])
    with st.form(f"treatment_form_{gen}"):
        cols = st.columns(3)
        code = cols[0].selectbox("Treatment", TREATMENT_CODES, key=f"t_code_{gen}",
                                 format_func=lambda c: f"{TREATMENTS[c].group}: {treatment_label(c)}")
        start = cols[1].date_input("Start date", value=date.today(), max_value=date.today(), key=f"t_start_{gen}")
        end = cols[2].date_input("End date (if ended)", value=None, max_value=date.today(), key=f"t_end_{gen}")
        notes = st.text_input("Notes", key=f"t_notes_{gen}", max_chars=4000)
        submitted = st.form_submit_button("Save treatment", type="primary")
    if submitted:
        raw = {"treatment": code, "start_date": start, "end_date": end, "notes": notes}
        save("treatment", lambda s: commands.add_treatment(s, pid, raw),
              f"Saved {treatment_label(code)} from {start} for {plain(patient['mrn'])}.")


def surgery_form(patient: dict[str, Any]) -> None:
    gen = _generation("surgery")
    pid = int(patient["patient_id"])
    with st.form(f"surgery_form_{gen}"):
        raw = _surgery_fields(gen)
        submitted = st.form_submit_button("Save surgery", type="primary")
    if submitted:
        save("surgery", lambda s: commands.add_surgery(s, pid, raw),
              f"Saved {procedure_label(raw['procedure'])} on {raw['surgery_date']} for {plain(patient['mrn'])}; "
              "the recovery window restarts from this surgery.")


def _surgery_fields(gen: int) -> dict[str, Any]:
    cols = st.columns(4)
    return {
        "surgery_date": cols[0].date_input("Surgery date", value=None, max_value=date.today(), key=f"s_date_{gen}"),
        "procedure": cols[1].selectbox("Procedure", PROCEDURE_CODES, format_func=procedure_label, key=f"s_proc_{gen}"),
        "spinal_levels": cols[2].text_input("Levels", placeholder="e.g. L4-L5", key=f"s_levels_{gen}"),
        "surgeon": cols[3].text_input("Surgeon", key=f"s_surgeon_{gen}"),
        "notes": st.text_input("Surgery notes", key=f"s_notes_{gen}"),
    }


def new_patient_form() -> None:
    gen = _generation("patient")
    with st.expander("Register a new patient", expanded=False):
        with st.form(f"patient_form_{gen}"):
            cols = st.columns(4)
            raw = {
                "mrn": cols[0].text_input("MRN", key=f"p_mrn_{gen}"),
                "display_name": cols[1].text_input("Name", key=f"p_name_{gen}"),
                "birth_year": cols[2].number_input("Birth year", 1900, date.today().year, value=None, step=1,
                                                   key=f"p_birth_{gen}"),
                "sex": cols[3].selectbox("Sex", SEXES, index=SEXES.index("unknown"), key=f"p_sex_{gen}"),
            }
            st.caption("Index surgery (optional; can be added later)")
            surgery = _surgery_fields(1000 + gen)
            submitted = st.form_submit_button("Register patient", type="primary")
        if submitted:
            def register(session):
                created = commands.register_patient(session, raw)
                if surgery["surgery_date"] is not None:
                    commands.add_surgery(session, created.id, surgery)
                return created.id

            save("patient", register, f"Registered {plain(raw['mrn'])}.", after=state.select_patient)
