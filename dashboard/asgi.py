"""The web server `paintrail serve` runs: the Streamlit app (app.py), the address that hands a browser its
sign-in cookie, the guard that serves a download only to the browser that asked for it, and the
evaluation of the clinic made at start (with the address that says when it is ready)."""

import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import Route

from dashboard.server_start import READY_PATH, lifespan, ready
from dashboard.signin.cookie import HANDOFF_PATH
from dashboard.web import DownloadGuard, hand_off

app = st.App(
    "app.py",
    lifespan=lifespan,
    routes=[Route(HANDOFF_PATH, hand_off), Route(READY_PATH, ready)],
    middleware=[Middleware(DownloadGuard)],
)
