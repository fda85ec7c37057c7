"""Accounts (admin): add users, change roles, deactivate, reset passwords, lift lockouts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, state
from dashboard.formatting import MISSING, ROLE_LABELS, day, plain, site_zone, when, zone_caption
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


def _locked_until(account: dict, now: pd.Timestamp) -> pd.Timestamp | None:
    locked = account["locked_until"]
    if locked is not None and not pd.isna(locked) and pd.Timestamp(locked).tz_localize(None) > now:
        return pd.Timestamp(locked)
    return None


def _status(account: dict, now: pd.Timestamp) -> str:
    """A few words, so the table fits a clinic laptop; a lockout's detail is in the caption under it."""
    if not account["active"]:
        return "Inactive"
    return "Locked" if _locked_until(account, now) is not None else "Active"


users = data.users()
zone = site_zone(data.settings().time_zone)
now = pd.Timestamp.now(tz="UTC").tz_localize(None)  # stored times are UTC
st.dataframe(
    pd.DataFrame(
        [
            {
                "User name": account["username"],
                "Name": account["display_name"] or MISSING,
                "Role": ROLE_LABELS.get(account["role"], account["role"]),
                "Status": _status(account, now),
                "Last sign-in": when(account["last_sign_in"], zone, missing="never"),
                "Account since": day(account["created_at"]),
            }
            for account in users.to_dict("records")
        ],
        columns=["User name", "Name", "Role", "Status", "Last sign-in", "Account since"],
    ),
    hide_index=True,
)
for account in users.to_dict("records"):
    until = _locked_until(account, now) if account["active"] else None
    if until is not None:
        st.caption(
            plain(f"{account['username']} is locked after failed sign-ins until {when(until, zone)}")
            + " (lift it under *Change an account*)."
        )
st.caption(zone_caption(zone))

add, change = st.tabs(["Add an account", "Change an account"])
with add:
    with st.form("add_user", clear_on_submit=True):
        cols = st.columns(3)
        username = cols[0].text_input("User name", key="u_new_name")
        display_name = cols[1].text_input("Full name", key="u_new_display")
        role = cols[2].selectbox("Role", ROLES, format_func=ROLE_LABELS.__getitem__, key="u_new_role")
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
            new_role = cols[0].selectbox(
                "Role", ["(unchanged)", *ROLES], format_func=lambda r: ROLE_LABELS.get(r, r), key="u_change_role"
            )
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
