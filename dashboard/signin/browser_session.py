"""Which sign-in this browser holds: its cookie checked on every script run, handed over at sign-in, ended at sign-out.

A Streamlit session is whatever presents its id; the cookie is what only the browser that signed in
has. So nothing in st.session_state signs anyone in: every run reads the cookie sent with this
connection and asks the database what it is worth now (data_model/sign_ins.py). The cookie is set,
HttpOnly, by the web server's hand-off address (dashboard/asgi.py), which the page visits right after
the password is checked.
"""

from __future__ import annotations

import json
import time

import streamlit as st

from dashboard import state
from dashboard.signin.cookie import COOKIE, HANDOFF_PATH, IDLE_MINUTES, idle_limit
from dashboard.store import engine
from data_model.access import sign_ins
from data_model.access.accounts import SignedIn
from data_model.access.tablet import Tablet
from data_model.audit import set_actor
from data_model.db import run_write

# What the sign-in page says when a sign-in this session held has ended.
ENDED_NOTICES = {
    sign_ins.IDLE: f"You were signed out after {IDLE_MINUTES:g} minutes without activity.",
    sign_ins.ACCOUNT_CHANGED: "Your sign-in has ended: your account was changed. Please sign in again.",
    sign_ins.SIGNED_OUT: "You are signed out.",
    sign_ins.REPLACED: "You signed in again in another tab; please use that one, or sign in here.",
}


def presented_token() -> str | None:
    """The sign-in token this browser sent when it connected (None in a browser that never signed in)."""
    return st.context.cookies.get(COOKIE)


def signed_in() -> SignedIn | None:
    """Who this browser is signed in as, checked now; called once at the top of every script run.

    A session whose state belongs to another sign-in than the one presented (or to one that has ended,
    or is presented by a browser with no cookie at all) starts clean: nothing it showed or kept carries
    over to whoever presents its id now."""
    check = sign_ins.check(engine(), presented_token(), idle_limit())
    held = st.session_state.get(state.SIGN_IN)
    if held is not None and (check.user is None or held != check.sign_in_id):
        state.sign_out(ENDED_NOTICES.get(check.ended or "") if check.user is None else None)
    elif check.user is None and not st.session_state.get(state.CHECKED) and check.ended in ENDED_NOTICES:
        st.session_state[state.NOTICE] = ENDED_NOTICES[check.ended]  # a reload after the sign-in ended
    st.session_state[state.CHECKED] = True
    if check.user is None:
        return None
    state.sign_in(check.user, check.sign_in_id, check.via_sso)
    st.session_state[state.TABLET] = check.tablet  # as the database says now, on every run
    st.session_state[state.RUN_STARTED] = time.monotonic()
    return check.user


def tablet() -> Tablet | None:
    """The patient self-report this browser's sign-in is locked to, as checked at the top of this run
    (signed_in): the lock lives on the sign-in's row, this is only this run's reading of it."""
    return st.session_state.get(state.TABLET)


def still_signed_in() -> bool:
    """The sign-in this session holds still holds (for writes, which a widget callback may run before
    the check at the top of the script). Not recorded as activity."""
    held = st.session_state.get(state.SIGN_IN)
    check = sign_ins.check(engine(), presented_token(), idle_limit(), touch=False)
    return check.user is not None and check.sign_in_id == held


class SignInEnded(PermissionError):
    """A write was asked for by a session whose sign-in has ended."""


def require_signed_in() -> SignedIn:
    """The signed-in user, if the sign-in still holds now; otherwise back to the sign-in page, writing nothing."""
    user = state.current_user()
    if user is not None and still_signed_in():
        return user
    state.sign_out("Your sign-in has ended; nothing was saved. Please sign in again.")
    st.rerun()  # in a page: straight to the sign-in page
    raise SignInEnded("the sign-in has ended")  # in a widget callback, where a rerun waits: write nothing


def seen() -> None:
    """The page has been drawn: after a long run, the idle clock starts from what the person last saw."""
    started = st.session_state.get(state.RUN_STARTED)
    if started is not None and time.monotonic() - started >= sign_ins.touch_interval(idle_limit()).total_seconds():
        sign_ins.check(engine(), presented_token(), idle_limit())


def hand_over(user: SignedIn, via_sso: bool = False, then: str | None = None) -> None:
    """Start the sign-in of a person who has just proven who they are, and send the browser to the
    address that trades the one-time code for its cookie; it comes back to the page it is on (or to the
    address `then`, a path of this site)."""
    code = run_write(engine(), lambda s: sign_ins.start(set_actor(s, user.username), user.username, via_sso))
    st.info("Signing you in…")
    target = json.dumps(f"{HANDOFF_PATH}?code={code}&next=")
    back = json.dumps(then) if then else "window.location.pathname + window.location.search"
    st.html(
        f"<script>window.location.replace({target} + encodeURIComponent({back}));</script>",
        unsafe_allow_javascript=True,
    )
    st.stop()


def sign_out(notice: str = ENDED_NOTICES[sign_ins.SIGNED_OUT]) -> None:
    """End this browser's sign-in in the database (audited) and forget everything the session held."""
    sign_in_id = st.session_state.get(state.SIGN_IN)
    user = state.current_user()
    if sign_in_id is not None and user is not None:
        run_write(engine(), lambda s: sign_ins.end(set_actor(s, user.username), sign_in_id, sign_ins.SIGNED_OUT))
    state.sign_out(notice)


def watch_tick() -> float:
    """Seconds between two looks at the sign-in while the person does nothing: a tenth of the idle limit,
    at least 1 s and at most 15 s, so the screen clears at most that long after the limit."""
    return min(max(IDLE_MINUTES * 60 / 10, 1.0), 15.0)


def watch() -> None:
    """Clear the screen without a click once the sign-in has ended (idle, sign-out in another tab, a
    changed account): a fragment looks every few seconds, and reruns the whole app when it has."""

    @st.fragment(run_every=watch_tick())
    def _sign_in_watch() -> None:
        if not still_signed_in():
            st.rerun(scope="app")

    _sign_in_watch()
