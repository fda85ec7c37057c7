"""Entrypoint: page config, sign-in, navigation by role; every page lives in dashboard/pages/."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the project root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import auth, state  # noqa: E402
from dashboard.formatting import plain  # noqa: E402
from dashboard.navigation import pages_for  # noqa: E402

st.set_page_config(page_title="PainTrail", page_icon="🩺", layout="wide")

user = state.current_user()
if user is not None and state.idle_timed_out():
    user = None

if user is None:
    st.navigation([st.Page(auth.login_page, title="Sign in", url_path="login")], position="hidden").run()
else:
    with st.sidebar:
        st.markdown(f"**{plain(user.display_name)}**  \n{user.role}")
        if st.button("Sign out", key="sign_out"):
            auth.sign_out()
            st.rerun()
    st.navigation(pages_for(user.role)).run()
