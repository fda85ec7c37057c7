"""The staff's entry forms: visit, treatment, surgery and new patient, each judging what was typed.

Every value is typed into a text input and judged by data_model.validation, the importers' own checks:
a number input with limits would keep its last valid value when 11 is typed, and a date picker with a
maximum would put back the date shown before, so the app would save what the person did not type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard import data, state
from dashboard.formatting import plain, procedure_label, score, treatment_label
from dashboard.widgets import odi_sections
from dashboard.widgets.feedback import LABELS, FormFeedback, saved, sentence
from dashboard.widgets.patient.finder import show_next
from data_model import commands, odi
from data_model.catalog import PROCEDURE_CODES, SEXES, TREATMENT_CODES, TREATMENTS
from data_model.db import DatabaseBusyError
from data_model.validation import FieldError, ValidationFailed, check_patient, check_surgery

SYMPTOM_CHOICES = {None: "not asked", False: "no", True: "yes"}
PENDING_VISIT = "ef_pending_visit"
LAST_VISIT = "ef_last_visit"  # (patient id, visit id) of the visit saved last: Correct a visit starts there
TAB = "ev_tab"
NEXT_TAB = "ev_tab_next"  # the tab to open on the next run (a drawn widget's value cannot change)
VISIT_TAB = "Visit"
FINDER = "ef"
# Said under a form, not in help icons: each icon would be one more stop for the Tab key.
FBSS_DIAGNOSIS = "Post-laminectomy syndrome (failed back surgery syndrome)"
FORM_NOTE = "Dates as YYYY-MM-DD. ODI: Oswestry Disability Index. MME/day: morphine milligram equivalents per day."


def describe(error: FieldError) -> str:
    """One refused value in clinic words, ready for st.error (what was typed is escaped, shown as typed)."""
    return plain(sentence(error))


def generation(form: str) -> int:
    """Bumped after a save so the form's widgets get new keys and come back empty."""
    return st.session_state.get(f"ef_gen_{form}", 0)


def save(
    form: str,
    feedback: FormFeedback,
    action: Callable[[Any], Any],
    success: str,
    after: Callable[[Any], None] | None = None,
) -> None:
    """Write, then clear the form and toast what was saved; on bad input say why and keep what was typed."""
    try:
        result = data.write(action)
    except commands.SameDayVisitExists:
        raise
    except ValidationFailed as failure:
        feedback.refuse(failure.errors)
        return
    except DatabaseBusyError as busy:
        feedback.refuse_all(str(busy))
        return
    if after is not None:
        after(result)
    st.session_state[f"ef_gen_{form}"] = generation(form) + 1
    saved(success)
    st.rerun()


def open_tab() -> None:
    """Before the page draws its tabs: open the one a save asked for (the visit form after registering)."""
    if NEXT_TAB in st.session_state:
        st.session_state[TAB] = st.session_state.pop(NEXT_TAB)


def _symptom(where: Any, label: str, key: str, value: bool | None = None) -> bool | None:
    return where.selectbox(
        label, list(SYMPTOM_CHOICES), index=list(SYMPTOM_CHOICES).index(value), format_func=SYMPTOM_CHOICES.get, key=key
    )


def visit_fields(
    feedback: FormFeedback,
    prefix: str,
    suffix: object,
    values: dict[str, Any] | None = None,
    odi_by_section: bool = False,
) -> dict[str, Any]:
    """The visit's fields in the order of the paper form (Tab goes date, back, leg, ODI, the ODI's ten
    sections when odi_by_section, numbness, tingling, weakness, MME, notes, then the save button), each as
    typed; widget keys are prefix_field_suffix."""
    values = values or {}

    def key(name: str) -> str:
        return f"{prefix}_{name}_{suffix}"

    def shown(name: str) -> str:
        value = values.get(name)
        return "" if value is None else score(value)

    # A total computed from the sections is not put back in its box: changing a section would otherwise
    # make the old total disagree with the new sections, and the correction be refused.
    computed = odi_by_section and values.get("odi_source") == odi.FROM_SECTIONS

    first = st.columns(4)
    raw: dict[str, Any] = {
        "visit_date": feedback.text(
            first[0],
            "visit_date",
            "Visit date",
            key("date"),
            value=(values.get("visit_date") or data.today()).isoformat(),
            placeholder="YYYY-MM-DD",
        ),
        "back_pain": feedback.text(
            first[1], "back_pain", "Back pain (0–10)", key("back"), value=shown("back_pain"), placeholder="not recorded"
        ),
        "leg_pain": feedback.text(
            first[2], "leg_pain", "Leg pain (0–10)", key("leg"), value=shown("leg_pain"), placeholder="not recorded"
        ),
        "odi": feedback.text(
            first[3],
            "odi",
            "ODI (0–100)",
            key("odi"),
            value="" if computed else shown("odi"),
            placeholder="from the sections" if odi_by_section else "not recorded",
        ),
    }
    if odi_by_section:
        raw |= odi_sections.section_fields(feedback, key, values)
    second = st.columns(4)
    for column, name in zip(second, ("numbness", "tingling", "weakness"), strict=False):
        raw[name] = _symptom(column, LABELS[name], key(name), values.get(name))
        feedback.field(column, name)
    raw["mme_per_day"] = feedback.text(
        second[3], "mme_per_day", "Opioid MME/day", key("mme"), value=shown("mme_per_day"), placeholder="none recorded"
    )
    raw["notes"] = st.text_area("Notes", value=values.get("notes") or "", key=key("notes"))
    feedback.field(st, "notes")
    return raw


def visit_form(patient: dict[str, Any]) -> None:
    gen = generation("visit")
    pid = int(patient["patient_id"])
    feedback = FormFeedback()
    by_section = odi_sections.wanted(f"v_odi_sections_{pid}")
    with st.form(f"visit_form_{gen}", enter_to_submit=True):
        raw = visit_fields(feedback, "v", gen, odi_by_section=by_section)
        submitted = st.form_submit_button("Save visit", type="primary")
        feedback.summary_here()
        st.caption(FORM_NOTE)
    if by_section:
        odi_sections.site_statements()
    if submitted:
        _save_visit(patient, pid, raw, feedback, allow_same_day=False)
    pending = st.session_state.get(PENDING_VISIT)
    if pending and pending["patient_id"] == pid:
        _confirm_same_day(patient, pending)


def _dismissed() -> None:
    st.session_state.pop(PENDING_VISIT, None)


@st.dialog("A second visit on the same day?", on_dismiss=_dismissed)
def _confirm_same_day(patient: dict[str, Any], pending: dict[str, Any]) -> None:
    # A dialog is in view wherever the person had scrolled, and nothing else can be clicked meanwhile.
    st.markdown(
        plain(f"{patient['mrn']} already has a visit on {pending['day']}. Save this one as a second visit that day?")
    )
    yes, no = st.columns(2)
    if yes.button("Save second visit", type="primary", key="v_confirm_same_day"):
        st.session_state.pop(PENDING_VISIT, None)
        feedback = FormFeedback()
        feedback.summary_here()
        _save_visit(patient, pending["patient_id"], pending["raw"], feedback, allow_same_day=True)
    if no.button("Cancel", key="v_cancel_same_day"):
        st.session_state.pop(PENDING_VISIT, None)
        st.rerun()


def _visit_summary(raw: dict[str, Any]) -> str:
    parts = [
        f"{LABELS[k].lower()} {str(raw[k]).strip()}"
        for k in ("back_pain", "leg_pain", "odi", "mme_per_day")
        if str(raw.get(k) or "").strip()
    ]
    parts += [LABELS[k].lower() for k in ("numbness", "tingling", "weakness") if raw.get(k)]
    sections = odi_sections.answered_summary(raw)
    return ", ".join(parts + ([sections] if sections else []))


def _save_visit(
    patient: dict[str, Any], pid: int, raw: dict[str, Any], feedback: FormFeedback, allow_same_day: bool
) -> None:
    def remember(visit: Any) -> None:
        st.session_state[LAST_VISIT] = (pid, int(visit.id))

    try:
        save(
            "visit",
            feedback,
            # data.write names the signed-in user as the session's actor; add_visit takes created_by from it
            lambda s: commands.add_visit(s, pid, raw, allow_same_day=allow_same_day),
            f"Saved the visit of {str(raw['visit_date']).strip()} for {patient['mrn']}: {_visit_summary(raw)}.",
            after=remember,
        )
    except commands.SameDayVisitExists as same_day:
        # the day as read from the form (2026-12-03), not as typed
        st.session_state[PENDING_VISIT] = {"patient_id": pid, "raw": raw, "day": same_day.errors[0].value}
        st.rerun()


def treatment_form(patient: dict[str, Any]) -> None:
    gen = generation("treatment")
    pid = int(patient["patient_id"])
    feedback = FormFeedback()
    with st.form(f"treatment_form_{gen}"):
        cols = st.columns(3)
        code = cols[0].selectbox(
            "Treatment",
            TREATMENT_CODES,
            key=f"t_code_{gen}",
            format_func=lambda c: f"{TREATMENTS[c].group}: {treatment_label(c)}",
        )
        feedback.field(cols[0], "treatment")
        start = feedback.text(
            cols[1],
            "start_date",
            "Start date",
            f"t_start_{gen}",
            value=data.today().isoformat(),
            placeholder="YYYY-MM-DD",
        )
        end = feedback.text(
            cols[2], "end_date", "End date (if ended)", f"t_end_{gen}", placeholder="empty while it goes on"
        )
        notes = feedback.text(st, "notes", "Notes", f"t_notes_{gen}")
        submitted = st.form_submit_button("Save treatment", type="primary")
        feedback.summary_here()
    if submitted:
        raw = {"treatment": code, "start_date": start, "end_date": end, "notes": notes}
        save(
            "treatment",
            feedback,
            lambda s: commands.add_treatment(s, pid, raw),
            f"Saved {treatment_label(code)} from {start.strip()} for {patient['mrn']}.",
        )


def surgery_form(patient: dict[str, Any]) -> None:
    gen = generation("surgery")
    pid = int(patient["patient_id"])
    feedback = FormFeedback()
    with st.form(f"surgery_form_{gen}"):
        raw = _surgery_fields(feedback, gen)
        submitted = st.form_submit_button("Save surgery", type="primary")
        feedback.summary_here()
    if submitted:
        save(
            "surgery",
            feedback,
            lambda s: commands.add_surgery(s, pid, raw),
            f"Saved {procedure_label(raw['procedure'])} on {str(raw['surgery_date']).strip()} for "
            f"{patient['mrn']}; the recovery window restarts from this surgery.",
        )


def fbss_form(patient: dict[str, Any]) -> None:
    """Post-laminectomy syndrome diagnosed, the surgery itself not recorded (done years ago, elsewhere):
    the patient is then followed past every recovery window (data_model/fbss.py)."""
    gen = generation("fbss")
    pid = int(patient["patient_id"])
    feedback = FormFeedback()
    st.markdown("**Surgery done elsewhere, date unknown**")
    with st.form(f"fbss_form_{gen}"):
        st.caption(f"Diagnosis: {FBSS_DIAGNOSIS}")
        cols = st.columns(4)
        when = feedback.text(cols[0], "diagnosed_on", "Date diagnosed", f"fbss_date_{gen}", placeholder="YYYY-MM-DD")
        submitted = st.form_submit_button("Save diagnosis", type="primary")
        feedback.summary_here()
    if submitted:
        save(
            "fbss",
            feedback,
            lambda s: commands.record_fbss(s, pid, {"diagnosed_on": when}),
            f"Saved post-laminectomy syndrome diagnosed on {str(when).strip()} for {patient['mrn']}; without a "
            "recorded surgery the patient is followed as past every recovery window.",
        )


def _surgery_fields(feedback: FormFeedback, gen: int) -> dict[str, Any]:
    cols = st.columns(4)
    raw = {
        "surgery_date": feedback.text(
            cols[0], "surgery_date", "Surgery date", f"s_date_{gen}", placeholder="YYYY-MM-DD"
        )
    }
    raw["procedure"] = cols[1].selectbox("Procedure", PROCEDURE_CODES, format_func=procedure_label, key=f"s_proc_{gen}")
    feedback.field(cols[1], "procedure")
    raw["spinal_levels"] = feedback.text(
        cols[2], "spinal_levels", "Levels", f"s_levels_{gen}", placeholder="e.g. L4-L5"
    )
    raw["surgeon"] = feedback.text(cols[3], "surgeon", "Surgeon", f"s_surgeon_{gen}")
    raw["notes"] = feedback.text(st, "notes", "Surgery notes", f"s_notes_{gen}")
    return raw


def new_patient_form(expanded: bool = False) -> None:
    """Register a patient (and optionally the index surgery); the new patient is then the one open."""
    gen = generation("patient")
    feedback = FormFeedback()
    with st.expander("Register a new patient", expanded=expanded), st.form(f"patient_form_{gen}"):
        cols = st.columns(4)
        raw = {
            "mrn": feedback.text(cols[0], "mrn", "MRN", f"p_mrn_{gen}"),
            "display_name": feedback.text(cols[1], "display_name", "Name", f"p_name_{gen}"),
            "birth_year": feedback.text(cols[2], "birth_year", "Birth year", f"p_birth_{gen}", placeholder="e.g. 1975"),
            "sex": cols[3].selectbox("Sex", SEXES, index=SEXES.index("unknown"), key=f"p_sex_{gen}"),
        }
        feedback.field(cols[3], "sex")
        st.caption("Index surgery (optional; can be added later)")
        surgery = _surgery_fields(feedback, 1000 + gen)
        submitted = st.form_submit_button("Register patient", type="primary")
        feedback.summary_here()
    if submitted:
        _register(raw, surgery, feedback)


def _register(raw: dict[str, Any], surgery: dict[str, Any], feedback: FormFeedback) -> None:
    # Any surgery detail typed means a surgery: a surgeon typed without a date is refused, never dropped.
    with_surgery = any(str(surgery[k] or "").strip() for k in ("surgery_date", "spinal_levels", "surgeon", "notes"))

    def register(session: Any) -> int:
        # Both halves judged before anything is written, so every mistake is shown at once.
        today = commands.site_today(session)  # the site's date: a date after it is "in the future"
        errors = check_patient(raw, today)[1] + (check_surgery(surgery, today)[1] if with_surgery else [])
        if errors:
            raise ValidationFailed(errors)
        created = commands.register_patient(session, raw)
        if with_surgery:
            commands.add_surgery(session, created.id, surgery)
        return created.id

    def open_new(patient_id: int) -> None:
        state.select_patient(patient_id)
        show_next(FINDER, raw["mrn"].strip())  # the finder shows the new patient, the visit form opens
        st.session_state[NEXT_TAB] = VISIT_TAB

    name = str(raw["display_name"] or "").strip()
    save(
        "patient",
        feedback,
        register,
        f"Registered {raw['mrn'].strip()}{' (' + name + ')' if name else ''}: enter the visit below.",
        after=open_new,
    )
