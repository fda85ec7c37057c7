"""FHIR resources to PainTrail rows (no database here): each mapper returns a planned row or raises Skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, overload

from ... import fbss
from ...catalog import INSTRUMENT_SCALE_TO_NRS, PROCEDURES, TREATMENTS
from ...validation import MAX_MME_PER_DAY, Fields, check_patient, check_surgery, check_treatment, clinical_levels
from . import codes as C
from .read import (
    BundleRejected,
    Skipped,
    code_in,
    codings,
    concept_text,
    first_day,
    invalid_reason,
    notes_of,
    reference_forms,
    source_key,
    subject_reference,
)

_TRAILING_DIGITS = re.compile(r"\d+$")
_UNUSABLE_STATUS = {"entered-in-error", "cancelled", "draft", "not-taken", "refuted"}


@dataclass
class PatientPlan:
    key: str
    forms: set[str]
    mrn: str
    display_name: str | None
    birth_year: int | None
    sex: str


@dataclass
class Measure:
    """One observation value, on its way into the visit of that patient and day."""

    subject: str
    day: date
    field: str
    value: float | bool
    instrument: str | None
    source_ref: str
    note: str | None = None
    mme_source: str | None = None
    kind: str = "Observation"  # the resource type it came from (a QuestionnaireResponse gives several)


@dataclass
class SurgeryPlan:
    subject: str
    source_ref: str
    surgery_date: date
    procedure: str
    spinal_levels: str | None
    surgeon: str | None
    notes: str | None
    source_code: str | None


@dataclass
class TreatmentPlan:
    kind: str  # the resource type it came from
    subject: str
    source_ref: str
    code: str
    start_date: date
    end_date: date | None
    drug: str | None
    mme_per_day: float | None
    mme_source: str | None
    notes: str | None
    note_counts: tuple[str, ...] = ()  # facts for the report (e.g. why MME/day is unknown)


@dataclass
class ConditionPlan:
    subject: str
    source_ref: str
    code_system: str
    code: str
    display: str
    onset_date: date | None


@overload
def fit_text(text: str, limit: int) -> str: ...
@overload
def fit_text(text: None, limit: int) -> None: ...
@overload
def fit_text(text: str | None, limit: int) -> str | None: ...


def fit_text(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_valid(resource: dict[str, Any]) -> None:
    problem = invalid_reason(resource)
    if problem is not None:
        raise Skipped(f"{resource['resourceType']}: not valid FHIR R4", problem, error=True)


def check_status(resource: dict[str, Any]) -> None:
    status = resource.get("status")
    verification = [c.get("code") for c in codings(resource.get("verificationStatus"))]
    for value in [status, *verification]:
        if value in _UNUSABLE_STATUS:
            raise Skipped(f"{resource['resourceType']}: status {value}")


def checked_day(kind: str, day: date | None, raw: str | None, today: date, what: str = "date") -> date:
    if raw is None:
        raise Skipped(f"{kind}: no {what}", error=True)
    if day is None:
        raise Skipped(f"{kind}: {what} is not a full day", raw, error=True)
    fields = Fields({"day": day}, today)
    if fields.date("day") is None:
        raise Skipped(f"{kind}: {what} {fields.errors[0].message}", raw, error=True)
    return day


# --- Patient -------------------------------------------------------------------------------------


def _mrn(resource: dict[str, Any]) -> str | None:
    identifiers = [i for i in resource.get("identifier") or [] if isinstance(i, dict) and i.get("value")]
    for test in (
        lambda i: any(c.get("code") == "MR" for c in codings(i.get("type"))),  # v2-0203 MR, any system
        lambda i: concept_text(i.get("type")).lower() == "medical record number",
        lambda i: i.get("system") in (C.PT_MRN, C.PT_PSEUDONYM),
        lambda i: i.get("system") == C.SYNTHEA_IDENTIFIER,
    ):
        for identifier in identifiers:
            if test(identifier):
                return str(identifier["value"]).strip()
    return resource.get("id")


def _display_name(resource: dict[str, Any]) -> str | None:
    names = [n for n in resource.get("name") or [] if isinstance(n, dict)]
    if not names:
        return None
    name = next((n for n in names if n.get("use") == "official"), names[0])
    if isinstance(name.get("text"), str) and name["text"].strip():
        return name["text"].strip()
    # Synthea appends digits to every name part (Abdul218): they are generator noise, not names.
    parts = [*(name.get("given") or []), name.get("family") or ""]
    cleaned = [_TRAILING_DIGITS.sub("", str(p)).strip() for p in parts]
    return " ".join(p for p in cleaned if p) or None


def map_patient(entry: dict[str, Any], resource: dict[str, Any], today: date) -> PatientPlan:
    problem = invalid_reason(resource)
    if problem is not None:
        raise BundleRejected(f"Patient is not valid FHIR R4 ({problem})")
    birth = resource.get("birthDate")
    raw = {
        "mrn": _mrn(resource),
        "display_name": fit_text(_display_name(resource), 200),
        # the year as written: validation refuses digits other than 0-9 ("１９７０") instead of reading them
        "birth_year": birth[:4] if isinstance(birth, str) and birth[:4].strip() else None,
        "sex": resource.get("gender") or "unknown",
    }
    patient, errors = check_patient(raw, today)
    if patient is None:
        raise BundleRejected("Patient " + "; ".join(str(e) for e in errors))
    return PatientPlan(
        source_key(entry, resource),
        reference_forms(entry, resource),
        patient.mrn,
        patient.display_name,
        patient.birth_year,
        patient.sex,
    )


# --- Observation ---------------------------------------------------------------------------------


def _measure_kind(resource: dict[str, Any]) -> tuple[str, str | None, float] | None:
    """(field or 'pain', instrument, raw maximum) for a code we read, else None."""
    loinc = code_in(resource.get("code"), C.LOINC)
    for code in loinc:
        if code in C.PAIN_INSTRUMENTS:
            instrument, top = C.PAIN_INSTRUMENTS[code]
            return "pain", instrument, top
    if C.ODI_LOINC in loinc:
        return "odi", None, 100.0
    for code in code_in(resource.get("code"), C.PT_MEASURE):
        if code in C.LOCAL_MEASURES:
            return code, None, 100.0 if code == "odi" else MAX_MME_PER_DAY
    return None


def _pain_field(resource: dict[str, Any]) -> str:
    site = resource.get("bodySite")
    if not site:
        return "pain_unspecified"
    snomed = set(code_in(site, C.SNOMED))
    text = " ".join([concept_text(site), *(str(c.get("display", "")) for c in codings(site))])
    if snomed & set(C.BACK_SITES) or (not snomed & set(C.LEG_SITES) and C.BACK_SITE_WORDS.search(text)):
        return "back_pain"
    if snomed & set(C.LEG_SITES) or C.LEG_SITE_WORDS.search(text):
        return "leg_pain"
    raise Skipped("Observation: pain at a body site other than back or leg", concept_text(site) or None)


def _value(resource: dict[str, Any]) -> tuple[Any, str | None]:
    quantity = resource.get("valueQuantity")
    if isinstance(quantity, dict) and "value" in quantity:
        return quantity["value"], (quantity.get("code") or quantity.get("unit"))
    for name in ("valueInteger", "valueBoolean"):
        if name in resource:
            return resource[name], None
    if resource.get("dataAbsentReason"):
        raise Skipped("Observation: no value (dataAbsentReason given)")
    raise Skipped("Observation: no numeric value", error=True)


def map_observation(entry: dict[str, Any], resource: dict[str, Any], today: date) -> Measure:
    kind = _measure_kind(resource)
    if kind is None:
        raise Skipped("Observation: not a pain, function or symptom measure PainTrail reads")
    check_valid(resource)
    check_status(resource)
    subject = subject_reference(resource)
    day, raw_day = first_day(resource, "effectiveDateTime", "effectivePeriod.start", "issued")
    day = checked_day("Observation", day, raw_day, today)
    field, instrument, top = kind
    value, unit = _value(resource)
    if field in ("numbness", "tingling", "weakness"):
        flag = Fields({field: value}).flag01(field)
        if flag is None:
            raise Skipped("Observation: a symptom must be true/false or 0/1", repr(value), error=True)
        return Measure(subject, day, field, flag, None, source_key(entry, resource), notes_of(resource))
    scale = 1.0
    if field == "pain":
        field = _pain_field(resource)
        if instrument == "VAS" and str(unit or "").lower() == "cm":
            top = 10.0  # a 0-10 cm line: already on the NRS scale
        else:
            assert instrument is not None  # every pain code names its instrument (_measure_kind)
            scale = INSTRUMENT_SCALE_TO_NRS[instrument]
    number = Fields({field: value}).number(field, 0, top)
    if number is None:
        raise Skipped(f"Observation: value outside 0-{top:g} or not a number (data error)", repr(value), error=True)
    stored = number if scale == 1.0 else round(number * scale, 6)
    method = concept_text(resource.get("method")) or None
    return Measure(
        subject,
        day,
        field,
        stored,
        instrument,
        source_key(entry, resource),
        notes_of(resource),
        (method or "FHIR Observation") if field == "mme_per_day" else None,
    )


# --- Procedure -----------------------------------------------------------------------------------


def _procedure_class(resource: dict[str, Any]) -> tuple[str, str]:
    """('surgery', procedure type) or ('treatment', catalogue code); Skipped when neither."""
    concept = resource.get("code")
    for code in code_in(concept, C.PT_PROCEDURE):
        if code in PROCEDURES:
            return "surgery", code
    for code in code_in(concept, C.PT_TREATMENT):
        if code in TREATMENTS:
            return "treatment", code
    snomed = code_in(concept, C.SNOMED)
    for code in snomed:
        if code in C.SPINE_SURGERY_SNOMED:
            return "surgery", C.SPINE_SURGERY_SNOMED[code][0]
    words = " ".join([concept_text(concept), *(str(c.get("display", "")) for c in codings(concept))])
    for procedure, pattern in C.SPINE_SURGERY_WORDS:
        if pattern.search(words):
            return "surgery", procedure
    for treatment, pattern in C.TREATMENT_PROCEDURE_WORDS:
        if pattern.search(words):
            return "treatment", treatment
    if any(code in C.KNOWN_NON_SURGICAL_SNOMED for code in snomed):
        raise Skipped("Procedure: not a surgery")
    if any(code in C.KNOWN_SURGICAL_SNOMED for code in snomed):
        return "surgery", "other"
    if any(C.SURGICAL_CATEGORY in code_in(c, C.SNOMED) for c in _list(resource.get("category"))):
        return "surgery", "other"
    if C.SURGICAL_WORDS.search(words) and not C.NON_SURGICAL_WORDS.search(words):
        return "surgery", "other"
    raise Skipped("Procedure: not a surgery")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value else []


def map_procedure(entry: dict[str, Any], resource: dict[str, Any], today: date) -> SurgeryPlan | TreatmentPlan:
    kind, code = _procedure_class(resource)
    check_valid(resource)
    status = resource.get("status")
    if status != "completed" and not (kind == "treatment" and status == "in-progress"):
        raise Skipped(f"Procedure: status {status} (not a completed procedure)")
    subject = subject_reference(resource)
    start, raw_start = first_day(resource, "performedDateTime", "performedPeriod.start")
    start = checked_day("Procedure", start, raw_start, today)
    ref, notes, text = source_key(entry, resource), notes_of(resource), concept_text(resource.get("code"))
    if kind == "treatment":
        end, _ = first_day(resource, "performedPeriod.end")
        return treatment_plan("Procedure", subject, ref, code, start, end, None, None, None, notes, (), today)
    # The first body site written as spinal levels ("L4-L5"); anything else ("Lumbar spine structure") is
    # no level, and is left out rather than refusing the surgery.
    levels = next(
        (lv for lv in (clinical_levels(concept_text(s)) for s in _list(resource.get("bodySite"))) if lv), None
    )
    surgeon = next(
        (
            p.get("actor", {}).get("display")
            for p in _list(resource.get("performer"))
            if isinstance(p, dict) and isinstance(p.get("actor"), dict) and p["actor"].get("display")
        ),
        None,
    )
    raw = {
        "surgery_date": start,
        "procedure": code,
        "spinal_levels": fit_text(levels, 64),
        "surgeon": fit_text(surgeon, 120),
        "notes": notes,
    }
    surgery, errors = check_surgery(raw, today)
    if surgery is None:
        raise Skipped("Procedure: " + errors[0].message, str(errors[0]), error=True)
    # What the source called it is kept for `other` only: the type says it all for a spine surgery.
    source_code = fit_text(text, 200) if code == "other" and text != PROCEDURES["other"].label else None
    return SurgeryPlan(
        subject,
        ref,
        surgery.surgery_date,
        surgery.procedure,
        surgery.spinal_levels,
        surgery.surgeon,
        surgery.notes,
        source_code,
    )


def treatment_plan(
    kind: str,
    subject: str,
    ref: str,
    code: str,
    start: date,
    end: date | None,
    drug: str | None,
    mme: float | None,
    mme_source: str | None,
    notes: str | None,
    facts: tuple[str, ...],
    today: date,
) -> TreatmentPlan:
    if end is not None and end < start:
        facts, end = (*facts, "Treatment: end date before the start date ignored"), None
    if end is not None and end > today:
        end = None  # a prescription valid until a future day: the treatment has not ended yet
    record, errors = check_treatment({"treatment": code, "start_date": start, "end_date": end, "notes": notes}, today)
    if record is None:
        raise Skipped(f"{kind}: " + errors[0].message, str(errors[0]), error=True)
    return TreatmentPlan(
        kind,
        subject,
        ref,
        record.code,
        record.start_date,
        record.end_date,
        fit_text(drug, 200),
        mme,
        mme_source,
        record.notes,
        facts,
    )


# --- Condition -----------------------------------------------------------------------------------


def _condition_coding(concept: dict[str, Any]) -> tuple[str, str, str] | None:
    for coding in codings(concept):
        system, code = coding.get("system"), str(coding.get("code") or "")
        if system == C.SNOMED and code in C.SNOMED_CONDITIONS:
            return system, code, coding.get("display") or C.SNOMED_CONDITIONS[code]
        compact = code.replace(".", "").upper()
        if system == C.ICD11 and fbss.is_fbss(
            system, code, " ".join([concept_text(concept), coding.get("display") or ""])
        ):
            return system, code, coding.get("display") or fbss.DISPLAY
        if system in (C.ICD10CM, C.ICD10) and any(compact.startswith(p) for p in C.ICD10_CONDITION_PREFIXES):
            prefix = next(p for p in C.ICD10_CONDITION_PREFIXES if compact.startswith(p))
            return system, code, coding.get("display") or C.ICD10_CONDITION_PREFIXES[prefix]
    text = " ".join([concept_text(concept), *(str(c.get("display", "")) for c in codings(concept))])
    if C.CONDITION_WORDS.search(text):
        first = next((c for c in codings(concept) if c.get("code")), None)
        if first is not None:
            return str(first.get("system") or "unknown"), str(first["code"]), first.get("display") or text
    return None


def map_condition(entry: dict[str, Any], resource: dict[str, Any], today: date) -> ConditionPlan:
    found = _condition_coding(resource.get("code") or {})
    if found is None:
        raise Skipped("Condition: not a pain or spine diagnosis PainTrail follows")
    check_valid(resource)
    check_status(resource)
    subject = subject_reference(resource)
    onset, raw = first_day(resource, "onsetDateTime", "onsetPeriod.start", "recordedDate")
    if raw is not None:
        onset = checked_day("Condition", onset, raw, today, "onset date")
    system, code, display = found
    return ConditionPlan(
        subject,
        source_key(entry, resource),
        fit_text(system, 64),
        fit_text(code, 32),
        fit_text(concept_text(resource.get("code")) or display, 200),
        onset,
    )
