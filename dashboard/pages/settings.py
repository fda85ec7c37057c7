"""Settings (admin): recovery windows, thresholds and the follow-up schedule; validated, audited, live."""

from __future__ import annotations

from dataclasses import fields

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.formatting import procedure_label
from dashboard.signin import auth
from data_model import commands
from data_model.access.permissions import Action
from data_model.settings import DEFAULT_SETTINGS, SettingsError, from_values, to_values

auth.guard(Action.MANAGE_SETTINGS)
st.title("Settings")
st.caption("Changes apply to the worklist and every flag at once, and are kept in the audit trail.")

current = data.settings()
values = to_values(current)
defaults = to_values(DEFAULT_SETTINGS)
saved = st.session_state.pop("settings_saved", None)
if saved:
    st.success(saved)

with st.form("settings_form"):
    st.subheader("Recovery window per procedure (weeks)")
    cols = st.columns(len(current.window_weeks))
    windows = {
        proc: cols[i].number_input(
            procedure_label(proc),
            1,
            104,
            int(weeks),
            step=1,
            key=f"set_window_{proc}",
            help=f"Default {defaults['window_weeks'][proc]} weeks",
        )
        for i, (proc, weeks) in enumerate(current.window_weeks.items())
    }
    st.subheader("Thresholds")
    scalars = [f for f in fields(current) if f.name not in ("window_weeks", "follow_up_schedule")]
    cols = list(st.columns(3))
    edited: dict = {}
    for i, f in enumerate(scalars):
        default = defaults[f.name]
        label = f.metadata.get("label") or f.name.replace("_", " ").capitalize()
        unit = f" {f.metadata['unit']}" if "unit" in f.metadata else ""
        what = f"{f.metadata['help']} " if "help" in f.metadata else ""
        if isinstance(default, int):
            edited[f.name] = cols[i % 3].number_input(
                label, value=int(values[f.name]), step=1, key=f"set_{f.name}", help=f"{what}Default {default}{unit}"
            )
        else:
            edited[f.name] = cols[i % 3].number_input(
                label,
                value=float(values[f.name]),
                step=0.5,
                key=f"set_{f.name}",
                help=f"{what}Default {default:g}{unit}",
            )
    st.subheader("Follow-up schedule")
    st.caption("Registry time points after surgery; a visit within ± tolerance counts for the time point.")
    schedule = st.data_editor(
        pd.DataFrame(values["follow_up_schedule"]),
        num_rows="dynamic",
        key="set_schedule",
        column_config={
            "label": st.column_config.TextColumn("Time point", required=True),
            "weeks": st.column_config.NumberColumn(
                "Weeks after surgery", min_value=1, max_value=520, step=1, required=True
            ),
            "tolerance_weeks": st.column_config.NumberColumn(
                "± weeks", min_value=0, max_value=52, step=1, required=True
            ),
        },
        hide_index=True,
    )
    submitted = st.form_submit_button("Save settings", type="primary")

if submitted:
    proposed = {
        **edited,
        "window_weeks": windows,
        "follow_up_schedule": schedule.dropna().astype({"weeks": int, "tolerance_weeks": int}).to_dict("records"),
    }
    try:
        new = from_values(proposed)
        data.write(lambda s: commands.save_settings(s, new))
    except (SettingsError, ValueError, TypeError) as problem:
        st.error(f"Nothing was saved. {problem}")
    else:
        changed = sorted(k for k in proposed if to_values(new)[k] != values[k])
        st.session_state["settings_saved"] = "Saved: " + ", ".join(changed) if changed else "No change to save."
        st.rerun()

if st.button("Restore every default", key="set_restore"):
    data.write(lambda s: commands.save_settings(s, DEFAULT_SETTINGS))
    st.session_state["settings_saved"] = "Every setting is back to its default."
    st.rerun()
