"""Enter visit: find a patient, then record a visit, a treatment, a surgery, or register a new patient."""

from __future__ import annotations

import streamlit as st

from dashboard import data, state
from dashboard.formatting import patient_label, plain
from dashboard.signin import auth
from dashboard.tablet.start import self_report_starter
from dashboard.widgets import forms
from dashboard.widgets.corrections import correction_form
from dashboard.widgets.feedback import show_saved
from dashboard.widgets.patient.finder import patient_finder
from data_model.access.permissions import Action

auth.guard(Action.ENTER_DATA)
st.title("Enter visit")
show_saved()

patient = patient_finder(forms.FINDER)
if patient is None:
    st.info("Find the patient above by MRN or name and choose them in the list, or register a new patient.")
    forms.new_patient_form()
    st.stop()

st.markdown(f"**{plain(patient_label(patient))}**")
self_report_starter(patient, key="ev_self_report")
forms.open_tab()
# Keyed and tracked, the tabs stay where the person is across reruns: a refused save, or a reason typed
# for voiding, shows in its own tab instead of sending them back to the first one. Only the open tab runs.
visit_tab, treatment_tab, surgery_tab, correct_tab, new_tab = st.tabs(
    [forms.VISIT_TAB, "Treatment", "Surgery", "Correct a visit", "New patient"], key=forms.TAB, on_change="rerun"
)
if visit_tab.open:
    with visit_tab:
        forms.visit_form(patient)
if treatment_tab.open:
    with treatment_tab:
        forms.treatment_form(patient)
if surgery_tab.open:
    with surgery_tab:
        forms.surgery_form(patient)
        forms.fbss_form(patient)
if correct_tab.open:
    with correct_tab:
        record = data.patient_record(int(patient["patient_id"]), data.today())
        if record is None:  # removed since it was chosen
            st.error("This patient's record is no longer there: choose the patient again.")
        else:
            correction_form(patient, record.visits)
if new_tab.open:
    with new_tab:
        forms.new_patient_form(expanded=True)
if st.button("Open this patient's trajectory", key="ev_open_patient"):
    state.select_patient(int(patient["patient_id"]))
    st.switch_page("pages/patient.py")
