"""Enter visit: find a patient, then record a visit, a treatment, a surgery, or register a new patient."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import auth, data, forms, state
from dashboard.corrections import correction_form
from dashboard.formatting import plain
from data_model.permissions import Action

auth.guard(Action.ENTER_DATA)
st.title("Enter visit")

patient = forms.patient_finder()
if patient is None:
    st.info("Find the patient above by MRN or name, or register a new patient.")
    forms.new_patient_form()
    st.stop()

st.markdown(f"**{plain(patient['mrn'])}** · {plain(patient['display_name'] or '(no name)')} · born {patient['birth_year'] or '?'}")
visit_tab, treatment_tab, surgery_tab, correct_tab, new_tab = st.tabs(
    ["Visit", "Treatment", "Surgery", "Correct a visit", "New patient"]
)
with visit_tab:
    forms.visit_form(patient)
with treatment_tab:
    forms.treatment_form(patient)
with surgery_tab:
    forms.surgery_form(patient)
with correct_tab:
    record = data.patient_record(int(patient["patient_id"]), date.today())
    correction_form(patient, record.visits)
with new_tab:
    forms.new_patient_form()
if st.button("Open this patient's trajectory", key="ev_open_patient"):
    state.select_patient(int(patient["patient_id"]))
    st.switch_page("pages/patient.py")
