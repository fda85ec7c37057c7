"""Cohort: pain curves, responder rates, time to recovery and treatment response for a chosen cohort."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import data
from dashboard.charts import reports
from dashboard.downloads.buttons import chart_downloads, cohort_downloads
from dashboard.formatting import plain, procedure_label
from dashboard.signin import auth
from data_model.access.permissions import Action
from data_model.catalog import PROCEDURES
from data_model.services.cohort import CohortFilter

auth.guard(Action.VIEW_PATIENTS)
st.title("Cohort")

ORDERS = {"any": "All surgeries", "first": "First surgery only", "repeat": "Repeat surgery only"}
with st.expander("Cohort definition", expanded=True):
    cols = st.columns(4)
    procedures = cols[0].multiselect("Procedure", list(PROCEDURES), format_func=procedure_label, key="co_procedures")
    surgeons = cols[1].multiselect("Surgeon", data.surgeons(), key="co_surgeons")
    dates = cols[2].date_input(
        "Index surgery between",
        value=(),  # type: ignore[arg-type]  # an empty range is allowed; streamlit's hints list only 1 or 2 dates
        max_value=date.today(),
        key="co_dates",
        help="Leave empty for any date; the most recent surgery is the index surgery.",
    )
    order = cols[3].radio("Surgery", list(ORDERS), format_func=ORDERS.get, key="co_order", horizontal=False)

date_from = dates[0] if len(dates) > 0 else None
date_to = dates[1] if len(dates) > 1 else None
chosen = CohortFilter(tuple(procedures), tuple(surgeons), date_from, date_to, order)
as_of = date.today()
view = data.cohort(as_of, chosen)
st.caption(
    f"Cohort: {plain(chosen.describe())}; as of {as_of:%Y-%m-%d}. Counts are patients, not visits."
)  # it names surgeons

if view.patients.empty:
    st.info("No patient matches this cohort definition.")
    st.stop()

overall = view.summary.set_index("procedure").loc["all"]
cols = st.columns(4)
cols[0].metric("Patients", f"{int(overall['n_patients']):,}")
cols[1].metric(
    "Flagged", f"{overall['flagged_share']:.0%}", help=f"{int(overall['n_flagged'])} patients with at least one flag"
)
cols[2].metric(
    "Persistent pain",
    f"{overall['persistent_pain_share']:.0%}",
    help=f"{int(overall['n_persistent_pain'])} patients with PERSISTENT_PAIN",
)
ftp = overall["ftp_failure_share"]
cols[3].metric(
    f"Failure to progress at {overall['ftp_time_point']}",
    "–" if ftp != ftp else f"{ftp:.0%}",
    help=(
        f"Of {int(overall['n_ftp_eligible'])} eligible patients (with baseline, window closed), "
        f"{int(overall['n_ftp_failure'])} did not reach the MCID by week {int(overall['ftp_window_end_weeks'])}; "
        f"{int(overall['n_ftp_missing'])} ({overall['ftp_missing_share']:.0%}) had no visit by then and are "
        "counted as missing, never as improved."
    ),
)

settings = data.settings()
figures = reports.cohort_figures(view, settings.mcid_nrs_percent)  # the same figures `paintrail export chart` draws
tabs = st.tabs(list(reports.COHORT_CHARTS.values()))
tables = [view.curve, view.responders, view.recovery, view.treatments]
for tab, (name, figure), table in zip(tabs, figures.items(), tables, strict=True):
    with tab:
        st.plotly_chart(figure, key=f"co_chart_{name}")
        chart_downloads(name, figure)
        with st.expander("The numbers behind the chart"):
            st.dataframe(table, hide_index=True)

with st.expander("Per procedure"):
    st.dataframe(view.summary, hide_index=True)

cohort_downloads(view, figures, as_of, f"{settings.mcid_nrs_points:g} points or {settings.mcid_nrs_percent:g} %")
