"""Audit trail (admin): every write and sign-in, newest first, in clinic words, with filters; the raw
records on demand."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.audit_words import RECORD_CHOICES, readable
from dashboard.formatting import plain, site_zone, zone_caption
from dashboard.signin import auth
from data_model.access.permissions import Action


def _parsed(value: object) -> object:
    """A stored value for the raw record: JSON text as its value (shown as JSON, on purpose), ids as 7 (not
    7.0 or numpy's int64), a missing value as null."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value is None or pd.isna(value):
        return None
    number = getattr(value, "item", lambda: value)()  # numpy scalars to Python ones
    return int(number) if isinstance(number, float) and number.is_integer() else number


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
    st.caption(zone_caption(zone) + ". Select an entry to read it in full, with its raw record.")
    shown = readable(entries, zone)
    picked = st.dataframe(
        shown,
        hide_index=True,
        column_config={"Details": st.column_config.TextColumn("Details", width="large")},
        on_select="rerun",
        selection_mode="single-row",
        key="audit_rows",
    )
    rows = list(picked.selection.rows) if picked is not None else []
    if rows:
        entry, words = entries.iloc[rows[0]], shown.iloc[rows[0]]
        with st.container(border=True, key="audit_entry"):
            patient = f" · {words['Patient']}" if words["Patient"] else ""
            st.markdown(plain(f"{words['When']} · {words['Who']} · {words['What']}{patient}"))
            st.text(words["Details"].replace(" · ", "\n"))  # every change on a line of its own, in full
            with st.expander("Raw record"):
                st.json(
                    {
                        "id": int(entry["id"]),
                        "at (UTC)": str(entry["at"]),
                        **{k: entry[k] if isinstance(entry[k], str) else None for k in ("actor", "action", "table")},
                        **{k: _parsed(entry[k]) for k in ("row_id", "patient_id")},
                        **{k: _parsed(entry[k]) for k in ("before", "after", "detail")},
                    }
                )
    # Every stored value (JSON, UTC) of the listed entries, for whoever must check what the words came from.
    if st.toggle("Show the raw records", key="audit_raw"):
        st.dataframe(
            entries,
            hide_index=True,
            column_config={"at": st.column_config.DatetimeColumn("at (UTC)", format="YYYY-MM-DD HH:mm:ss")},
        )
