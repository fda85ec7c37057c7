"""Staff hand this browser (the clinic tablet) to one patient for their self-report (Enter visit, Follow-ups)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, state
from dashboard.formatting import patient_label, plain
from data_model.access import tablet
from data_model.validation import ValidationFailed


def self_report_starter(patient: dict[str, Any], key: str) -> None:
    """An expander that says what handing the tablet over does, and starts it for this patient: from then
    on this browser shows only the patient's questionnaire, at every address, until a staff member signs
    in on it again."""
    pid = int(patient["patient_id"])
    with st.expander("Patient self-report on this tablet"):
        st.write(
            f"Hand this device to {plain(patient_label(patient))} to answer their questionnaire (pain, ODI, "
            "numbness, tingling, weakness, pain medicines). It then shows only that questionnaire, and a "
            "thank-you page once it is sent; to leave it, a staff member signs in on it with their password. "
            "The answers are saved as a visit marked “Patient self-report” for you to check."
        )
        if _has_visit_today(pid):
            st.warning(
                "This patient already has a visit today: the self-report will be saved as a second visit on "
                "the same day (check both afterwards; void one if it is a duplicate)."
            )
        if st.button("Start the self-report and hand over the tablet", key=key, type="primary"):
            sign_in_id = state.held_sign_in()
            try:
                data.write(lambda session: tablet.start(session, sign_in_id, pid))
            except ValidationFailed as failure:
                st.error(plain("; ".join(f"{error.field.capitalize()}: {error.message}" for error in failure.errors)))
                return
            st.rerun()  # the whole browser is now the tablet


def _has_visit_today(patient_id: int) -> bool:
    today = data.today()  # the site's date: the day the patient's visit is on
    record = data.patient_record(patient_id, today)
    if record is None or record.visits.empty:
        return False
    live = record.visits[record.visits["voided_at"].isna()]
    return bool((pd.to_datetime(live["visit_date"]).dt.date == today).any())
