"""What a form tells the person: each refused value beside its field and in a summary, saves as a toast."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

import streamlit as st

from dashboard.formatting import plain, score
from data_model import odi
from data_model.validation import FieldError

# Clinic words for every field a form or a command can name; a field missing here is never shown by name.
LABELS = {
    "mrn": "MRN",
    "display_name": "Name",
    "birth_year": "Birth year",
    "sex": "Sex",
    "visit_date": "Visit date",
    "back_pain": "Back pain",
    "leg_pain": "Leg pain",
    "odi": "ODI",
    "numbness": "Numbness",
    "tingling": "Tingling",
    "weakness": "Weakness",
    "mme_per_day": "Opioid MME/day",
    "notes": "Notes",
    "surgery_date": "Surgery date",
    "diagnosed_on": "Date diagnosed",
    "procedure": "Procedure",
    "spinal_levels": "Levels",
    "surgeon": "Surgeon",
    "treatment": "Treatment",
    "start_date": "Start date",
    "end_date": "End date",
    "reason": "Reason for voiding",
    "note": "Review note",
    "recheck_on": "Re-check date",
    "review": "Review",
    "visit": "Visit",
    "patient": "Patient",
    "username": "User name",
    "password": "Password",
    "role": "Role",
    # the ODI's sections, as the visit form heads them: "ODI, walking"
    **{odi.column(key): f"ODI, {label.lower()}" for key, label in odi.SECTIONS},
}
SAVED = "fb_saved"  # the message of the last save, shown as a toast on the next run
_SHOWN_LENGTH = 40
_MESSAGE = "fbmsg"  # key prefix of every refusal message: the page hides them once a field changes
_numbers = itertools.count()
# A refusal is about what was typed when Save was pressed: once the person types into that form again,
# its messages would speak of values no longer there. Streamlit reruns a form only on submit, so the
# browser hides them: a style rule per message key (never a change to elements Streamlit draws), and a
# message drawn after the next save has a new key and shows.
_HIDE_WHEN_EDITED = """<script>
(() => {
  if (window.__painTrailStaleMessages) return;
  window.__painTrailStaleMessages = true;
  const style = document.createElement("style");
  document.head.appendChild(style);
  const hide = (event) => {
    const form = event.target.closest && event.target.closest('[data-testid="stForm"]');
    if (!form) return;
    form.querySelectorAll('[class*="st-key-%s-"]').forEach((element) => {
      const key = [...element.classList].find((name) => name.startsWith("st-key-%s-"));
      if (key) style.sheet.insertRule("." + key + " { display: none !important; }");
    });
  };
  document.addEventListener("input", hide, true);
})();
</script>""" % (_MESSAGE, _MESSAGE)  # noqa: UP031 - the script's own braces would need doubling in an f-string
# Shown as their code point: an invisible or direction-changing character would hide or reorder the message.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def typed(value: Any) -> str:
    """What the person typed, as text to quote back: never a Python repr, cut short, invisibles made visible."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    text = score(value) if isinstance(value, float) else str(value)
    text = _INVISIBLE.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


def sentence(error: FieldError, with_label: bool = True, labels: dict[str, str] = LABELS) -> str:
    """'Back pain: “11” must be between 0 and 10.' as plain text (no markup)."""
    label = labels.get(error.field)
    value = typed(error.value)
    said = f"“{value}” {error.message}" if value else error.message
    if label is None or not with_label:
        return said[:1].upper() + said[1:] + "."
    return f"{label}: {said}." if value else f"{label} {said}."


def summary(errors: Iterable[FieldError], labels: dict[str, str] = LABELS) -> str:
    return "Nothing was saved. " + " ".join(sentence(e, labels=labels) for e in errors)


class FormFeedback:
    """One form's places for messages: a slot under each field, and a summary under its save button."""

    def __init__(self, labels: dict[str, str] = LABELS) -> None:
        self._labels = labels  # the clinic's words for this form's fields (the settings form has its own)
        self._slots: dict[str, Any] = {}
        self._summary: Any = None

    def field(self, where: Any, name: str) -> None:
        """Reserve the place under the widget just drawn in `where` for the field's message."""
        self._slots[name] = where.empty()

    def text(self, where: Any, name: str, label: str, key: str, value: str = "", **options: Any) -> str:
        """A text input whose value the app judges (no widget limit swallows what is typed), with its slot."""
        entered = where.text_input(label, value=value, key=key, **options)
        self.field(where, name)
        return entered

    def summary_here(self) -> None:
        """Call right under the save button: the summary shows where the person just pressed it."""
        self._summary = st.empty()

    def refuse(self, errors: list[FieldError]) -> None:
        """Nothing was saved: say why beside each field, under the button, and in a toast (always in view)."""
        for error in errors:
            slot = self._slots.get(error.field)
            if slot is not None:  # small and red under the field, so the form keeps its shape
                _message(slot).caption(f":red[:material/error: {plain(sentence(error, False, self._labels))}]")
        self.refuse_all(summary(errors, self._labels))

    def refuse_all(self, message: str) -> None:
        """The summary under the save button, and the toast; a refusal about no field is only these."""
        if self._summary is not None:
            _message(self._summary).error(plain(message))
        st.toast(plain(message), icon=":material/error:", duration="long")
        st.html(_HIDE_WHEN_EDITED, unsafe_allow_javascript=True)


def _message(slot: Any) -> Any:
    """A container for one refusal message, keyed so the page can hide it once the form is edited."""
    return slot.container(key=f"{_MESSAGE}-{next(_numbers)}")


def saved(message: str) -> None:
    """Remember a save's message for the next run (the form is rerun empty), where show_saved toasts it."""
    st.session_state[SAVED] = message


def show_saved() -> None:
    message = st.session_state.pop(SAVED, None)
    if message:
        st.toast(plain(message), icon=":material/check_circle:", duration="long")
