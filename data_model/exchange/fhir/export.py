"""Export patients as a FHIR R4 Bundle: identified, or de-identified (pseudonym, no name or notes, dates shifted).

Resources: Patient; Procedure per surgery; Observation per measure (pain on LOINC 72514-3 or its
instrument's code with bodySite back/leg, ODI on LOINC 97909-6, nerve symptoms and MME/day on PainTrail's
measure code system); a QuestionnaireResponse beside them for a visit with ODI sections or a patient's
self-report, and the Questionnaire of each form answered (questionnaire.py); MedicationStatement per medication treatment and Procedure per other treatment,
coded in PainTrail's treatment code system; Condition per condition. data_model.exchange.fhir.bundle_import
reads all of it back (the round trip is tested).

De-identified: the MRN is replaced by pseudonym(mrn, site key), names, surgeons (Procedure.performer) and
free-text notes are left out, spinal levels are kept only in their clinical form ("L4-L5"), the birth
year is kept, and every date of a patient moves by the same per-patient offset (1 to 61 days earlier:
never unchanged, never after the export day).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...catalog import INSTRUMENT_SCALE_TO_NRS, PROCEDURES, TREATMENTS
from ...db import in_chunks
from ...models import Condition, Patient, Surgery, Treatment, Visit
from ...validation import clinical_levels
from ..pseudonyms import date_shift_days, pseudonym, shift, site_key
from . import codes as C
from . import questionnaire as Q

# Resource ids are uuid5 names under this namespace, so the same data exports under the same ids.
ID_NAMESPACE = uuid.UUID("5b0f2a4e-7c1d-4d8e-9a57-3f1e2c6b9d10")
BUNDLE_TYPES = ("collection", "transaction")


class _Context:
    """One patient's export settings: the id prefix and the date offset."""

    def __init__(self, patient: Patient, deidentify: bool, key: str | None):
        self.patient = patient
        self.deidentify = deidentify
        self.pseudonym = pseudonym(patient.mrn, key) if deidentify and key else None
        self.offset = date_shift_days(patient.mrn, key) if deidentify and key else 0
        self.prefix = f"pseudonym:{self.pseudonym}" if self.pseudonym else f"mrn:{patient.mrn}"
        self.patient_id = self.id("patient")

    def id(self, *parts: Any) -> str:
        return str(uuid.uuid5(ID_NAMESPACE, "/".join([self.prefix, *map(str, parts)])))

    def day(self, value: date | None) -> str | None:
        shifted = shift(value, self.offset)
        return shifted.isoformat() if shifted else None

    def subject(self) -> dict[str, str]:
        return {"reference": f"urn:uuid:{self.patient_id}"}

    def levels(self, text: str | None) -> str | None:
        """Spinal levels as stored; de-identified, only in their clinical form (free text can name anyone)."""
        return clinical_levels(text) if self.deidentify else text

    def note(self, text: str | None) -> list[dict[str, str]] | None:
        if not text or self.deidentify:
            return None
        return [{"text": text}]


def _clean(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop empty elements: FHIR forbids empty strings, arrays and objects."""
    return {k: v for k, v in resource.items() if v not in (None, "", [], {})}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    return _clean({"system": system, "code": code, "display": display})


def _patient(ctx: _Context) -> dict[str, Any]:
    p = ctx.patient
    identifier: dict[str, Any]
    if ctx.deidentify:
        identifier = {"system": C.PT_PSEUDONYM, "value": ctx.pseudonym}
    else:
        identifier = {
            "type": {"coding": [_coding(C.V2_0203, "MR", "Medical Record Number")]},
            "system": C.PT_MRN,
            "value": p.mrn,
        }
    return _clean(
        {
            "resourceType": "Patient",
            "id": ctx.patient_id,
            "identifier": [identifier],
            "name": [{"text": p.display_name}] if p.display_name and not ctx.deidentify else None,
            "gender": p.sex if p.sex in ("female", "male", "other", "unknown") else "unknown",
            "birthDate": f"{p.birth_year:04d}" if p.birth_year else None,
        }
    )


def _surgery(ctx: _Context, s: Surgery) -> dict[str, Any]:
    codings = [_coding(C.PT_PROCEDURE, s.procedure, PROCEDURES[s.procedure].label)]
    if s.procedure in C.EXPORT_SURGERY_SNOMED:
        codings.append(_coding(C.SNOMED, *C.EXPORT_SURGERY_SNOMED[s.procedure]))
    return _clean(
        {
            "resourceType": "Procedure",
            "id": ctx.id("surgery", s.id),
            "status": "completed",
            "category": {"coding": [_coding(C.SNOMED, C.SURGICAL_CATEGORY, "Surgical procedure")]},
            "code": {"coding": codings, "text": s.source_code or PROCEDURES[s.procedure].label},
            "subject": ctx.subject(),
            "performedDateTime": ctx.day(s.surgery_date),
            "bodySite": [{"text": levels}] if (levels := ctx.levels(s.spinal_levels)) else None,
            "performer": [{"actor": {"display": s.surgeon}}] if s.surgeon and not ctx.deidentify else None,
            "note": ctx.note(s.notes),
        }
    )


def _observation(
    ctx: _Context, v: Visit, name: str, code: dict[str, Any], value: dict[str, Any], note: str | None, **extra: Any
) -> dict[str, Any]:
    return _clean(
        {
            "resourceType": "Observation",
            "id": ctx.id("visit", v.id, name),
            "status": "final",
            "category": [{"coding": [_coding(C.OBSERVATION_CATEGORY, "survey", "Survey")]}],
            "code": code,
            "subject": ctx.subject(),
            "effectiveDateTime": ctx.day(v.visit_date),
            **value,
            "note": ctx.note(note),
            **extra,
        }
    )


def _visit(ctx: _Context, v: Visit) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    note = v.notes  # carried by the visit's first observation only

    def add(name: str, code: dict[str, Any], value: dict[str, Any], **extra: Any) -> None:
        nonlocal note
        out.append(_observation(ctx, v, name, code, value, note, **extra))
        note = None

    instrument = v.pain_instrument if v.pain_instrument in C.INSTRUMENT_LOINC else "NRS"
    loinc = C.INSTRUMENT_LOINC[instrument]
    scale = INSTRUMENT_SCALE_TO_NRS[instrument]
    for name in ("back_pain", "leg_pain", "pain_unspecified"):
        value = getattr(v, name)
        if value is None:
            continue
        raw = value if scale == 1.0 else round(value / scale, 6)
        site = C.EXPORT_SITE.get(name)
        add(
            name,
            {
                "coding": [_coding(C.LOINC, loinc, C.LOINC_DISPLAY[loinc])],
                "text": name.replace("_", " ").replace("unspecified", "severity").capitalize(),
            },
            {"valueQuantity": _quantity(raw, "mm" if instrument == "VAS" else "{score}")},
            bodySite={"coding": [_coding(C.SNOMED, *site)]} if site else None,
        )
    if v.odi is not None:
        add(
            "odi",
            {
                "coding": [
                    _coding(C.LOINC, C.ODI_LOINC, C.LOINC_DISPLAY[C.ODI_LOINC]),
                    _coding(C.PT_MEASURE, "odi", C.LOCAL_MEASURES["odi"]),
                ],
                "text": "ODI",
            },
            {"valueQuantity": _quantity(v.odi, "{score}")},
        )
    for name in ("numbness", "tingling", "weakness"):
        if getattr(v, name) is not None:
            add(
                name,
                {"coding": [_coding(C.PT_MEASURE, name, C.LOCAL_MEASURES[name])], "text": name.capitalize()},
                {"valueBoolean": bool(getattr(v, name))},
            )
    form = Q.form_of(v)
    if form is not None:
        answered = Q.response(v, form, ctx.id("visit", v.id, "questionnaire"), ctx.subject(), ctx.day(v.visit_date))
        if answered is not None:
            out.append(answered)
    if v.mme_per_day is not None:
        add(
            "mme_per_day",
            {"coding": [_coding(C.PT_MEASURE, "mme_per_day", C.LOCAL_MEASURES["mme_per_day"])], "text": "MME/day"},
            {"valueQuantity": {"value": v.mme_per_day, "unit": "MME/day"}},
            method={"text": v.mme_source} if v.mme_source else None,
        )
    return out


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": C.UCUM, "code": unit}


def _treatment(ctx: _Context, t: Treatment) -> dict[str, Any]:
    entry = TREATMENTS[t.code]
    concept = {"coding": [_coding(C.PT_TREATMENT, t.code, entry.label)], "text": t.drug or entry.label}
    period = _clean({"start": ctx.day(t.start_date), "end": ctx.day(t.end_date)})
    if entry.group == "medication":
        mme = None
        if t.mme_per_day is not None:
            mme = [
                {
                    "url": C.PT_MME_EXTENSION,
                    "extension": _clean_list(
                        [
                            {"url": "value", "valueDecimal": t.mme_per_day},
                            {"url": "source", "valueString": t.mme_source} if t.mme_source else None,
                        ]
                    ),
                }
            ]
        return _clean(
            {
                "resourceType": "MedicationStatement",
                "id": ctx.id("treatment", t.id),
                "extension": mme,
                "status": "completed" if t.end_date else "active",
                "medicationCodeableConcept": concept,
                "subject": ctx.subject(),
                "effectivePeriod": period,
                "note": ctx.note(t.notes),
            }
        )
    return _clean(
        {
            "resourceType": "Procedure",
            "id": ctx.id("treatment", t.id),
            "status": "completed" if t.end_date else "in-progress",
            "category": {"text": entry.group},
            "code": concept,
            "subject": ctx.subject(),
            "performedPeriod": period,
            "note": ctx.note(t.notes),
        }
    )


def _clean_list(items: Iterable[Any]) -> list[Any]:
    return [i for i in items if i]


def _condition(ctx: _Context, c: Condition) -> dict[str, Any]:
    system = c.code_system if "://" in c.code_system or c.code_system.startswith("urn:") else None
    return _clean(
        {
            "resourceType": "Condition",
            "id": ctx.id("condition", c.id),
            "code": {
                "coding": [_coding(system, c.code, c.display) if system else _clean({"code": c.code})],
                "text": c.display,
            },
            "subject": ctx.subject(),
            "onsetDateTime": ctx.day(c.onset_date),
        }
    )


def _rows_by_patient(session: Session, model: Any, patient_ids: list[int]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for chunk in in_chunks(patient_ids):
        stmt = select(model).where(model.patient_id.in_(chunk))
        if hasattr(model, "voided_at"):
            stmt = stmt.where(model.voided_at.is_(None))
        for row in session.scalars(stmt.order_by(model.patient_id, model.id)):
            grouped[row.patient_id].append(row)
    return grouped


def export_fhir(
    session: Session,
    patient_ids: Iterable[int] | None = None,
    deidentify: bool = False,
    *,
    key: str | None = None,
    bundle_type: str = "collection",
    now: datetime | None = None,
) -> dict[str, Any]:
    """A FHIR R4 Bundle (a plain dict) of the patients named, or of everyone; voided rows are left out.

    deidentify=True needs the site key: key, else pseudonyms.site_key(session) (which raises
    PseudonymKeyMissing when none is configured).
    """
    if bundle_type not in BUNDLE_TYPES:
        raise ValueError(f"bundle_type: {bundle_type!r} is not one of {', '.join(BUNDLE_TYPES)}")
    if deidentify and not key:
        key = site_key(session)
    if patient_ids is None:
        patients = list(session.scalars(select(Patient).order_by(Patient.id)))
    else:
        wanted = sorted(set(patient_ids))
        patients = []
        for chunk in in_chunks(wanted):
            patients += session.scalars(select(Patient).where(Patient.id.in_(chunk)))
        patients.sort(key=lambda p: p.id)
    ids = [p.id for p in patients]
    tables = {m: _rows_by_patient(session, m, ids) for m in (Surgery, Visit, Treatment, Condition)}
    resources: list[dict[str, Any]] = []
    forms: set[str] = set()
    for p in patients:
        ctx = _Context(p, deidentify, key)
        resources.append(_patient(ctx))
        resources += [_surgery(ctx, s) for s in tables[Surgery][p.id]]
        for v in tables[Visit][p.id]:
            out = _visit(ctx, v)
            resources += out
            forms.update(r["questionnaire"].split("|")[0] for r in out if r["resourceType"] == "QuestionnaireResponse")
        resources += [_treatment(ctx, t) for t in tables[Treatment][p.id]]
        resources += [_condition(ctx, c) for c in tables[Condition][p.id]]
    # Each form answered once or more goes with the bundle, once, for a reader to know its items.
    resources += [Q.QUESTIONNAIRES[url]() for url in sorted(forms)]
    entries = []
    for resource in resources:
        entry: dict[str, Any] = {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
        if bundle_type == "transaction":
            entry["request"] = {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}
        entries.append(entry)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": bundle_type,
        "timestamp": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "entry": entries,
    }
    if deidentify:
        bundle["meta"] = {
            "security": [
                _coding("http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "PSEUDED", "pseudonymized")
            ]
        }
    return bundle
