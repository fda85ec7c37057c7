"""A patient's self-report: what the tablet asks, in the patient's words, and the visit it becomes.

The pain medicines taken now go into the visit's note, in the catalogue's names (what staff read), not
in the treatments: a treatment needs the day it started, which a patient asked "what do you take now"
does not give, and the treatment-response figures hang on that day. Staff read the note on the visit
and record a treatment from the catalogue, with its dates, when it is new to them.

Pure: no database, no Streamlit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import odi
from .catalog import TREATMENTS
from .validation import FieldError, ValidationFailed

PAIN_ANCHORS = {0: "no pain", 10: "worst pain imaginable"}

# The catalogue's medicines in words a patient knows (a medicine added to the catalogue shows by its name).
_PATIENT_WORDS = {
    "nsaid": "Anti-inflammatory painkillers (ibuprofen, naproxen, diclofenac)",
    "neuropathic_agent": "Gabapentin or pregabalin",
    "muscle_relaxant": "A muscle relaxant",
    "antidepressant": "An antidepressant taken for pain (amitriptyline, duloxetine)",
    "opioid": "An opioid (codeine, tramadol, oxycodone, morphine)",
}
MEDICINES: dict[str, str] = {
    code: _PATIENT_WORDS.get(code, treatment.label)
    for code, treatment in TREATMENTS.items()
    if treatment.group == "medication"
}
NO_MEDICINE = "none"
NO_MEDICINE_WORDS = "I take no pain medicine"
MAX_OTHER_MEDICINES = 300  # characters of "other medicines" a patient may type
NOTE_LEAD = "Pain medicines now (patient's report)"


@dataclass(frozen=True)
class Answers:
    """What the patient gave; None is a question left unanswered."""

    back_pain: int | None = None
    leg_pain: int | None = None
    odi_items: Mapping[str, int | None] = field(default_factory=dict)  # by section key, 0–5
    numbness: bool | None = None
    tingling: bool | None = None
    weakness: bool | None = None
    medicines: tuple[str, ...] = ()  # codes of MEDICINES, or NO_MEDICINE
    other_medicines: str = ""


def medicines_note(medicines: tuple[str, ...], other: str) -> str | None:
    """The note staff read on the visit: "Pain medicines now (patient's report): NSAIDs; Opioid; other:
    paracetamol", "…: none", or None when the patient did not answer."""
    other = " ".join(other.split())  # one line, as typed otherwise
    if NO_MEDICINE in medicines:
        return f"{NOTE_LEAD}: none"
    named = [TREATMENTS[code].label for code in MEDICINES if code in medicines]
    if other:
        named.append(f"other: {other}")
    return f"{NOTE_LEAD}: {'; '.join(named)}" if named else None


def _check(answers: Answers) -> None:
    errors = []
    unknown = [m for m in answers.medicines if m not in MEDICINES and m != NO_MEDICINE]
    if unknown:
        errors.append(FieldError("medicines", ", ".join(unknown), "is not a medicine of the list"))
    other = answers.other_medicines.strip()
    if NO_MEDICINE in answers.medicines and (other or len(answers.medicines) > 1):
        errors.append(FieldError("medicines", NO_MEDICINE_WORDS, "was chosen with medicines: choose one or the other"))
    if len(other) > MAX_OTHER_MEDICINES:
        errors.append(
            FieldError("other medicines", other[:40] + "…", f"is longer than {MAX_OTHER_MEDICINES} characters")
        )
    answered = [
        answers.back_pain,
        answers.leg_pain,
        answers.numbness,
        answers.tingling,
        answers.weakness,
        *answers.odi_items.values(),
    ]
    if all(value is None for value in answered) and not answers.medicines and not other:
        errors.append(FieldError("questionnaire", "", "has no answer: answer at least one question"))
    if errors:
        raise ValidationFailed(errors)


def visit_values(answers: Answers, visit_date: date) -> dict[str, Any]:
    """The visit the answers make (commands.add_visit's raw values; the ODI total is computed there from
    the sections). Raises ValidationFailed for answers that cannot go together, or none at all."""
    _check(answers)
    return {
        "visit_date": visit_date,
        "back_pain": answers.back_pain,
        "leg_pain": answers.leg_pain,
        "numbness": answers.numbness,
        "tingling": answers.tingling,
        "weakness": answers.weakness,
        "notes": medicines_note(answers.medicines, answers.other_medicines),
        **{odi.column(key): answers.odi_items.get(key) for key in odi.KEYS},
    }
