"""Audit trail (admin): every write and sign-in, newest first, in clinic words, with filters; the raw
records on demand."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.audit_words import RECORD_CHOICES, readable
from dashboard.formatting import plain, site_zone, zone_caption
from dashboard.signin import auth
from data_model.access.permissions import Action

auth.guard(Action.VIEW_AUDIT)
st.title("Audit trail")
st.caption("Every addition, change and void with who, when and the values before and after; sign-ins; imports.")
zone = site_zone(data.settings().time_zone)

cols = st.columns(4)
actor = cols[0].text_input("User", key="audit_actor").strip() or None
table = cols[1].selectbox(
    "Record",
    [None, *RECORD_CHOICES],
    format_func=lambda name: "Any" if name is None else RECORD_CHOICES[name],
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

entries = data.audit(actor, table, patient_id, int(limit))
if entries.empty:
    st.info("No audit entry matches.")
else:
    st.caption(zone_caption(zone))
    st.dataframe(
        readable(entries, zone),
        hide_index=True,
        column_config={
            "When": st.column_config.TextColumn("When", width="small"),
            "Details": st.column_config.TextColumn("Details", width="large"),
        },
    )
    # The exact stored values (JSON, UTC), for whoever must check what the words above were made from.
    if st.toggle("Show the raw records", key="audit_raw"):
        st.dataframe(
            entries,
            hide_index=True,
            column_config={"at": st.column_config.DatetimeColumn("at (UTC)", format="YYYY-MM-DD HH:mm:ss")},
        )
