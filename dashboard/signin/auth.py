"""Sign-in, first-admin setup and the per-page role guard."""

from __future__ import annotations

import streamlit as st

from dashboard import data, state
from dashboard.demo import DEMO_ACCOUNTS, demo_mode
from dashboard.formatting import plain
from dashboard.signin import browser_session
from data_model.access import accounts
from data_model.access.permissions import Action, can
from data_model.audit import set_actor
from data_model.db import run_write
from data_model.validation import ValidationFailed


def _count_users() -> int:
    return data.count_users()


def login_page() -> None:
    """The only thing an anonymous visitor sees: no patient data before sign-in."""
    st.title("PainTrail")
    st.caption("Follow-up of persistent pain after spine surgery")
    notice = state.notice()
    if notice:
        st.info(notice)
    if _count_users() == 0:
        first_admin_form()
        return
    if sso_configured():
        single_sign_on()
    with st.form("login", enter_to_submit=True):
        username = st.text_input("User name", key="login_username")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        result = accounts.sign_in(data.engine(), username, password)
        if result.user is None:
            st.error(result.message)
        else:
            browser_session.hand_over(result.user)
    if demo_mode():
        st.info(
            "Demo accounts (synthetic patients only): "
            + ", ".join(f"**{name}** / `{password}` ({role})" for name, role, password in DEMO_ACCOUNTS)
        )


def sso_configured() -> bool:
    """Single sign-on is on when the site put an [auth] section in .streamlit/secrets.toml."""
    try:
        return "auth" in st.secrets
    except Exception:
        return False


def single_sign_on() -> None:
    """OIDC through st.login; the e-mail the provider returns must match an active local account."""
    if not st.user.get("is_logged_in", False):
        st.button("Sign in with single sign-on", on_click=st.login, key="sso_login", type="primary")
        st.caption("Or sign in with a PainTrail password below.")
        return
    claimed = st.user.get("email")
    email = claimed if isinstance(claimed, str) else None  # the provider's e-mail claim, when it sent one
    result = run_write(data.engine(), lambda s: accounts.sso_sign_in(set_actor(s, email or "sso"), email))
    if result.user is None:
        st.error(plain(result.message))  # it names the e-mail the identity provider sent
        st.button("Sign out of single sign-on", on_click=st.logout, key="sso_logout")
        return
    browser_session.hand_over(result.user, via_sso=True)


def sign_out() -> None:
    was_sso = state.signed_in_via_sso()
    browser_session.sign_out()
    if was_sso:
        st.logout()


def first_admin_form() -> None:
    """First start outside demo mode: there are no default passwords, so the first admin is created here."""
    st.subheader("Create the first administrator account")
    st.write("No accounts exist yet. The account created here can add clinicians and staff.")
    with st.form("first_admin"):
        username = st.text_input("User name", key="setup_username")
        display_name = st.text_input("Full name", key="setup_display_name")
        password = st.text_input("Password (at least 8 characters)", type="password", key="setup_password")
        repeat = st.text_input("Repeat password", type="password", key="setup_repeat")
        submitted = st.form_submit_button("Create administrator", type="primary")
    if not submitted:
        return
    if password != repeat:
        st.error("Password: the two entries differ.")
        return

    def create(session):
        if accounts.count_users(session):  # another browser created one meanwhile
            raise ValidationFailed([])
        return accounts.add_user(session, username, "admin", password, display_name or None)

    try:
        run_write(data.engine(), lambda s: create(set_actor(s, "setup")))
    except ValidationFailed as failure:
        st.error(plain("; ".join(str(e) for e in failure.errors)) or "An administrator already exists; please sign in.")
        return
    st.success(f"Administrator {plain(username)} created. Please sign in.")
    st.rerun()


def guard(action: Action) -> None:
    """Stop the page unless the signed-in user's role allows the action (menus are not enough)."""
    user = state.current_user()
    if user is None or not can(user.role, action):
        role = user.role if user else "anonymous"
        st.error(f"Your role ({role}) does not give access to this page.")
        st.stop()


def allowed(action: Action) -> bool:
    user = state.current_user()
    return user is not None and can(user.role, action)
