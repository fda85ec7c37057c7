"""Worklist: patients whose pain persists past the recovery window, most severe first, with the reason."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import data, state
from dashboard.downloads.buttons import worklist_download
from dashboard.formatting import SEVERITY_TEXT, flag_label, patient_label, procedure_label
from dashboard.signin import auth
from dashboard.widgets import query_params
from dashboard.widgets.paging import paginate
from data_model.access.permissions import Action
from data_model.catalog import FLAG_CODES, PROCEDURES
from data_model.services.worklist import WorklistFilter, filter_worklist

auth.guard(Action.VIEW_PATIENTS)
st.title("Worklist")

# The date and the filters live in the URL: a reload, a bookmark or a shared link shows the same list.
today = date.today()
top = st.columns([1, 3])
as_of = top[0].date_input(
    "As of",
    value=query_params.day("as_of", today) or today,
    max_value=today,
    key="wl_as_of",
    help="Flags are computed from the data known on this date.",
)
query_params.keep("as_of", None if as_of == today else as_of.isoformat())
worklist = data.worklist(as_of)

with st.expander("Filters", expanded=False):
    cols = st.columns(4)
    procedures = cols[0].multiselect(
        "Procedure",
        list(PROCEDURES),
        default=query_params.chosen("procedure", PROCEDURES),
        format_func=procedure_label,
        key="wl_procedures",
    )
    known_surgeons = data.surgeons()
    surgeons = cols[1].multiselect(
        "Surgeon", known_surgeons, default=query_params.chosen("surgeon", known_surgeons), key="wl_surgeons"
    )
    flags = cols[2].multiselect(
        "Flag",
        list(FLAG_CODES),
        default=query_params.chosen("flag", FLAG_CODES),
        format_func=lambda c: FLAG_CODES[c].label,
        key="wl_flags",
    )
    max_weeks = int(worklist["weeks_since_surgery"].max()) + 1 if not worklist.empty else 104
    every_week = (0, max(max_weeks, 1))
    weeks = cols[3].slider(
        "Weeks since surgery", *every_week, query_params.span("weeks", *every_week) or every_week, key="wl_weeks"
    )
    show_reviewed = st.toggle(
        "Show patients whose flags were reviewed",
        value=query_params.switch("reviewed"),
        key="wl_show_reviewed",
        help="A review holds until new data arrives for the patient.",
    )
for name, value in (
    ("procedure", procedures),
    ("surgeon", surgeons),
    ("flag", flags),
    ("weeks", None if weeks == every_week else f"{weeks[0]}-{weeks[1]}"),
    ("reviewed", "yes" if show_reviewed else None),
):
    query_params.keep(name, value)

shown = filter_worklist(
    worklist, WorklistFilter(tuple(procedures), tuple(surgeons), tuple(flags), weeks, show_reviewed)
)
reviewed_hidden = int(worklist["reviewed"].sum()) - int(shown["reviewed"].sum()) if not worklist.empty else 0
top[1].metric("Flagged patients", len(shown), help="After filters; reviewed patients hidden unless shown.")
if reviewed_hidden:
    st.caption(f"{reviewed_hidden} reviewed patient(s) hidden.")

if shown.empty:
    st.success(
        "No patient matches: nobody is flagged with these filters."
        if not worklist.empty
        else "No patient is flagged as of this date."
    )
    st.stop()

page = paginate(shown, "wl", noun="patients")
table = page.assign(
    sev=page["severity"].map(SEVERITY_TEXT),
    procedure=page["procedure"].str.capitalize(),
    weeks=page["weeks_since_surgery"].round(0).astype(int),
    flag_names=page["flags"].map(lambda codes: ", ".join(flag_label(c) for c in codes.split(";"))),
)


def _open_selected_row() -> None:
    rows = st.session_state["wl_table"].selection.rows
    if rows:
        state.select_patient(st.session_state["wl_row_ids"][rows[0]])
        st.session_state["wl_go"] = True


st.session_state["wl_row_ids"] = [int(pid) for pid in page["patient_id"]]
st.dataframe(
    table,
    column_order=[
        "sev",
        "mrn",
        "display_name",
        "procedure",
        "weeks",
        "current_pain",
        "acceptable_state",
        "reasons",
        "flag_names",
    ],
    column_config={
        "sev": st.column_config.TextColumn("Severity", width="small"),
        "mrn": "MRN",
        "display_name": "Name",
        "procedure": "Procedure",
        "weeks": st.column_config.NumberColumn("Weeks", help="Weeks since the most recent surgery"),
        "current_pain": st.column_config.NumberColumn(
            "Pain", format="%.1f", help="Current pain, worse of back and leg"
        ),
        "acceptable_state": st.column_config.TextColumn(
            "Acceptable state", help="Patient acceptable symptom state (PASS): pain and ODI now within the limits"
        ),
        "reasons": st.column_config.TextColumn("Why", width="large"),
        "flag_names": "Flags",
    },
    hide_index=True,
    on_select=_open_selected_row,
    selection_mode="single-row",
    key="wl_table",
)

choices = {patient_label(p): p["patient_id"] for p in page.to_dict("records")}  # MRN, name and birth year
col = st.columns([3, 1], vertical_alignment="bottom")
chosen = col[0].selectbox("Patient to open", list(choices), key="wl_open_choice", help="Or click a row of the table.")
if col[1].button("Open patient", type="primary", key="wl_open"):
    state.select_patient(int(choices[chosen]))
    st.session_state["wl_go"] = True
if st.session_state.pop("wl_go", False):
    st.switch_page("pages/patient.py", query_params={state.PATIENT_PARAM: str(state.selected_patient())})

worklist_download(shown, as_of)  # clinicians and admins: the list as filtered, by pseudonym
