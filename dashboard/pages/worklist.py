"""Worklist: patients whose pain persists past the recovery window, most severe first, with the reason."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, state
from dashboard.downloads.buttons import worklist_download
from dashboard.formatting import (
    SEVERITY_BADGE,
    SEVERITY_LEGEND,
    SEVERITY_TEXT,
    flag_label,
    patient_label,
    plain,
    procedure_label,
    site_zone,
    when,
)
from dashboard.signin import auth
from dashboard.widgets import query_params
from dashboard.widgets.paging import paginate
from data_model.access.permissions import Action
from data_model.catalog import FLAG_CODES, PROCEDURES, UNKNOWN_SURGERY
from data_model.services.worklist import (
    DEFAULT_SORT,
    WORKLIST_SORTS,
    WorklistFilter,
    filter_worklist,
    reason_list,
)

auth.guard(Action.VIEW_PATIENTS)
st.title("Worklist")

# The date and the filters live in the URL: a reload, a bookmark or a shared link shows the same list.
today = data.today()  # the site's date, in its time zone
top = st.columns([1, 1, 1, 2], vertical_alignment="bottom")
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
    # patients with post-laminectomy syndrome and no recorded surgery have a procedure of their own
    procedure_choices = [*PROCEDURES, UNKNOWN_SURGERY]
    procedures = cols[0].multiselect(
        "Procedure",
        procedure_choices,
        default=query_params.chosen("procedure", procedure_choices),
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
    longest = worklist["weeks_since_surgery"].max()  # NaN: nobody with a known surgery date
    max_weeks = int(longest) + 1 if not pd.isna(longest) else 104
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
# The order of the WHOLE list (not of the page shown): chosen here, applied before paging (data_model).
sort_by = top[1].selectbox(
    "Sort by",
    list(WORKLIST_SORTS),
    index=list(WORKLIST_SORTS).index((query_params.chosen("sort", WORKLIST_SORTS) or [DEFAULT_SORT])[0]),
    format_func=lambda key: WORKLIST_SORTS[key].label,
    key="wl_sort",
    help="Sorts the whole list, every page. A missing value comes last.",
)
first_way = "desc" if WORKLIST_SORTS[sort_by].descending else "asc"
orders: dict[str, str] = (
    {"asc": "A to Z", "desc": "Z to A"}
    if sort_by in ("mrn", "name", "procedure", "surgeon")
    else {"desc": "Highest first", "asc": "Lowest first"}
)
way = top[2].selectbox(
    "Order",
    list(orders),
    index=list(orders).index((query_params.chosen("order", orders) or [first_way])[0]),
    format_func=lambda key: orders[key],
    key=f"wl_order_{sort_by}",
    help="Dates: highest is latest.",
)
for name, value in (
    ("procedure", procedures),
    ("surgeon", surgeons),
    ("flag", flags),
    ("weeks", None if weeks == every_week else f"{weeks[0]}-{weeks[1]}"),
    ("reviewed", "yes" if show_reviewed else None),
    ("sort", None if sort_by == DEFAULT_SORT else sort_by),
    ("order", None if way == first_way else way),
):
    query_params.keep(name, value)

shown = filter_worklist(
    worklist,
    WorklistFilter(
        tuple(procedures),
        tuple(surgeons),
        tuple(flags),
        # the whole range is no restriction: it keeps the patients whose surgery date is unknown
        None if weeks == every_week else weeks,
        show_reviewed,
        sort_by,
        way == "desc",
    ),
)
reviewed_hidden = int(worklist["reviewed"].sum()) - int(shown["reviewed"].sum()) if not worklist.empty else 0
top[3].metric("Flagged patients", len(shown), help="After filters; reviewed patients hidden unless shown.")
st.caption(SEVERITY_LEGEND)
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
MISSING = "–"


def _pain(value: float | None) -> str:
    return MISSING if value is None or pd.isna(value) else f"{float(value):.1f}"


zone = site_zone(data.settings().time_zone)


def _procedure(code: object) -> str:
    """The procedure in a word or two, so the column reads whole on a clinic laptop (header help says PLS)."""
    if not isinstance(code, str):
        return MISSING
    return "Unknown (PLS)" if code == UNKNOWN_SURGERY else code.capitalize()


def _reviewed(row: dict) -> str:
    """Who reviewed, when, and the note: on the row when reviewed patients are shown."""
    if not row.get("reviewed") or pd.isna(row.get("reviewed_at")):
        return ""
    at = when(row["reviewed_at"], zone)
    recheck = row.get("recheck_on")
    again = f" (re-check {pd.Timestamp(recheck):%Y-%m-%d})" if not pd.isna(recheck) else ""
    return f"{row['reviewed_by']}, {at}{again}: {row['review_note'] or ''}".strip()


records = page.to_dict("records")
table = pd.DataFrame(
    {
        "Severity": [SEVERITY_TEXT.get(r["severity"], str(r["severity"])) for r in records],
        "MRN": [r["mrn"] for r in records],
        "Name": [r["display_name"] if isinstance(r["display_name"], str) else MISSING for r in records],
        "Procedure": [_procedure(r["procedure"]) for r in records],
        "Weeks": [
            MISSING if pd.isna(r["weeks_since_surgery"]) else str(int(round(r["weeks_since_surgery"]))) for r in records
        ],
        "Pain": [_pain(r["current_pain"]) for r in records],
        "Acceptable": [str(r["acceptable_state"]).capitalize() for r in records],
        "Flags": [", ".join(flag_label(c) for c in str(r["flags"]).split(";")) for r in records],
        "Why": [" ".join(reason_list(r["reasons"])) for r in records],
        **({"Reviewed": [_reviewed(r) for r in records]} if show_reviewed else {}),
    }
)


def _open_selected_row() -> None:
    """One click on a row's cell (or its checkbox) opens that patient."""
    selection = st.session_state["wl_table"].selection
    rows = list(selection.rows) or [cell[0] for cell in selection.cells]
    if rows:
        state.select_patient(st.session_state["wl_row_ids"][rows[0]])
        st.session_state["wl_go"] = True


st.session_state["wl_row_ids"] = [int(pid) for pid in page["patient_id"]]
st.dataframe(
    table,
    column_config={
        # Widths in pixels so that every column up to Flags reads whole beside the menu on a 1280-wide clinic
        # laptop; the reasons come last (and in full below the list).
        "Severity": st.column_config.TextColumn("Severity", width=72, help=SEVERITY_LEGEND.replace("**", "")),
        "MRN": st.column_config.TextColumn("MRN", width=100),
        "Name": st.column_config.TextColumn("Name", width=150),
        "Procedure": st.column_config.TextColumn(
            "Procedure", width=110, help="Unknown (PLS): post-laminectomy syndrome with no surgery on record"
        ),
        "Weeks": st.column_config.TextColumn("Weeks", width=62, help="Weeks since the most recent surgery"),
        "Pain": st.column_config.TextColumn(
            "Pain /10", width=70, help="Current pain (0–10), the worse of back and leg; – when none recorded"
        ),
        "Acceptable": st.column_config.TextColumn(
            "Acceptable",
            width=104,
            help="Patient acceptable symptom state (PASS): pain and ODI now within the limits set in Settings",
        ),
        "Flags": st.column_config.TextColumn("Flags", width=200),
        "Why": st.column_config.TextColumn("Why (every reason below the list)", width="large"),
        "Reviewed": st.column_config.TextColumn("Reviewed (by, when, note)", width="large"),
    },
    hide_index=True,
    on_select=_open_selected_row,
    selection_mode=["single-row", "single-cell"],
    key="wl_table",
)
st.caption(
    "Click a row to open the patient. The list is sorted with *Sort by* above (the whole list, every page); "
    "a column header sorts only the page shown."
)

choices = {patient_label(p): p["patient_id"] for p in records}  # MRN, name and birth year
col = st.columns([3, 1], vertical_alignment="bottom")
# a new order, page or filter starts again from the top patient of the page shown (a new widget: the
# browser keeps a widget's old choice whatever its default)
chosen = col[0].selectbox(
    "Patient",
    list(choices),
    key=f"wl_open_choice_{hash(tuple(st.session_state['wl_row_ids'])) & 0xFFFFFFFF:x}",
    help="Their flags and every reason are shown below.",
)
if col[1].button("Open patient", type="primary", key="wl_open"):
    state.select_patient(int(choices[chosen]))
    st.session_state["wl_go"] = True
if st.session_state.pop("wl_go", False):
    st.switch_page("pages/patient.py", query_params={state.PATIENT_PARAM: str(state.selected_patient())})

# The chosen patient's flags and every reason in full, one sentence each, each once.
detail = next(r for r in records if r["patient_id"] == choices[chosen])
with st.container(border=True, key="wl_detail"):
    st.markdown(
        f"{SEVERITY_BADGE.get(detail['severity'], plain(detail['severity']))} **{plain(chosen)}** — "
        + plain(", ".join(flag_label(c) for c in str(detail["flags"]).split(";")))
    )
    st.markdown("\n".join(f"- {plain(reason)}" for reason in reason_list(detail["reasons"])))
    if detail.get("reviewed"):
        st.caption(plain("Reviewed by " + _reviewed(detail)))

worklist_download(shown, as_of)  # clinicians and admins: the list as filtered, by pseudonym
