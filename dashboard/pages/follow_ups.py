"""Follow-ups: registry visits overdue or due this week, by time point; how reaching each patient goes (the
contact log, sorted and filtered by its state), reminder letters, and the way to the visit form."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, state
from dashboard.downloads.buttons import letters_download
from dashboard.formatting import MISSING, day, patient_label, plain
from dashboard.signin import auth
from dashboard.tablet.start import self_report_starter
from dashboard.widgets.feedback import LABELS, FormFeedback, saved, show_saved
from dashboard.widgets.forms import generation
from dashboard.widgets.paging import paginate
from data_model.access.permissions import Action
from data_model.db import DatabaseBusyError
from data_model.follow_up import time_point_name
from data_model.outreach.contacts import TimePoint, log_contacts, void_contact
from data_model.outreach.states import OUTCOMES, STATES, state_words
from data_model.services.follow_ups import ORDERS, work_list
from data_model.validation import FieldError, ValidationFailed

FORM = "fu_contact"
CONTACT_LABELS = {
    **LABELS,
    "outcome": "Outcome",
    "contacted_on": "Date of the attempt",
    "next_attempt_on": "Next attempt on",
    "note": "Note",
    "follow_up": "Follow-up",
}
VOID_FORM = "fu_void"
VOID_PENDING = "fu_void_pending"  # the attempt and reason waiting for the person's confirmation
VOID_LABELS = {**LABELS, "reason": "Reason for voiding", "attempt": "Attempt"}


def _attempt_label(row: dict) -> str:
    """'NOBASE1 · … · 3-month follow-up · 2026-12-03 · Called, no answer · by nurse': which attempt, in words."""
    how = OUTCOMES.get(row["outcome"], MISSING)
    return f"{row['follow_up']} · {day(row['contacted_on'])} · {how} · by {row['recorded_by']}"


def _void_form(live: pd.DataFrame) -> None:
    """Void one attempt logged in error: choose it, say why, then confirm."""
    if live.empty:
        return
    attempts = {int(r["contact_id"]): r for r in live.to_dict("records")}
    feedback = FormFeedback(labels=VOID_LABELS)
    void_gen = generation(VOID_FORM)
    with st.form("fu_void_form"):
        st.markdown("**Void an attempt logged in error** (wrong patient, wrong outcome)")
        chosen_id = st.selectbox(
            "Attempt",
            list(attempts),
            index=None,
            format_func=lambda cid: _attempt_label(attempts[cid]),
            placeholder="Choose the attempt to void",
            key=f"fu_void_attempt_{void_gen}",
        )
        feedback.field(st, "attempt")
        reason = feedback.text(
            st,
            "reason",
            "Reason for voiding",
            f"fu_void_reason_{void_gen}",
            placeholder="e.g. logged for the wrong patient",
        )
        asked = st.form_submit_button("Void this attempt")
        feedback.summary_here()
    if asked:
        errors = []
        if chosen_id is None:
            errors.append(FieldError("attempt", "", "is required: choose the attempt to void"))
        if not reason.strip():
            errors.append(FieldError("reason", "", "is required: say why the attempt is voided"))
        if chosen_id is not None and not errors:
            attempt = attempts[int(chosen_id)]
            st.session_state[VOID_PENDING] = {
                "contact_id": int(chosen_id),
                "label": _attempt_label(attempt),
                "short": f"of {day(attempt['contacted_on'])} ({OUTCOMES.get(attempt['outcome'], MISSING)})",
                "reason": reason.strip(),
            }
        else:
            feedback.refuse(errors)
    pending = st.session_state.get(VOID_PENDING)
    if pending and pending["contact_id"] in attempts:
        _confirm_void(pending)


def _void_dismissed() -> None:
    st.session_state.pop(VOID_PENDING, None)


@st.dialog("Void this attempt?", on_dismiss=_void_dismissed)
def _confirm_void(pending: dict) -> None:
    st.markdown(
        plain(
            f"{pending['label']}, voided because: {pending['reason']}. It stays in the log, marked voided, and no "
            "longer counts for the outreach."
        )
    )
    feedback = FormFeedback(labels=VOID_LABELS)
    yes, no = st.columns(2)
    if yes.button("Void it", type="primary", key="fu_void_confirm"):
        st.session_state.pop(VOID_PENDING, None)
        feedback.summary_here()
        if not auth.allowed(Action.ENTER_DATA):  # the role may have changed since the page was drawn
            feedback.refuse_all("Nothing was voided: your role may not record contact attempts.")
            return
        actor = state.signed_in_user().username
        try:
            data.write(lambda s: void_contact(s, int(pending["contact_id"]), pending["reason"], actor))
        except ValidationFailed as failure:
            feedback.refuse(failure.errors)
        except DatabaseBusyError as busy:
            feedback.refuse_all(str(busy))
        else:
            saved(f"Voided the attempt {pending['short']}; it stays in the log, marked voided.")
            st.session_state[f"ef_gen_{VOID_FORM}"] = generation(VOID_FORM) + 1
            st.rerun()
    if no.button("Cancel", key="fu_void_cancel"):
        st.session_state.pop(VOID_PENDING, None)
        st.rerun()


auth.guard(Action.VIEW_PATIENTS)
st.title("Follow-ups")
st.caption(
    "Registry time points after the most recent surgery: 6 weeks, 3, 12 and 24 months, each with a "
    "due window. Overdue means the window closed without a visit (in the last 26 weeks)."
)
show_saved()
settings = data.settings()
lost_after = settings.follow_up_lost_after_attempts

cols = st.columns([1, 1, 2])
today = data.today()  # the site's date, in its time zone
as_of = cols[0].date_input("As of", value=today, max_value=today, key="fu_as_of")
# A choice, not a typed number: a number box would silently keep its last value when 90 is typed past its limit.
ahead = cols[1].selectbox("Due within (days)", (7, 14, 30, 60), index=0, key="fu_ahead")
rows = data.follow_ups(as_of, int(ahead))

if rows.empty:
    st.success("Nobody is overdue and nobody is due in this period.")
    st.stop()

overdue = rows[rows["status"] == "overdue"]
due = rows[rows["status"] != "overdue"]
cols[2].metric("Overdue / due", f"{overdue['patient_id'].nunique()} / {due['patient_id'].nunique()} patients")

filters = st.columns([1, 2, 1])
find = filters[0].text_input("Find", key="fu_find", placeholder="MRN or name")
states = filters[1].multiselect(
    "Outreach",
    list(STATES),
    format_func=lambda code: state_words(code, lost_after),
    key="fu_states",
    placeholder="Every outreach state",
    help=f"Unreachable: {lost_after} attempts in a row without reaching the patient (no answer, a message left, "
    "a letter sent). Declined and unreachable patients are counted as lost to follow-up on the cohort page.",
)
order = filters[2].selectbox("Sort by", list(ORDERS), format_func=lambda code: ORDERS[code], key="fu_order")
rows = work_list(rows, states, str(order), find)


def _last_contact(row: pd.Series) -> str:
    if pd.isna(row["last_contact_on"]):
        return MISSING
    return f"{day(row['last_contact_on'])}: {OUTCOMES.get(row['last_outcome'], MISSING)}"


table = rows.assign(
    follow_up=rows["time_point"].map(time_point_name),
    state=rows["status"].map({"overdue": "OVERDUE", "due": "due now", "upcoming": "due soon", "future": "due soon"}),
    window=rows["window_start"].dt.strftime("%Y-%m-%d") + " to " + rows["window_end"].dt.strftime("%Y-%m-%d"),
    procedure=rows["procedure"].str.capitalize(),
    outreach_words=rows["outreach"].map(lambda code: state_words(code, lost_after)),
    last_contact=rows.apply(_last_contact, axis=1) if len(rows) else pd.Series(dtype=object),
    next_attempt=rows["next_attempt_on"].map(lambda d: day(d, missing="")),
)
on_screen = []
for title, part in (("Overdue", table[table["status"] == "overdue"]), ("Due", table[table["status"] != "overdue"])):
    st.subheader(f"{title} ({len(part):,})")
    if part.empty:
        st.caption("None." if not (states or find.strip()) else "None that matches the filters.")
        continue
    part = paginate(part, f"fu_{title.lower()}", noun="follow-ups")
    on_screen.append(part)
    st.dataframe(
        part,
        hide_index=True,
        key=f"fu_table_{title}",
        # who, which visit, how late, then how reaching them goes: what staff work from, in view at 1280 px
        column_order=[
            "state",
            "mrn",
            "display_name",
            "follow_up",
            *(["days_overdue"] if title == "Overdue" else []),  # a due one is not late: no empty cell
            "outreach_words",
            "attempts",
            "next_attempt",
            "last_contact",
            "window",
            "procedure",
        ],
        column_config={
            "state": "",
            "mrn": "MRN",
            "display_name": "Name",
            "procedure": "Procedure",
            "follow_up": "Follow-up",
            "window": "Due window",
            "days_overdue": st.column_config.NumberColumn("Days overdue"),
            "outreach_words": "Outreach",
            "attempts": st.column_config.NumberColumn("Attempts"),
            "last_contact": "Last contact",
            "next_attempt": "Next attempt",
        },
    )

if not on_screen:
    st.stop()
listed = pd.concat(on_screen)  # the rows on screen: a selectbox of every follow-up would be tens of thousands
by_label = {f"{patient_label(p)} · {p['follow_up']}": p for p in listed.to_dict("records")}
col = st.columns([3, 1], vertical_alignment="bottom")
chosen = col[0].selectbox("Patient", list(by_label), key="fu_choice")
if auth.allowed(Action.ENTER_DATA) and col[1].button("Enter their visit", type="primary", key="fu_enter"):
    state.select_patient(int(by_label[chosen]["patient_id"]))
    st.session_state.pop("ef_query", None)
    st.switch_page("pages/enter_visit.py")

if not auth.allowed(Action.ENTER_DATA):
    st.stop()
self_report_starter(by_label[chosen], key="fu_self_report")

st.subheader("Outreach")
everyone = st.checkbox(f"Every follow-up listed above ({len(by_label):,})", key="fu_pick_all")
picked = st.multiselect(
    "Follow-ups to work on",
    list(by_label),
    key="fu_pick",
    disabled=everyone,
    placeholder="Choose one or more follow-ups from the list above",
)
picked_rows = [by_label[label] for label in (list(by_label) if everyone else picked)]
n = len(picked_rows)
st.caption(f"{n:,} {'follow-up' if n == 1 else 'follow-ups'} chosen.")

gen = generation(FORM)
feedback = FormFeedback(labels=CONTACT_LABELS)
with st.form("fu_contact_form"):
    st.markdown("**Log a contact attempt** for each follow-up chosen")
    c = st.columns([2, 1, 1])
    outcome = c[0].selectbox(
        "Outcome",
        list(OUTCOMES),
        format_func=lambda code: OUTCOMES[code],
        index=None,
        placeholder="How did it go?",
        key=f"fu_outcome_{gen}",
    )
    feedback.field(c[0], "outcome")
    contacted_on = feedback.text(
        c[1], "contacted_on", "Date of the attempt", key=f"fu_contacted_{gen}", value=today.isoformat()
    )
    next_attempt_on = feedback.text(
        c[2], "next_attempt_on", "Next attempt on (optional)", key=f"fu_next_{gen}", placeholder="YYYY-MM-DD"
    )
    note = st.text_area("Note (optional)", key=f"fu_note_{gen}")
    feedback.field(st, "note")
    submitted = st.form_submit_button("Log the attempt", type="primary")
    feedback.summary_here()
st.caption(
    "Dates as YYYY-MM-DD. Called: spoke with the patient. No answer, a message left and a letter sent are "
    f"attempts that did not reach them: after {lost_after} in a row the patient is unreachable for that "
    "follow-up (Settings, Follow-up visits). A booking or a conversation afterwards starts again."
)

if submitted:
    time_points = [
        TimePoint(
            int(r["patient_id"]), pd.Timestamp(r["index_surgery_date"]).date(), int(r["weeks"]), str(r["time_point"])
        )
        for r in picked_rows
    ]
    raw = {"outcome": outcome, "contacted_on": contacted_on, "next_attempt_on": next_attempt_on, "note": note}
    actor = state.signed_in_user().username  # the page's guard has let only a signed-in user this far
    try:
        data.write(lambda s: log_contacts(s, time_points, raw, actor))
    except ValidationFailed as failure:
        feedback.refuse(failure.errors)
    except DatabaseBusyError as busy:
        feedback.refuse_all(str(busy))
    else:
        said = OUTCOMES[str(outcome)]
        saved(f"Logged “{said}” for {n} {'follow-up' if n == 1 else 'follow-ups'}.")
        st.session_state[f"ef_gen_{FORM}"] = gen + 1
        st.rerun()

st.markdown("**Reminder letters**")
letters_download(pd.DataFrame(picked_rows), settings.site_name, today)
st.caption(
    "One PDF, a page per follow-up chosen: the site's name, the patient's name, the follow-up and its dates, and "
    "a request to book; nothing clinical. PainTrail keeps no postal address: each letter leaves three lines for "
    "it under the name. Making the letters does not log them: log “Letter sent” above when they go out."
    + ("" if settings.site_name else " No site name is set (Settings, Site): the letters say “the clinic”.")
)

if picked_rows:
    chosen_keys = {
        (int(r["patient_id"]), pd.Timestamp(r["index_surgery_date"]), int(r["weeks"])): label
        for label, r in zip(list(by_label) if everyone else picked, picked_rows, strict=True)
    }
    log = data.contact_log([key[0] for key in chosen_keys])
    keys = list(zip(log["patient_id"], log["surgery_date"], log["weeks"], strict=True))
    log = log.assign(follow_up=[chosen_keys.get(k) for k in keys]).dropna(subset=["follow_up"])
    voided = log["voided_at"].notna()
    counted = f"{len(log):,} {'attempt' if len(log) == 1 else 'attempts'}" + (
        f", {int(voided.sum()):,} of them voided" if voided.any() else ""
    )
    with st.expander(f"Contact log of the follow-ups chosen ({counted})", expanded=n == 1):
        if log.empty:
            st.caption("No attempt logged yet.")
        else:
            st.dataframe(
                log.assign(
                    contacted=log["contacted_on"].map(day),
                    how=log["outcome"].map(lambda code: OUTCOMES.get(code, MISSING)),
                    next_on=log["next_attempt_on"].map(lambda d: day(d, missing="")),
                    note_text=log["note"].map(lambda text: text if isinstance(text, str) else ""),  # a cell is text
                    voided_text=[
                        f"voided ({reason})" if was else ""
                        for was, reason in zip(voided, log["void_reason"].fillna(""), strict=True)
                    ],
                ),
                hide_index=True,
                key="fu_log",
                column_order=["follow_up", "contacted", "how", "note_text", "next_on", "recorded_by", "voided_text"],
                column_config={
                    "follow_up": "Follow-up",
                    "contacted": "Date",
                    "how": "Outcome",
                    "note_text": "Note",
                    "next_on": "Next attempt",
                    "recorded_by": "Logged by",
                    "voided_text": "Voided",
                },
            )
            if voided.any():
                st.caption(
                    "A voided attempt stays in the log and the audit trail; it no longer counts for the outreach."
                )
            _void_form(log[~voided])
