"""Settings (admin): recovery windows, thresholds, the follow-up schedule and the site's time zone;
each in clinic words with its unit, what it changes and its default; judged on save, audited, live."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.formatting import plain, server_zone_name
from dashboard.signin import auth
from dashboard.widgets.feedback import FormFeedback, saved, show_saved
from dashboard.widgets.forms import generation
from data_model import commands
from data_model.access.permissions import Action
from data_model.settings import DEFAULT_SETTINGS, SettingsError, from_values, to_values, typed_schedule, typed_values
from data_model.settings.words import (
    SCALAR_SETTINGS,
    SECTIONS,
    SITE_NAME_LABEL,
    TIME_ZONE_LABEL,
    changes,
    label_of,
    number,
    window,
)
from data_model.validation import ValidationFailed

FORM = "settings"

auth.guard(Action.MANAGE_SETTINGS)
st.title("Settings")
st.caption("Changes apply to the worklist and every flag at once, and are kept in the audit trail.")
show_saved()

current = data.settings()
values = to_values(current)
defaults = to_values(DEFAULT_SETTINGS)
last_save = st.session_state.pop("settings_saved", None)
if last_save:
    st.success(plain(last_save))


def _help(what: str, default: str) -> str:
    return f"{what} Default: {default}."


with st.expander("What each setting changes"):
    # a static table wraps its long sentences, so it reads whole at 1280×720 (a data grid cuts them)
    st.table(
        pd.DataFrame(
            [
                {
                    "Setting": d.label,
                    "What it changes": d.what,
                    "Allowed": f"{d.low:g} to {d.high:g} {d.unit}",
                    "Default": d.amount(defaults[key]),
                    "Now": d.amount(values[key]),
                }
                for key, d in SCALAR_SETTINGS.items()
            ]
        ),
        hide_index=True,
    )

# Every value is typed into a text box and judged on save (data_model.settings.typed_values): a number
# box with limits would put back its last value when a typed one broke a limit, and save what was not typed.
gen = generation(FORM)  # new keys after a save: the boxes show what is stored now
# Each box's setting in clinic words; a refused schedule cell adds its own (row and column) when refused.
labels = {key: label_of(key) for key in (*SCALAR_SETTINGS, *(f"window_weeks.{p}" for p in current.window_weeks))}
labels["time_zone"] = label_of("time_zone")
labels["site_name"] = label_of("site_name")
feedback = FormFeedback(labels=labels)
typed: dict[str, str] = {}
with st.form("settings_form"):
    st.subheader("Recovery window per procedure")
    window_cols = st.columns(4)
    for i, (proc, weeks) in enumerate(current.window_weeks.items()):
        described = window(proc)
        key = f"window_weeks.{proc}"
        typed[key] = feedback.text(
            window_cols[i % 4],
            key,
            f"{described.label.removeprefix('Recovery window: ')}, weeks",
            key=f"set_window_{proc}_{gen}",
            value=number(weeks),
            help=_help(described.what, f"{defaults['window_weeks'][proc]} weeks"),
        )
    for section in SECTIONS:
        keys = [key for key, d in SCALAR_SETTINGS.items() if d.section == section]
        st.subheader(section)
        cols = st.columns(3)
        for i, key in enumerate(keys):
            described = SCALAR_SETTINGS[key]
            typed[key] = feedback.text(
                cols[i % 3],
                key,
                f"{described.label}, {described.unit}",
                key=f"set_{key}_{gen}",
                value=number(values[key]),
                help=_help(described.what, described.amount(defaults[key])),
            )
    st.subheader("Follow-up schedule")
    st.caption("Registry time points after surgery; a visit within ± tolerance counts for the time point.")
    # Text cells, judged on save like every box above: a number cell with limits would also put back a value.
    schedule = st.data_editor(
        pd.DataFrame(values["follow_up_schedule"]).astype(str),
        num_rows="dynamic",
        key=f"set_schedule_{gen}",
        column_config={
            "label": st.column_config.TextColumn("Time point"),
            "weeks": st.column_config.TextColumn("Weeks after surgery"),
            "tolerance_weeks": st.column_config.TextColumn("± weeks"),
        },
        hide_index=True,
    )
    st.subheader("Time zone")
    typed["time_zone"] = feedback.text(
        st,
        "time_zone",
        f"{TIME_ZONE_LABEL} (a name such as Europe/Oslo)",
        key=f"set_time_zone_{gen}",
        value=current.time_zone,
        placeholder=f"The server's zone: {server_zone_name()}",
        help=_help(
            "Every time of day the app shows (audit trail, accounts, reviews) is in this zone, and says so. "
            "Empty: the server's own zone. Times are stored in UTC whatever is chosen.",
            f"the server's zone ({server_zone_name()})",
        ),
    )
    st.subheader("Site")
    typed["site_name"] = feedback.text(
        st,
        "site_name",
        SITE_NAME_LABEL,
        key=f"set_site_name_{gen}",
        value=current.site_name,
        placeholder="e.g. Riverside Spine Clinic",
        help=_help("The name reminder letters to patients are headed and signed with.", "none: “the clinic”"),
    )
    submitted = st.form_submit_button("Save settings", type="primary")
    feedback.summary_here()


def _save(new_values: dict, done: str = "Saved.") -> None:
    """Store, then say what changed in words (kept for the next run, which draws the boxes anew)."""
    new = data.write(lambda s: commands.save_settings(s, from_values(new_values)))
    said = changes(values, to_values(new))
    message = f"{done} {'; '.join(said)}." if said else "No change to save."
    st.session_state["settings_saved"] = message
    saved(message)  # a toast too: the message at the top may be scrolled out of view
    st.session_state[f"ef_gen_{FORM}"] = gen + 1
    st.rerun()


if submitted:
    try:
        errors = []
        try:
            proposed = typed_values(typed)
        except ValidationFailed as failure:
            errors += failure.errors
        try:
            points = typed_schedule(schedule.astype(object).where(schedule.notna(), None).to_dict("records"))
        except ValidationFailed as failure:
            errors += failure.errors
        if errors:
            raise ValidationFailed(errors)
        _save({**proposed, "follow_up_schedule": points})
    except ValidationFailed as failure:
        labels.update({error.field: label_of(error.field) for error in failure.errors})
        feedback.refuse(failure.errors)
    except SettingsError as problem:
        feedback.refuse_all("Nothing was saved. " + problem.in_words)

# One stray click would change every flag and every time shown: the button sits behind a second step.
with st.popover("Restore every default…"):
    st.write(
        "Every threshold, recovery window, the follow-up schedule, the site's name and time zone go back to "
        "their defaults, and every patient's flags are judged again. Each change is kept in the audit trail."
    )
    if st.button("Yes, restore every default", key="set_restore", type="primary"):
        _save(defaults, "Every setting is back to its default.")
