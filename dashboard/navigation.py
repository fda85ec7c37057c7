"""Which pages each role sees, in menu order; each page still checks the role itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from data_model.access.permissions import Action, can

PAGES = Path(__file__).parent / "pages"

# (file, title, icon, action needed, roles that land on it first)
PAGE_TABLE: tuple[tuple[str, str, str, Action, tuple[str, ...]], ...] = (
    ("worklist.py", "Worklist", ":material/flag:", Action.VIEW_PATIENTS, ("clinician", "admin")),
    ("patient.py", "Patient", ":material/person:", Action.VIEW_PATIENTS, ()),
    ("follow_ups.py", "Follow-ups", ":material/event_upcoming:", Action.VIEW_PATIENTS, ()),
    ("cohort.py", "Cohort", ":material/monitoring:", Action.VIEW_PATIENTS, ()),
    ("enter_visit.py", "Enter visit", ":material/edit_note:", Action.ENTER_DATA, ("staff",)),
    ("import_data.py", "Import", ":material/upload_file:", Action.ENTER_DATA, ()),
    ("settings.py", "Settings", ":material/tune:", Action.MANAGE_SETTINGS, ()),
    ("users.py", "Accounts", ":material/group:", Action.MANAGE_USERS, ()),
    ("audit.py", "Audit trail", ":material/history:", Action.VIEW_AUDIT, ()),
)


def pages_for(role: str) -> list[st.Page]:
    pages = []
    for file, title, icon, action, landing in PAGE_TABLE:
        if can(role, action):
            pages.append(st.Page(PAGES / file, title=title, icon=icon, default=role in landing))
    return pages


def sign_in_pages(login_page: Callable[[], None]) -> list[st.Page]:
    """The sign-in form at the root and at every page's address (hidden), so that a link or bookmark
    opened before signing in keeps its address, and lands on its page once the person is signed in."""
    return _everywhere(login_page, "Sign in", "login")


def tablet_pages(questionnaire: Callable[[], None]) -> list[st.Page]:
    """A tablet handed to a patient: its questionnaire at the root and at every page's address, so that
    no address (typed, bookmarked, reloaded) reaches any page of the app."""
    return _everywhere(questionnaire, "Your questionnaire", "self-report")


def _everywhere(page: Callable[[], None], title: str, url_path: str) -> list[st.Page]:
    pages = [st.Page(page, title=title, url_path=url_path, default=True)]
    for file, *_ in PAGE_TABLE:
        pages.append(st.Page(page, title=title, url_path=Path(file).stem, visibility="hidden"))
    return pages
