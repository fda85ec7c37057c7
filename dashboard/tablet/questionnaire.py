"""The tablet a patient holds: their questionnaire, a thank-you page once it is sent, and the staff sign-in
that takes the tablet back. The app (dashboard/app.py) shows this page, and only this page, at every
address while the browser's sign-in is a tablet (data_model/access/tablet.py).

Nothing of the patient's record is shown, not even their name: the tablet holds only what the patient
enters now. Which patient it is, is known to the server alone (the sign-in's row), never put in the
address. Answers are chosen by tapping (or Tab and Space/Enter with a keyboard): large buttons, no menu."""

from __future__ import annotations

import streamlit as st

from dashboard import data, state
from dashboard.formatting import plain
from dashboard.signin import browser_session
from dashboard.store import engine
from data_model import odi, self_report
from data_model.access import accounts, tablet
from data_model.access.permissions import Action, can
from data_model.audit import set_actor
from data_model.db import run_write
from data_model.validation import ValidationFailed

FORM = "tq_form"
PAIN_SCALE = list(range(11))
ODI_SCORES = list(range(odi.LOWEST, odi.HIGHEST + 1))
LEAVE_OUT = -1  # "I'd rather not answer" in a section with statements
YES_NO = {True: "Yes", False: "No"}
CLEAN = "tq_clean"  # the sign-in whose tablet this session was cleared for

# Large touch targets: the app's own elements made bigger, the app's menu and header hidden (nothing to
# reach there). A style rule only: no element of the page is drawn by hand.
STYLE = """
<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebar"] { display: none !important; }
.stMainBlockContainer { padding-top: 1.5rem; max-width: 60rem; }
.stMainBlockContainer p, .stMainBlockContainer label, .stMainBlockContainer li { font-size: 1.2rem; }
[data-testid="stButtonGroup"] button { min-height: 3.2rem; min-width: 3.2rem; font-size: 1.2rem; }
[class*="st-key-tq_"][class*="_answer"] [data-testid="stButtonGroup"] button { min-width: 7rem; }
.stMainBlockContainer [data-testid="stTextInput"] input { min-height: 3rem; font-size: 1.2rem; }
[data-testid="stRadio"] label[data-baseweb="radio"] { min-height: 3rem; padding: 0.4rem 0; align-items: center; }
[data-testid="stRadio"] label[data-baseweb="radio"] > div:first-child { transform: scale(1.4); margin-right: 0.6rem; }
[data-testid="stFormSubmitButton"] button, [data-testid="stBaseButton-secondary"] { min-height: 3.2rem; }
</style>
"""


def page() -> None:
    lock = browser_session.tablet()
    if lock is None:  # the app draws this page only for a tablet; nothing to show otherwise
        st.stop()
    _forget_staff_pages()
    st.query_params.clear()  # whatever address was typed, it names no patient while the tablet is held
    st.html(STYLE)
    if lock.stage == tablet.QUESTIONNAIRE:
        _questionnaire()
    else:
        _thanks()
    _staff_take_back()


def _forget_staff_pages() -> None:
    """What the staff pages kept in this session (a patient found, a form half typed) is dropped once the
    tablet is handed over: the tablet's run draws none of it, and none of it waits behind the lock."""
    sign_in_id = st.session_state.get(state.SIGN_IN)
    if st.session_state.get(CLEAN) == sign_in_id:
        return
    keep = {state.USER, state.SIGN_IN, state.CHECKED, state.RUN_STARTED, state.SSO, state.TABLET}
    for key in list(st.session_state.keys()):
        if key not in keep:
            del st.session_state[key]
    st.session_state[CLEAN] = sign_in_id


def _questionnaire() -> None:
    st.title("How are you today?")
    st.write(
        "Please answer these questions about how you are today. Tap your answer. You may leave out any "
        "question you do not want to answer. At the end, tap **Send my answers**."
    )
    with st.form(FORM, enter_to_submit=False, border=False):
        st.header("Your pain")
        back = _pain("back", "How strong is your back pain today?")
        leg = _pain("leg", "How strong is your leg pain today?")
        st.header("How your pain affects your daily life")
        st.write("In each section, choose the one answer that fits you best today.")
        items = _odi_sections()
        st.header("Numbness, tingling, weakness")
        numbness = _yes_no("numbness", "Do you have numbness?")
        tingling = _yes_no("tingling", "Do you have tingling (pins and needles)?")
        weakness = _yes_no("weakness", "Do you have weakness in a leg or foot?")
        st.header("Your pain medicines")
        with st.container(key="tq_medicines_box"):
            medicines = st.pills(
                "Which pain medicines do you take now? Tap each one you take.",
                [*self_report.MEDICINES, self_report.NO_MEDICINE],
                selection_mode="multi",
                format_func=lambda code: self_report.MEDICINES.get(code, self_report.NO_MEDICINE_WORDS),
                key="tq_medicines",
            )
        other = st.text_input(
            "Other pain medicines you take (their names)",
            key="tq_other_medicines",
            max_chars=self_report.MAX_OTHER_MEDICINES,
        )
        sent = st.form_submit_button("Send my answers", type="primary", width="stretch", key="tq_send")
        problem = st.empty()
    if not sent:
        return
    answers = self_report.Answers(
        back_pain=back,
        leg_pain=leg,
        odi_items=items,
        numbness=numbness,
        tingling=tingling,
        weakness=weakness,
        medicines=tuple(medicines or ()),
        other_medicines=other or "",
    )
    sign_in_id = state.held_sign_in()
    try:
        raw = self_report.visit_values(answers, data.today())
        data.write(lambda session: tablet.submit(session, sign_in_id, raw))
    except ValidationFailed as failure:
        problem.error(plain(" ".join(_patient_words(error) for error in failure.errors)))
        return
    st.rerun()  # the thank-you page


def _patient_words(error) -> str:
    """A refusal as the patient reads it (these are the only ones a patient's taps can cause)."""
    if error.field == "medicines":
        return f"Your pain medicines: “{error.value}” {error.message}."
    if error.field == "questionnaire":
        return f"Your questionnaire {error.message}."
    if error.field == "other medicines":
        return f"Other pain medicines: {error.message}."
    return f"Your answers could not be saved ({error.message}). Please give the tablet back to the staff."


def _pain(site: str, question: str) -> int | None:
    with st.container(key=f"tq_{site}_pain"):
        chosen = st.segmented_control(question, PAIN_SCALE, key=f"tq_{site}_pain_score", width="stretch")
        _anchors(f"0 = {self_report.PAIN_ANCHORS[0]}", f"10 = {self_report.PAIN_ANCHORS[10]}")
    return chosen


def _anchors(low: str, high: str) -> None:
    """The words at both ends of a scale, under its ends."""
    left, right = st.columns(2)
    left.markdown(low)
    right.markdown(high, text_alignment="right")


def _wording() -> odi.Wording:
    try:
        return data.odi_wording()
    except odi.WordingError:  # the site's file is unusable: the sections with their scores alone
        return odi.NO_WORDING


def _odi_sections() -> dict[str, int | None]:
    wording = _wording()
    items: dict[str, int | None] = {}
    for number, (key, label) in enumerate(odi.SECTIONS, start=1):
        with st.container(key=f"tq_odi_{key}"):
            question = f"{number}. {label}"
            statements = wording.statements.get(key)
            if statements:

                def words(value: int, statements: tuple[str, ...] = statements) -> str:
                    return "I'd rather not answer" if value == LEAVE_OUT else plain(statements[value])

                chosen = st.radio(
                    question, [*ODI_SCORES, LEAVE_OUT], index=None, format_func=words, key=f"tq_odi_{key}_score"
                )
                items[key] = None if chosen is None or chosen == LEAVE_OUT else int(chosen)
            else:
                chosen = st.segmented_control(question, ODI_SCORES, key=f"tq_odi_{key}_score", width="stretch")
                _anchors("0 = no problem", "5 = the worst")
                items[key] = None if chosen is None else int(chosen)
    return items


def _yes_no(item: str, question: str) -> bool | None:
    with st.container(key=f"tq_{item}"):
        return st.segmented_control(
            question, list(YES_NO), format_func=lambda answer: YES_NO[answer], key=f"tq_{item}_answer"
        )


def _thanks() -> None:
    st.title("Thank you")
    st.write("Your answers have been saved. Please give the tablet back to the staff.")


def _staff_take_back() -> None:
    """A staff member types their user name and password to take the tablet back: checked like any
    sign-in (counted, locked after repeated failures, audited); then the tablet's sign-in ends and theirs
    starts, on the patient's page, where the self-report waits to be checked."""
    st.divider()
    with st.expander("Staff: take the tablet back"), st.form("tq_staff", enter_to_submit=True):
        username = st.text_input("User name", key="tq_staff_username")
        password = st.text_input("Password", type="password", key="tq_staff_password")
        submitted = st.form_submit_button("Sign in and leave the questionnaire")
    if not submitted:
        return
    result = accounts.sign_in(engine(), username, password)
    if result.user is None:
        st.error(result.message)
        return
    if not can(result.user.role, Action.ENTER_DATA):
        st.error("This account cannot take the tablet back: a staff, clinician or admin account can.")
        return
    staff = result.user
    sign_in_id = state.held_sign_in()
    patient_id = run_write(engine(), lambda s: tablet.leave(set_actor(s, staff.username), sign_in_id))
    then = f"/patient?{state.PATIENT_PARAM}={patient_id}" if patient_id else "/"
    browser_session.hand_over(staff, then=then)
