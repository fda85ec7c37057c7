"""Cohort: pain curves, responder rates, time to recovery and treatment response for a chosen cohort."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.charts import cohort as cohort_charts
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
        max_value=data.today(),
        key="co_dates",
        help="Leave empty for any date; the most recent surgery is the index surgery.",
    )
    order = cols[3].radio("Surgery", list(ORDERS), format_func=ORDERS.get, key="co_order", horizontal=False)

date_from = dates[0] if len(dates) > 0 else None
date_to = dates[1] if len(dates) > 1 else None
chosen = CohortFilter(tuple(procedures), tuple(surgeons), date_from, date_to, order)
as_of = data.today()
view = data.cohort(as_of, chosen)
st.caption(
    f"Cohort: {plain(chosen.describe())}; as of {view.as_of:%d %b %Y}. Counts are patients, not visits."
)  # it names surgeons
if view.unknown_surgery:
    n = view.unknown_surgery
    st.caption(
        f"{n:,} {'patient' if n == 1 else 'patients'} with post-laminectomy syndrome and no recorded surgery "
        f"{'is' if n == 1 else 'are'} not in these charts: without a surgery date there is no week since "
        "surgery to place them at. They are on the worklist."
    )

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
    f"Not improved by {overall['ftp_time_point']}",
    "–" if ftp != ftp else f"{ftp:.0%}",
    help=(
        f"Of {int(overall['n_ftp_eligible'])} eligible patients (with baseline, window closed), "
        f"{int(overall['n_ftp_failure'])} did not reach the MCID by week {int(overall['ftp_window_end_weeks'])}; "
        f"{int(overall['n_ftp_missing'])} ({overall['ftp_missing_share']:.0%}) had no visit by then and are "
        "counted as missing, never as improved."
    ),
)

settings = data.settings()
# the same figures `paintrail export chart` draws, titled with the cohort definition and the date
figures = reports.cohort_figures(view, settings.mcid_nrs_percent, settings.cohort_min_patients)
tabs = st.tabs(list(reports.COHORT_CHARTS.values()))
tables = [
    cohort_charts.curve_table(view.curve),
    cohort_charts.responder_table(view.responders),
    cohort_charts.km_table(view.recovery),
    cohort_charts.treatment_table(view.treatments, settings.cohort_min_patients),
]
notes = {
    "pain_curve": [
        "Each time point counts one visit per patient inside its due window (the one closest to the due day; "
        "of two equally close, the earlier), so an unscheduled visit never makes a point of its own.",
        *cohort_charts.curve_dropouts(view.curve),
    ],
    "responders": [
        "Eligible: a baseline and the time point's window closed; judged on the visit in the window closest "
        "to the due day. Missing patients are never counted as responders."
    ],
    "time_to_recovery": [cohort_charts.left_out_text(view.durations)],
    "treatment_response": [],
}
few = f"Points or bars with fewer than {settings.cohort_min_patients} patients are grey: too few to read."
for tab, (name, figure), table in zip(tabs, figures.items(), tables, strict=True):
    with tab:
        st.plotly_chart(figure, key=f"co_chart_{name}")
        for note in filter(None, notes[name]):
            st.caption(plain(note))
        if name != "time_to_recovery":
            st.caption(few)
        chart_downloads(name, figure)
        with st.expander("The numbers behind the chart"):
            st.dataframe(table, hide_index=True)

with st.expander("Per procedure"):
    st.dataframe(cohort_charts.summary_table(view.summary), hide_index=True)

st.subheader("Follow-up: seen and lost")
lost_after = settings.follow_up_lost_after_attempts
st.caption(
    "Per time point, the patients whose due window has closed: seen (a visit in the window), lost to follow-up "
    f"(declined, or unreachable after {lost_after} attempts in a row on the Follow-ups page), or not seen with no "
    "outcome yet."
)
# a few rows: a plain table, readable as text (a screen reader, a copy) where a data grid is a drawing
st.table(cohort_charts.follow_up_table(data.cohort_follow_up_shares(as_of, chosen), lost_after).set_index("Time point"))

cohort_downloads(view, figures, as_of, f"{settings.mcid_nrs_points:g} points or {settings.mcid_nrs_percent:g} %")
