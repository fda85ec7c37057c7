"""Follow-ups: registry visits overdue or due this week, by time point, and the way to the visit form."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import data, state
from dashboard.formatting import patient_label
from dashboard.signin import auth
from dashboard.widgets.paging import paginate
from data_model.access.permissions import Action
from data_model.follow_up import time_point_name

auth.guard(Action.VIEW_PATIENTS)
st.title("Follow-ups")
st.caption(
    "Registry time points after the most recent surgery: 6 weeks, 3, 12 and 24 months, each with a "
    "due window. Overdue means the window closed without a visit (in the last 26 weeks)."
)

cols = st.columns([1, 1, 2])
as_of = cols[0].date_input("As of", value=date.today(), max_value=date.today(), key="fu_as_of")
# A choice, not a typed number: a number box would silently keep its last value when 90 is typed past its limit.
ahead = cols[1].selectbox("Due within (days)", (7, 14, 30, 60), index=0, key="fu_ahead")
rows = data.follow_ups(as_of, int(ahead))

if rows.empty:
    st.success("Nobody is overdue and nobody is due in this period.")
    st.stop()

overdue = rows[rows["status"] == "overdue"]
due = rows[rows["status"] != "overdue"]
cols[2].metric("Overdue / due", f"{overdue['patient_id'].nunique()} / {due['patient_id'].nunique()} patients")
table = rows.assign(
    follow_up=rows["time_point"].map(time_point_name),
    state=rows["status"].map({"overdue": "OVERDUE", "due": "due now", "upcoming": "due soon", "future": "due soon"}),
    window=rows["window_start"].dt.strftime("%Y-%m-%d") + " to " + rows["window_end"].dt.strftime("%Y-%m-%d"),
    procedure=rows["procedure"].str.capitalize(),
)
on_screen = []
for title, part in (("Overdue", table[table["status"] == "overdue"]), ("Due", table[table["status"] != "overdue"])):
    st.subheader(f"{title} ({len(part):,})")
    if part.empty:
        st.caption("None.")
        continue
    part = paginate(part, f"fu_{title.lower()}", noun="follow-ups")
    on_screen.append(part)
    st.dataframe(
        part,
        hide_index=True,
        key=f"fu_table_{title}",
        column_order=["state", "mrn", "display_name", "procedure", "follow_up", "window", "days_overdue"],
        column_config={
            "state": "",
            "mrn": "MRN",
            "display_name": "Name",
            "procedure": "Procedure",
            "follow_up": "Follow-up",
            "window": "Due window",
            "days_overdue": st.column_config.NumberColumn("Days overdue"),
        },
    )

listed = pd.concat(on_screen)  # the rows on screen: a selectbox of every follow-up would be tens of thousands
choices = {f"{patient_label(p)} · {p['follow_up']}": p["patient_id"] for p in listed.to_dict("records")}
col = st.columns([3, 1], vertical_alignment="bottom")
chosen = col[0].selectbox("Patient", list(choices), key="fu_choice")
if auth.allowed(Action.ENTER_DATA) and col[1].button("Enter their visit", type="primary", key="fu_enter"):
    state.select_patient(int(choices[chosen]))
    st.session_state.pop("ef_query", None)
    st.switch_page("pages/enter_visit.py")
