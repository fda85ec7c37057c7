"""The little state shared across pages: who this run is signed in as, the notice for the sign-in page,
which patient is open (mirrored in the URL so a reload or a link finds it again)."""

from __future__ import annotations

import streamlit as st

from data_model.access.accounts import SignedIn

USER = "pt_user"  # the account as checked at the top of this run (dashboard/signin/browser_session.py)
SIGN_IN = "pt_sign_in"  # the sign-in this session's state belongs to
CHECKED = "pt_checked"  # the sign-in was checked at least once in this session
RUN_STARTED = "pt_run_started"
PATIENT_ID = "pt_patient_id"
NOTICE = "pt_notice"
SSO = "pt_sso"
TABLET = "pt_tablet"  # this run's reading of the sign-in's tablet lock (data_model/access/tablet.py)
PATIENT_PARAM = "patient"


def current_user() -> SignedIn | None:
    return st.session_state.get(USER)


def signed_in_user() -> SignedIn:
    """The account this run is signed in as, on a page past auth.guard (which stops a run signed in as no one)."""
    user = current_user()
    if user is None:
        raise RuntimeError("no one is signed in: auth.guard must run first")
    return user


def held_sign_in() -> int:
    """The id of the sign-in this run was checked against (browser_session.signed_in), on a signed-in page."""
    sign_in_id = st.session_state.get(SIGN_IN)
    if sign_in_id is None:
        raise RuntimeError("no sign-in is held: browser_session.signed_in must run first")
    return int(sign_in_id)


def sign_in(user: SignedIn, sign_in_id: int | None, via_sso: bool = False) -> None:
    st.session_state[USER] = user
    st.session_state[SIGN_IN] = sign_in_id
    st.session_state[SSO] = via_sso


def signed_in_via_sso() -> bool:
    return bool(st.session_state.get(SSO))


def sign_out(reason: str | None = None) -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if reason:
        st.session_state[NOTICE] = reason


def notice() -> str | None:
    """Why the sign-in page is showing (signed out, idle, a changed account): kept until the next sign-in."""
    return st.session_state.get(NOTICE)


def selected_patient() -> int | None:
    return st.session_state.get(PATIENT_ID)


def select_patient(patient_id: int | None) -> None:
    st.session_state[PATIENT_ID] = patient_id


def patient_in_url() -> int | None | str:
    """The patient the URL names: its id, None when it names none, or the text when it is no id at all."""
    raw = st.query_params.get(PATIENT_PARAM)
    if raw is None or raw == "":
        return None
    return int(raw) if raw.isdigit() else raw


def put_patient_in_url(patient_id: int) -> None:
    if st.query_params.get(PATIENT_PARAM) != str(patient_id):
        st.query_params[PATIENT_PARAM] = str(patient_id)
