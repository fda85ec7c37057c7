"""Audit trail (admin): every write and sign-in, newest first, with filters."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.formatting import plain
from dashboard.signin import auth
from data_model.access.permissions import Action

auth.guard(Action.VIEW_AUDIT)
st.title("Audit trail")
st.caption("Every insert, update and void with who, when and the row before and after; sign-ins; imports.")

cols = st.columns(4)
actor = cols[0].text_input("User", key="audit_actor").strip() or None
table = cols[1].selectbox(
    "Table",
    ["(any)", "patients", "surgeries", "visits", "treatments", "conditions", "flag_reviews", "settings", "users"],
    key="audit_table",
)
mrn = cols[2].text_input("Patient MRN", key="audit_mrn").strip()
# A choice, not a typed number: a number box would silently keep its last value when a typed one broke its limits.
limit = cols[3].selectbox("Rows", (50, 200, 1000, 5000), index=1, key="audit_limit")

patient_id = None
if mrn:
    found = data.find_patients(mrn).shown  # the exact MRN is listed first
    exact = found[found["mrn"].str.lower() == mrn.lower()]
    if exact.empty:
        st.warning(f"No patient with MRN {plain(repr(mrn))}.")
        st.stop()
    patient_id = int(exact.iloc[0]["patient_id"])

entries = data.audit(actor, None if table == "(any)" else table, patient_id, int(limit))
if entries.empty:
    st.info("No audit entry matches.")
else:
    st.dataframe(
        entries,
        hide_index=True,
        column_config={
            "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "before": st.column_config.TextColumn("Before", width="medium"),
            "after": st.column_config.TextColumn("After", width="medium"),
        },
    )
