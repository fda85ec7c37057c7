"""Accounts (admin): add users, change roles, deactivate, reset passwords, lift lockouts."""

from __future__ import annotations

import streamlit as st

from dashboard import data, state
from dashboard.formatting import plain
from dashboard.signin import auth
from dashboard.widgets.forms import describe
from data_model.access import accounts
from data_model.access.permissions import Action
from data_model.catalog import ROLES
from data_model.validation import ValidationFailed

auth.guard(Action.MANAGE_USERS)
st.title("Accounts")

message = st.session_state.pop("users_saved", None)
if message:
    st.success(message)


def _apply(action, success: str) -> None:
    try:
        data.write(action)
    except ValidationFailed as failure:
        st.error("Nothing was changed. " + " · ".join(describe(e) for e in failure.errors))
        return
    st.session_state["users_saved"] = success
    st.rerun()


users = data.users()
st.dataframe(users, hide_index=True)

add, change = st.tabs(["Add an account", "Change an account"])
with add:
    with st.form("add_user", clear_on_submit=True):
        cols = st.columns(3)
        username = cols[0].text_input("User name", key="u_new_name")
        display_name = cols[1].text_input("Full name", key="u_new_display")
        role = cols[2].selectbox("Role", ROLES, key="u_new_role")
        password = st.text_input("Initial password (at least 8 characters)", type="password", key="u_new_pw")
        submitted = st.form_submit_button("Add account", type="primary")
    if submitted:
        _apply(
            lambda s: accounts.add_user(s, username, role, password, display_name or None),
            f"Account {plain(username)} ({role}) added.",
        )

with change:
    if users.empty:
        st.caption("No account yet.")
    else:
        with st.form("change_user"):
            who = st.selectbox("Account", list(users["username"]), key="u_change_name")
            cols = st.columns(3)
            new_role = cols[0].selectbox("Role", ["(unchanged)", *ROLES], key="u_change_role")
            new_state = cols[1].selectbox("Active", ["(unchanged)", "active", "inactive"], key="u_change_active")
            new_password = cols[2].text_input("New password", type="password", key="u_change_pw")
            unlock = st.checkbox("Lift a lockout after failed sign-ins", key="u_change_unlock")
            submitted = st.form_submit_button("Apply")
        if submitted:
            me = state.signed_in_user().username
            _apply(
                lambda s: accounts.update_account(
                    s,
                    who,
                    role=None if new_role == "(unchanged)" else new_role,
                    active=None if new_state == "(unchanged)" else new_state == "active",
                    password=new_password or None,
                    unlock=unlock,
                    acting_admin=me,
                ),
                f"Account {plain(who)} updated.",
            )
