"""The web server `paintrail serve` runs: the Streamlit app (app.py), the address that hands a browser its
sign-in cookie, and the guard that serves a download only to the browser that asked for it."""

import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import Route

from dashboard.signin.cookie import HANDOFF_PATH
from dashboard.web import DownloadGuard, hand_off

app = st.App("app.py", routes=[Route(HANDOFF_PATH, hand_off)], middleware=[Middleware(DownloadGuard)])
