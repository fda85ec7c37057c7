"""Patient: the pain trajectory with surgeries and treatments, the flags with reasons, visits and treatments."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, state
from dashboard.charts import trajectory as charts
from dashboard.downloads.buttons import patient_downloads
from dashboard.formatting import (
    SEVERITY_BADGE,
    birth_year,
    fbss_diagnosis_text,
    flag_label,
    plain,
    procedure_label,
    score,
)
from dashboard.signin import auth
from dashboard.widgets.patient import tables
from dashboard.widgets.patient.finder import patient_finder
from dashboard.widgets.patient.treatments import treatment_response_section
from dashboard.widgets.review import review_section
from data_model.access.permissions import Action

auth.guard(Action.VIEW_PATIENTS)

# The open patient lives in the URL (?patient=ID): a reload, a bookmark or a link opens the same patient.
linked = state.patient_in_url()
if isinstance(linked, str):
    st.warning(f"The address names patient “{plain(linked)}”, which is not a patient number; find the patient below.")
elif linked is not None:
    state.select_patient(linked)

chosen = patient_finder("pt")
if chosen is None:
    st.title("Patient")
    st.info("Find a patient above by MRN or name and choose them in the list, or open one from the worklist.")
    st.stop()
patient_id = int(chosen["patient_id"])

as_of = data.today()
record = data.patient_record(patient_id, as_of, against_clinic=True)
if record is None:
    st.error(f"Patient {patient_id} does not exist.")
    st.stop()
state.put_patient_in_url(patient_id)

patient = record.patient
st.title(f"{plain(patient['mrn'])} · {plain(patient['display_name'] or '(no name)')}")
st.caption(f"Born {birth_year(patient['birth_year'])} · {patient['sex']}")

if record.status.empty:
    st.info(
        "No surgery recorded for this patient yet: the recovery window starts with a surgery. Operated on "
        "elsewhere, date unknown? Record post-laminectomy syndrome on Enter visit (Surgery tab)."
    )
else:
    s = record.status.iloc[0]
    known = bool(s["surgery_known"])
    cols = st.columns(6)
    cols[0].metric(
        "Procedure",
        str(s["procedure"]).capitalize(),
        help=f"{procedure_label(s['procedure'])}, the most recent surgery, "
        f"{pd.Timestamp(s['index_surgery_date']):%Y-%m-%d}"
        if known
        else f"No surgery recorded; {fbss_diagnosis_text(s['diagnosed_on'])}: followed as past every recovery window",
    )
    cols[1].metric(
        "Weeks since surgery",
        f"{s['weeks_since_surgery']:.0f}" if known else "–",
        help=f"Recovery window: {s['window_weeks']} weeks" if known else "Surgery date unknown",
    )
    cols[2].metric(
        "Prior spine surgeries",
        int(s["prior_surgeries"]) if known else "Unknown",  # none recorded, yet operated on by definition
        help="Success rates fall with each repeat surgery."
        if known
        else "Operated on elsewhere (post-laminectomy syndrome): how many times is not recorded.",
    )
    cols[3].metric(
        "Current pain",
        score(s["current_pain"], "/10"),
        help=f"Worse of back and leg, mean of the {int(s['current_visits'])} most recent visit(s)",
    )
    baseline = s[["baseline_back", "baseline_leg", "baseline_unspecified"]].max()
    cols[4].metric(
        "Baseline",
        score(baseline, "/10"),
        help="Last score before the surgery (within the look-back); missing stays missing."
        if known
        else "The first recorded visit (the surgery date is unknown); missing stays missing.",
    )
    in_pass = s["pass_met"]
    cols[5].metric(
        "Acceptable state",
        "missing" if pd.isna(in_pass) else ("Yes" if in_pass else "No"),  # short: six metrics share a row
        help="Patient acceptable symptom state (PASS): current pain and ODI within the clinic's limits "
        "(defaults 3/10 and 20). Success is a meaningful improvement or this state.",
    )

st.subheader("Flags")
# A surgery without a visit since: the rules have nothing to judge yet, so no green "no flag".
missing = charts.missing_trajectory(record.surgeries, record.trajectory)
if record.flags.empty and missing and not record.surgeries.empty:
    st.info(missing + ". The flags are worked out from visits after the surgery.")
elif record.flags.empty:
    st.success("No flag as of today.")
else:
    for _, flag in record.flags.iterrows():
        st.markdown(
            f"{SEVERITY_BADGE.get(flag['severity'], flag['severity'])} **{flag_label(flag['code'])}** — {plain(flag['reason'])}"
        )
review_section(patient_id, record.flags, record.review)

st.plotly_chart(
    charts.trajectory_figure(
        record.trajectory,
        record.surgeries,
        record.treatments,
        pd.Timestamp(as_of),
        title=f"Pain trajectory of {patient['mrn']}",
        band=record.expected_band,
    ),
    key="pt_trajectory",
)

treatment_response_section(record.treatment_response, record.steps)

visits_tab, treatments_tab, surgeries_tab, conditions_tab = st.tabs(["Visits", "Treatments", "Surgeries", "Diagnoses"])
with visits_tab:
    if record.visits.empty:
        st.caption("No visit recorded — enter one on Enter visit.")
    else:
        st.dataframe(tables.visits_table(record.visits), hide_index=True, key="pt_visits")
        sections = tables.odi_sections_table(record.visits)
        if not sections.empty:
            st.caption("ODI by section: each scored 0–5; – not answered.")
            st.dataframe(sections, hide_index=True, key="pt_odi_sections")
with treatments_tab:
    if record.treatments.empty:
        st.caption("No treatment recorded.")
    else:
        st.dataframe(tables.treatments_table(record.treatments), hide_index=True, key="pt_treatments")
with surgeries_tab:
    if record.surgeries.empty:
        st.caption("No surgery recorded.")
    else:
        st.dataframe(tables.surgeries_table(record.surgeries), hide_index=True, key="pt_surgeries")
with conditions_tab:
    if record.conditions.empty:
        st.caption("No diagnosis recorded.")
    else:
        st.dataframe(tables.conditions_table(record.conditions), hide_index=True, key="pt_conditions")

# Downloads: the trajectory chart and the clinician summary, as the role allows (dashboard/downloads/buttons.py).
patient_downloads(record, as_of)
