"""Audit entries in clinic words: who did what to which record (the patient by MRN and name), before → after
with field labels, dates as dates and times in the site's zone; never JSON, column names or "None".

The raw record stays available on the audit page for whoever needs the exact stored values."""

from __future__ import annotations

import json
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.formatting import MISSING, day, flag_label, procedure_label, treatment_label, when
from dashboard.widgets.feedback import LABELS
from dashboard.widgets.patient.tables import CODE_SYSTEMS
from data_model import odi
from data_model.outreach.states import OUTCOMES
from data_model.settings import DEFAULT_SETTINGS, to_values
from data_model.settings.words import changes as setting_changes
from data_model.settings.words import label_of

# What each table's row is, said after "Added", "Changed", "Voided", "Removed".
RECORDS = {
    "patients": "a patient",
    "surgeries": "a surgery",
    "visits": "a visit",
    "treatments": "a treatment",
    "conditions": "a diagnosis",
    "flag_reviews": "a review",
    "settings": "a setting",
    "users": "an account",
    "site_secrets": "a site secret",
    "follow_up_contacts": "a follow-up contact attempt",
}
# The choices of the audit page's record filter: table name -> what a person calls it.
RECORD_CHOICES = {
    "patients": "Patients",
    "surgeries": "Surgeries",
    "visits": "Visits",
    "treatments": "Treatments",
    "conditions": "Diagnoses",
    "flag_reviews": "Reviews",
    "settings": "Settings",
    "users": "Accounts",
    "follow_up_contacts": "Follow-up contacts",
}
ACTIONS = {"insert": "Added", "update": "Changed", "void": "Voided", "delete": "Removed"}
EVENTS = {
    "login": "Signed in",
    "logout": "Signed out",
    "login_failed": "Sign-in refused",
    "login_refused_locked": "Sign-in refused: account locked",
    "account_locked": "Account locked after failed sign-ins",
    "import_csv": "Imported CSV files",
    "import_fhir": "Imported a FHIR bundle",
    "export_chart": "Downloaded a chart",
    "export_report": "Downloaded the cohort report",
    "export_csv": "Downloaded the cohort data (de-identified)",
    "export_summary": "Downloaded a clinician summary",
    "export_worklist": "Downloaded the worklist",
    "export_refused": "Download refused",
    "command_refused": "Command refused",
    "site_secret_created": "Created the pseudonym key",
    "backup": "Backed up the database",
    "restore": "Restored the database",
    "users_listed": "Listed the accounts",
    "seed": "Added sample patients",
    "export_letters": "Made a reminder letter",
    "self_report_started": "Handed the tablet to the patient for a self-report",
    "self_report_handed_back": "Took the tablet back from the patient",
}
FIELDS = {
    **LABELS,
    "pain_unspecified": "Pain (site not given)",
    "pain_instrument": "Pain scale",
    "mme_source": "MME/day from",
    "odi_source": "ODI from",
    "source": "Source",
    "source_ref": "Source reference",
    "source_code": "Source code",
    "created_by": "Entered by",
    "voided_at": "Voided",
    "code": "Treatment",
    "drug": "Drug",
    "code_system": "Code system",
    "display": "Diagnosis",
    "onset_date": "Onset",
    "flags": "Flags reviewed",
    "reviewed_by": "Reviewed by",
    "reviewed_at": "Reviewed",
    "undone_at": "Undone",
    "undone_by": "Undone by",
    "active": "Active",
    "failed_logins": "Failed sign-ins",
    "locked_until": "Locked until",
    "password_hash": "Password",
    # the details of events
    "why": "Why",
    "via": "Through",
    "minutes": "Minutes locked",
    "cohort": "Cohort",
    "as_of": "As of",
    "charts": "Charts",
    "format": "Format",
    "identified": "Identified",
    "patients": "Patients",
    "name": "Name",
    "command": "Command",
    "action": "Action",
    "file": "File",
    "imported": "Imported",
    "already": "Already there",
    "merged": "Merged",
    "skipped": "Skipped",
    "unused": "Not used",
    # follow-up outreach (data_model/outreach)
    "outcome": "Outcome",
    "contacted_on": "Contacted on",
    "next_attempt_on": "Next attempt on",
    "recorded_by": "Logged by",
    "recorded_at": "Logged",
    "time_point": "Time point",
    "weeks": "Weeks after surgery",
    "follow_up": "Follow-up",
    "voided_by": "Voided by",
    "void_reason": "Reason for voiding",
    # the tablet self-report (data_model/access/tablet.py)
    "sent": "Questionnaire sent",
    # a diagnosis (conditions): its own words, see _diagnosis_row
    "diagnosis_code": "Code",
    "diagnosed_on": "Date diagnosed",
}
ODI_FROM = {odi.FROM_SECTIONS: "computed from its sections", odi.ENTERED_TOTAL: "entered as a total"}
# Bookkeeping every row carries: said by the entry itself (who, when), or meaningless to a person.
HIDDEN = {"id", "patient_id", "created_at", "import_id", "data_changed_at", "updated_at", "updated_by", "xact_id"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT


def field_label(name: str) -> str:
    return FIELDS.get(name) or name.replace("_", " ").capitalize()


def value_text(name: str, value: Any, zone: ZoneInfo) -> str:
    """One stored value as a clinic writes it: yes/no, 2024-05-04, 14:05 CET, 6.5, procedure names."""
    if _missing(value) or value == "":
        return MISSING
    if name == "password_hash":
        return "set" if value else MISSING  # the audit holds "***", never the hash
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list):
        return ", ".join(value_text(name, v, zone) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{field_label(k)} {value_text(k, v, zone)}" for k, v in value.items()) or MISSING
    text = str(value)
    if name == "procedure":
        return procedure_label(text)
    if name == "code" and text:
        return treatment_label(text)
    if name == "flags":
        return ", ".join(flag_label(code) for code in text.split(";") if code)
    if name == "odi_source":
        return ODI_FROM.get(text, text)
    if name == "outcome":
        return OUTCOMES.get(text, text)
    if _DATE.match(text):
        return day(text)
    if _MOMENT.match(text):
        return when(text, zone)
    return text


def _loads(text: Any) -> dict[str, Any] | None:
    if _missing(text) or not text:
        return None
    try:
        loaded = json.loads(text)
    except (TypeError, ValueError):
        return {"detail": text}  # an event recorded as plain text
    return loaded if isinstance(loaded, dict) else {"detail": loaded}


def _setting_words(action: str, before: dict | None, after: dict | None) -> str:
    """A setting row holds one setting as JSON text; a missing row means its default."""
    key = (after or before or {}).get("key", "")
    defaults = to_values(DEFAULT_SETTINGS)
    default = defaults.get(key)

    def value(row: dict | None) -> Any:
        return default if row is None else json.loads(row["value"])

    said = setting_changes({key: value(before)}, {key: value(after)})
    if action == "delete":  # before 2026-12 a restored default deleted its row
        return "; ".join(said) + " (back to its default)" if said else "Back to its default"
    return "; ".join(said) or "No change"


def _diagnosis_row(row: dict | None) -> dict | None:
    """A diagnosis row in the words of the diagnosis form: 'Code: SNOMED CT 202725007' (the code system by
    its name, not its URL, and not a treatment), 'Date diagnosed' for the onset."""
    if row is None:
        return None
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k == "code_system":
            continue  # said with the code
        if k == "code":
            system = row.get("code_system")
            name = CODE_SYSTEMS.get(system, system) if not _missing(system) and system else ""
            out["diagnosis_code"] = f"{name} {v}".strip() if not _missing(v) and v else v
        elif k == "onset_date":
            out["diagnosed_on"] = v
        else:
            out[k] = v
    return out


def changes_text(action: str, table: str | None, before: dict | None, after: dict | None, zone: ZoneInfo) -> str:
    """'Back pain: 6 → 4 · Notes: – → better' for a change; the values set or removed otherwise."""
    if table == "settings":
        return _setting_words(action, before, after)
    if table == "conditions":
        before, after = _diagnosis_row(before), _diagnosis_row(after)
    if action in ("update", "void") and before is not None and after is not None:
        parts = [
            f"{field_label(k)}: {value_text(k, before.get(k), zone)} → {value_text(k, v, zone)}"
            for k, v in after.items()
            if k not in HIDDEN and before.get(k) != v
        ]
        return " · ".join(parts) or "No visible change"
    shown = after if after is not None else before
    if shown is None:
        return MISSING
    parts = [
        f"{field_label(k)}: {value_text(k, v, zone)}"
        for k, v in shown.items()
        # "***": a secret the audit never copies (a site secret's value); a password still says "set"
        if k not in HIDDEN and not _missing(v) and v != "" and (v != "***" or k == "password_hash")
    ]
    return " · ".join(parts) or MISSING


def what_text(action: str, table: str | None, before: dict | None, after: dict | None) -> str:
    """'Changed a visit', 'Changed the account mia', 'Signed in'."""
    if action in EVENTS:
        return EVENTS[action]
    if action in ACTIONS and table:
        record = RECORDS.get(table, "a record")
        row = after or before or {}
        if table == "users" and row.get("username"):
            record = f"the account {row['username']}"
        elif table == "settings" and row.get("key"):
            # A setting always has a value (its default when no row holds one): any write changes it.
            return f"Changed the setting “{label_of(row['key'])}”"
        return f"{ACTIONS[action]} {record}"
    return action.replace("_", " ").capitalize()


def patient_text(mrn: Any, name: Any) -> str:
    if _missing(mrn) or not mrn:
        return ""
    return f"{mrn} · {name}" if not _missing(name) and name else str(mrn)


def readable(entries: pd.DataFrame, zone: ZoneInfo) -> pd.DataFrame:
    """The audit page's table: When, Who, What, Patient, Details, one row per entry, newest first as given."""
    rows = []
    for entry in entries.to_dict("records"):
        before, after = _loads(entry["before"]), _loads(entry["after"])
        detail = _loads(entry.get("detail"))
        if before is None and after is None and detail is not None:
            details = changes_text("insert", None, None, detail, zone)
        else:
            details = changes_text(entry["action"], entry["table"], before, after, zone)
        rows.append(
            {
                "When": when(entry["at"], zone),
                "Who": entry["actor"],
                "What": what_text(entry["action"], entry["table"], before, after),
                "Patient": patient_text(entry.get("mrn"), entry.get("patient_name")),
                "Details": details,
            }
        )
    return pd.DataFrame(rows, columns=["When", "Who", "What", "Patient", "Details"])
