"""FHIR MedicationRequest / MedicationStatement to treatment rows: opioids (with MME/day), NSAIDs, others."""

from __future__ import annotations

from datetime import date
from typing import Any

from ...catalog import MME_TABLE_NAME, TREATMENTS
from ...validation import MAX_MME_PER_DAY
from . import codes as C
from .mapping import TreatmentPlan, check_status, check_valid, checked_day, treatment_plan
from .mme import is_anaesthetic_or_parenteral, opioid_dose, opioid_ingredient
from .read import Skipped, code_in, codings, concept_text, first_day, notes_of, source_key, subject_reference

MEDICATION_TYPES = ("MedicationRequest", "MedicationStatement")


def _medication_concept(resource: dict[str, Any], medications: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if isinstance(resource.get("medicationCodeableConcept"), dict):
        return resource["medicationCodeableConcept"]
    reference = (resource.get("medicationReference") or {}).get("reference")
    medication = medications.get(reference or "")
    if medication is None and isinstance(reference, str) and reference.startswith("#"):
        medication = next((m for m in resource.get("contained") or [] if m.get("id") == reference[1:]), None)
    return (medication or {}).get("code") or {}


def _own_mme(resource: dict[str, Any]) -> tuple[float | None, str | None]:
    for extension in resource.get("extension") or []:
        if extension.get("url") == C.PT_MME_EXTENSION:
            parts = {e.get("url"): e for e in extension.get("extension") or []}
            value = (parts.get("value") or {}).get("valueDecimal")
            source = (parts.get("source") or {}).get("valueString")
            if isinstance(value, int | float) and 0 <= value <= MAX_MME_PER_DAY:
                return float(value), source
    return None, None


def map_medication(
    entry: dict[str, Any], resource: dict[str, Any], today: date, medications: dict[str, dict[str, Any]]
) -> TreatmentPlan:
    kind = resource["resourceType"]
    concept = _medication_concept(resource, medications)
    display = concept_text(concept)
    words = " ".join([display, *(str(c.get("display", "")) for c in codings(concept))])
    local = [c for c in code_in(concept, C.PT_TREATMENT) if c in TREATMENTS]
    ingredient = None if local else opioid_ingredient(words)
    if local:
        code = local[0]
    elif ingredient:
        why_not = is_anaesthetic_or_parenteral(words, ingredient)
        if why_not:
            raise Skipped(f"{kind}: {why_not}")
        code = "opioid"
    else:
        named = next((c for c, pattern in C.MEDICATION_WORDS if pattern.search(words)), None)
        if named is None:
            raise Skipped(f"{kind}: not a pain medication in the catalogue")
        code = named
    check_valid(resource)
    check_status(resource)
    if resource.get("intent") in ("proposal", "plan"):
        raise Skipped(f"{kind}: intent {resource['intent']} (not a prescription)")
    subject = subject_reference(resource)
    if kind == "MedicationRequest":
        start, raw = first_day(resource, "authoredOn")
        end, _ = first_day(resource, "dispenseRequest.validityPeriod.end")
    else:
        start, raw = first_day(resource, "effectiveDateTime", "effectivePeriod.start", "dateAsserted")
        end, _ = first_day(resource, "effectivePeriod.end")
    start = checked_day(kind, start, raw, today, "start date")
    notes, facts = [notes_of(resource)], []
    mme, mme_source = _own_mme(resource)
    if ingredient and mme is None:
        dose = opioid_dose(words, ingredient, resource.get("dosageInstruction") or resource.get("dosage") or [])
        mme, mme_source = dose.mme_per_day, dose.mme_source
        if dose.why_unknown:
            notes.append(f"MME/day unknown: {dose.why_unknown}.")
            facts.append(f"Opioid imported with MME/day unknown: {dose.why_unknown}")
        else:
            facts.append(f"Opioid imported with MME/day computed ({MME_TABLE_NAME})")
    if end is None and resource.get("status") in ("stopped", "completed"):
        notes.append(f"FHIR status {resource['status']}, no end date given.")
        facts.append("Treatment stopped/completed without an end date (end left empty)")
    drug = display if not local or display != TREATMENTS[code].label else None
    joined = "\n".join(n for n in notes if n) or None
    return treatment_plan(
        kind,
        subject,
        source_key(entry, resource),
        code,
        start,
        end,
        drug or None,
        mme,
        mme_source,
        joined,
        tuple(facts),
        today,
    )
