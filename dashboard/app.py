"""Entrypoint: page config, the sign-in check, navigation by role; every page lives in dashboard/pages/."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the project root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.formatting import ROLE_LABELS, plain
from dashboard.navigation import pages_for, sign_in_pages, tablet_pages
from dashboard.signin import (
    auth,
    browser_session,
)
from dashboard.tablet import questionnaire

st.set_page_config(page_title="PainTrail", page_icon="🩺", layout="wide")

user = browser_session.signed_in()  # the cookie, checked against the account on every run

if user is None:
    # Every page's address shows the sign-in form, and keeps its query: after signing in, the
    # browser comes back to the same address and finds the page (and patient) it asked for.
    st.navigation(sign_in_pages(auth.login_page), position="hidden").run()
elif browser_session.tablet() is not None:
    # A tablet handed to a patient: only their questionnaire, at every address; no menu, no sign-out,
    # nothing of any other page. Leaving takes a staff password (dashboard/tablet/questionnaire.py).
    browser_session.watch()
    try:
        st.navigation(tablet_pages(questionnaire.page), position="hidden").run()
    finally:
        browser_session.seen()
else:
    with st.sidebar:
        st.markdown(f"**{plain(user.display_name)}**  \n{ROLE_LABELS.get(user.role, user.role)}")
        if st.button("Sign out", key="sign_out"):
            auth.sign_out()
            st.rerun()
    browser_session.watch()
    try:
        st.navigation(pages_for(user.role)).run()
    finally:
        browser_session.seen()
