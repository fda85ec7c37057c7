"""The little state shared across pages: who is signed in, since when, which patient is open."""

from __future__ import annotations

import os
import time

import streamlit as st

from data_model.accounts import SignedIn

USER = "pt_user"
LAST_ACTIVE = "pt_last_active"
PATIENT_ID = "pt_patient_id"
NOTICE = "pt_notice"
SSO = "pt_sso"
IDLE_MINUTES = float(os.environ.get("PAINTRAIL_IDLE_MINUTES", "30"))


def current_user() -> SignedIn | None:
    return st.session_state.get(USER)


def sign_in(user: SignedIn, via_sso: bool = False) -> None:
    st.session_state[USER] = user
    st.session_state[SSO] = via_sso
    st.session_state[LAST_ACTIVE] = time.monotonic()


def signed_in_via_sso() -> bool:
    return bool(st.session_state.get(SSO))


def sign_out(reason: str | None = None) -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if reason:
        st.session_state[NOTICE] = reason


def idle_timed_out() -> bool:
    """True (and signs out) when the user did nothing for IDLE_MINUTES; otherwise records activity."""
    last = st.session_state.get(LAST_ACTIVE)
    now = time.monotonic()
    if last is not None and now - last > IDLE_MINUTES * 60:
        sign_out(f"You were signed out after {IDLE_MINUTES:g} minutes without activity.")
        return True
    st.session_state[LAST_ACTIVE] = now
    return False


def take_notice() -> str | None:
    return st.session_state.pop(NOTICE, None)


def selected_patient() -> int | None:
    return st.session_state.get(PATIENT_ID)


def select_patient(patient_id: int | None) -> None:
    st.session_state[PATIENT_ID] = patient_id
