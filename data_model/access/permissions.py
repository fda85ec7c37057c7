"""The role matrix: which role may do which action (enforced by pages and the command line)."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    VIEW_PATIENTS = "view_patients"
    ENTER_DATA = "enter_data"  # register patients and surgeries, enter visits and treatments, import
    REVIEW_FLAGS = "review_flags"
    EXPORT_DEIDENTIFIED = "export_deidentified"
    EXPORT_IDENTIFIED = "export_identified"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    MANAGE_BACKUPS = "manage_backups"  # back up (a copy of everything) and restore (replace everything)


ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    "staff": frozenset({Action.VIEW_PATIENTS, Action.ENTER_DATA}),
    "clinician": frozenset({Action.VIEW_PATIENTS, Action.ENTER_DATA, Action.REVIEW_FLAGS, Action.EXPORT_DEIDENTIFIED}),
    "admin": frozenset(Action),
}


class NotAllowed(PermissionError):
    """The user's role does not allow the action."""


def can(role: str | None, action: Action) -> bool:
    return action in ROLE_ACTIONS.get(role or "", frozenset())


def require(role: str | None, action: Action) -> None:
    if not can(role, action):
        raise NotAllowed(f"the {role or 'anonymous'} role may not {action.value.replace('_', ' ')}")
