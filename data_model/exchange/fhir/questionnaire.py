"""PainTrail's forms as FHIR R4 Questionnaires, and a visit's answers as a QuestionnaireResponse.

Two forms, each a Questionnaire with a canonical URL (its items' linkIds are data_model.odi's section keys
and the visit's own field names, so they never change):
- the ODI (ODI_URL): the ten sections, each an integer 0–5, and the total (0–100, read-only: computed);
  exported for a visit whose ODI was given by section (staff copying a paper form);
- the patient's self-report (SELF_REPORT_URL): back and leg pain (0–10), the ODI's sections as a group,
  numbness, tingling and weakness; exported for a visit whose source is "patient", the response's
  `source` then being the patient.
The items carry the section names only: the statements of the ODI are licensed wording (data_model/odi.py).
The same values also go out as Observations (export.py), so a reader of either finds them; the import
reads both and merges them into the one visit of that day (write.py).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from ... import odi
from ...models import Visit
from ...validation import Fields
from . import codes as C
from .mapping import Measure, check_valid, checked_day
from .read import Skipped, first_day, source_key, subject_reference

ODI_URL = f"{C.PT_QUESTIONNAIRE}/odi"
SELF_REPORT_URL = f"{C.PT_QUESTIONNAIRE}/self-report"
VERSION = "1"
TOTAL = "odi_total"  # the ODI total's linkId
ODI_GROUP = "odi"  # the self-report's group of ODI sections
PAIN = {"back_pain": "Back pain (0–10)", "leg_pain": "Leg pain (0–10)"}
SYMPTOMS = {"numbness": "Numbness", "tingling": "Tingling", "weakness": "Weakness"}
# The questionnaires PainTrail reads back, by canonical URL (a "|version" suffix is ignored)
READ_URLS = (ODI_URL, SELF_REPORT_URL)
_NAMESPACE = uuid.UUID("0b8e4c1a-2f6d-4b77-9c3e-5d1a7f2e8b40")


def questionnaire_id(url: str) -> str:
    """The same id for a form in every export (one Questionnaire per form, whoever answered it)."""
    return str(uuid.uuid5(_NAMESPACE, url))


def _range(low: int, high: int) -> list[dict[str, Any]]:
    return [
        {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": low},
        {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": high},
    ]


def _odi_items() -> list[dict[str, Any]]:
    sections = [
        {
            "linkId": key,
            "text": label,
            "type": "integer",
            "extension": _range(odi.LOWEST, odi.HIGHEST),
        }
        for key, label in odi.SECTIONS
    ]
    total = {
        "linkId": TOTAL,
        "text": "ODI total (0–100): the sum over the answered sections ÷ (5 × sections answered) × 100",
        "type": "decimal",
        "readOnly": True,
        "code": [{"system": C.LOINC, "code": C.ODI_LOINC, "display": C.LOINC_DISPLAY[C.ODI_LOINC]}],
    }
    return [*sections, total]


def odi_questionnaire() -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(ODI_URL),
        "url": ODI_URL,
        "version": VERSION,
        "name": "PainTrailODI",
        "title": "Oswestry Disability Index (ODI), section scores",
        "status": "active",
        "subjectType": ["Patient"],
        "code": [{"system": C.LOINC, "code": C.ODI_LOINC, "display": C.LOINC_DISPLAY[C.ODI_LOINC]}],
        "item": _odi_items(),
    }


def self_report_questionnaire() -> dict[str, Any]:
    pain = [
        {"linkId": name, "text": text, "type": "decimal", "extension": _range(0, 10)} for name, text in PAIN.items()
    ]
    symptoms = [{"linkId": name, "text": text, "type": "boolean"} for name, text in SYMPTOMS.items()]
    return {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(SELF_REPORT_URL),
        "url": SELF_REPORT_URL,
        "version": VERSION,
        "name": "PainTrailSelfReport",
        "title": "Pain and function after spine surgery: the patient's own report",
        "status": "active",
        "subjectType": ["Patient"],
        "item": [
            *pain,
            {"linkId": ODI_GROUP, "text": "Oswestry Disability Index (ODI)", "type": "group", "item": _odi_items()},
            *symptoms,
        ],
    }


QUESTIONNAIRES = {ODI_URL: odi_questionnaire, SELF_REPORT_URL: self_report_questionnaire}


def form_of(visit: Visit) -> str | None:
    """The form a visit's answers go out as: the self-report for a patient's own, the ODI for sections
    copied by staff, none for a visit without either."""
    if visit.source == "patient":
        return SELF_REPORT_URL
    if any(getattr(visit, column) is not None for column in odi.COLUMNS):
        return ODI_URL
    return None


def _answer(link_id: str, text: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link_id, "text": text, "answer": [value]}


def _odi_answers(visit: Visit) -> list[dict[str, Any]]:
    items = [
        _answer(key, label, {"valueInteger": int(score)})
        for key, label in odi.SECTIONS
        if (score := getattr(visit, odi.column(key))) is not None
    ]
    if visit.odi is not None and items:
        items.append(_answer(TOTAL, "ODI total (0–100)", {"valueDecimal": visit.odi}))
    return items


def response(
    visit: Visit, url: str, response_id: str, subject: dict[str, str], authored: str | None
) -> dict[str, Any] | None:
    """The visit's answers to one form as a QuestionnaireResponse (a plain dict), None when it answered
    nothing of it; unanswered items are left out, as FHIR asks."""
    if url == ODI_URL:
        items = _odi_answers(visit)
    else:
        items = [
            _answer(name, text, {"valueDecimal": value})
            for name, text in PAIN.items()
            if (value := getattr(visit, name)) is not None
        ]
        sections = _odi_answers(visit)
        if sections:
            items.append({"linkId": ODI_GROUP, "text": "Oswestry Disability Index (ODI)", "item": sections})
        items += [
            _answer(name, text, {"valueBoolean": bool(value)})
            for name, text in SYMPTOMS.items()
            if (value := getattr(visit, name)) is not None
        ]
    if not items:
        return None
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": f"{url}|{VERSION}",
        "status": "completed",
        "subject": subject,
        "authored": authored,
        "item": items,
    }
    if url == SELF_REPORT_URL:
        resource["source"] = subject  # answered by the patient
    return {k: v for k, v in resource.items() if v not in (None, [], "")}


# --- Import: a QuestionnaireResponse of either form to the measures of one visit --------------------

_USABLE_STATUS = ("completed", "amended")


def _items(items: Any) -> list[dict[str, Any]]:
    """Every answered item, groups opened (the self-report holds the ODI as a group)."""
    found: list[dict[str, Any]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        found += _items(item.get("item"))
        if item.get("answer"):
            found.append(item)
    return found


def _answer_value(item: dict[str, Any]) -> Any:
    answers = [a for a in item.get("answer") or [] if isinstance(a, dict)]
    if len(answers) != 1:
        raise Skipped("QuestionnaireResponse: an item has more than one answer", item.get("linkId"), error=True)
    for name in ("valueInteger", "valueDecimal", "valueBoolean"):
        if name in answers[0]:
            return answers[0][name]
    coding = answers[0].get("valueCoding")
    if isinstance(coding, dict) and coding.get("code") is not None:
        return coding["code"]
    raise Skipped("QuestionnaireResponse: an answer is not a number or yes/no", item.get("linkId"), error=True)


def map_questionnaire_response(entry: dict[str, Any], resource: dict[str, Any], today: date) -> list[Measure]:
    """The answers of a response to PainTrail's ODI or self-report as measures of the day it was authored;
    any other questionnaire is skipped. One bad answer (a section scored 6) skips the whole response."""
    url = str(resource.get("questionnaire") or "").split("|", 1)[0]
    if url not in READ_URLS:
        raise Skipped("QuestionnaireResponse: not a questionnaire PainTrail reads", url or None)
    check_valid(resource)
    if resource.get("status") not in _USABLE_STATUS:
        raise Skipped(f"QuestionnaireResponse: status {resource.get('status')}")
    subject = subject_reference(resource)
    day, raw_day = first_day(resource, "authored")
    day = checked_day("QuestionnaireResponse", day, raw_day, today, "date authored")
    ref = source_key(entry, resource)
    raw = {str(item.get("linkId")): _answer_value(item) for item in _items(resource.get("item"))}
    fields = Fields({})
    for link_id, value in raw.items():
        name = _field(link_id)
        if name is not None:
            fields.raw[name] = value
    values: dict[str, float | bool | None] = {}
    for key in odi.KEYS:
        values[odi.column(key)] = fields.integer(odi.column(key), odi.LOWEST, odi.HIGHEST)
    values["odi"] = fields.number("odi", 0, 100)
    for name in PAIN:
        values[name] = fields.number(name, 0, 10)
    for name in SYMPTOMS:
        values[name] = fields.flag01(name)
    if fields.errors:
        first = fields.errors[0]
        raise Skipped(f"QuestionnaireResponse: {_said(first.field)} {first.message}", repr(first.value), error=True)
    kept = {name: value for name, value in values.items() if value is not None}
    if not kept:
        raise Skipped("QuestionnaireResponse: no answer PainTrail reads")
    return [
        Measure(subject, day, name, value, "NRS" if name in PAIN else None, ref, kind="QuestionnaireResponse")
        for name, value in kept.items()
    ]


def _field(link_id: str) -> str | None:
    """The visit field an item's linkId answers, or None for one PainTrail does not read."""
    if link_id in odi.LABELS:
        return odi.column(link_id)
    if link_id == TOTAL:
        return "odi"
    if link_id in PAIN or link_id in SYMPTOMS:
        return link_id
    return None


def _said(name: str) -> str:
    """A visit field in the words of the form: 'ODI section Walking', 'ODI total', 'back pain'."""
    for key, label in odi.SECTIONS:
        if name == odi.column(key):
            return f"ODI section {label}"
    return "ODI total" if name == "odi" else name.replace("_", " ")
