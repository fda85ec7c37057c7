"""Import FHIR R4 bundles (files or folders): one audited transaction per bundle, re-import adds nothing.

The rules (decisions are explained in docs beside each):
- A bundle is all or nothing: one that cannot be read, is not a Bundle, or whose Patient is unusable
  (not valid FHIR R4, no usable MRN, a bad birth year) is rejected and writes nothing; the next bundle
  of a folder is imported all the same.
- One malformed clinical resource (not valid FHIR R4, no subject, no date, a value out of range such as
  a pain score of 11) is a data error: it is skipped and listed in the report, and the rest of the bundle
  is imported, so one bad score does not keep a patient's other data out. With strict=True any data
  error rejects the bundle instead.
- Resources that are fine but not what PainTrail follows (a BMI, a colonoscopy, a statin) are counted as
  skipped with the reason; resource types the import never reads (Claim, Encounter, ...) are counted by type.
- Patients are matched by source_ref first, then by MRN: a patient already registered from another
  source (a form, a CSV) gets the FHIR rows attached, and their stored demographics are kept.
- Rows already present are not added again: by source_ref, and for surgeries, treatments and conditions
  also by what they say (same patient, date and type), so re-importing an export of this database adds
  nothing either.
- Observations become one visit per patient and day. Two values for the same measure on one day: the
  higher is kept (the worse pain, as registries record the worse leg). A visit holds one pain
  instrument: pain on a second instrument that day is skipped. Values are never overwritten: a new
  value for an empty column of an imported visit fills it; a different value is skipped.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..audit import record_event, set_actor
from ..db import DatabaseBusyError, run_write
from ..models import Condition, Patient, Surgery, Treatment, Visit
from .fhir_map import (
    ConditionPlan,
    Measure,
    PatientPlan,
    SurgeryPlan,
    TreatmentPlan,
    map_condition,
    map_observation,
    map_patient,
    map_procedure,
)
from .fhir_medication import MEDICATION_TYPES, map_medication
from .fhir_read import BundleRejected, Skipped, bundle_files, load_bundle, reference_forms
from .fhir_report import BundleReport, FhirImportReport

SOURCE = "fhir"
Progress = Callable[[int, int, Path], None]
READ_TYPES = ("Patient", "Observation", "Procedure", *MEDICATION_TYPES, "Condition")
PAIN_FIELDS = ("back_pain", "leg_pain", "pain_unspecified")
_CHUNK = 500


@dataclass
class _Plan:
    base: BundleReport
    patients: list[PatientPlan] = field(default_factory=list)
    forms: dict[str, str] = field(default_factory=dict)  # any reference form -> patient key
    rows: list[Any] = field(default_factory=list)  # SurgeryPlan, TreatmentPlan, ConditionPlan, Measure
    strict: bool = False


def import_fhir(
    engine: Engine,
    paths: Iterable[Path],
    actor: str,
    progress: Progress | None = None,
    *,
    today: date | None = None,
    strict: bool = False,
) -> FhirImportReport:
    """Import every bundle file named and every *.json under every folder named, one transaction each.

    progress(done, total, path) is called after each bundle. Never raises for bad data: the report says
    what was imported, skipped and rejected; report.ok is False when any bundle or path failed.
    """
    files, problems = bundle_files(paths)
    report = FhirImportReport(problems=problems)
    for done, path in enumerate(files, 1):
        report.bundles.append(import_bundle(engine, path, actor, today=today, strict=strict))
        if progress is not None:
            progress(done, len(files), path)
    return report


def import_bundle(engine: Engine, path: Path, actor: str, *, today: date | None = None,
                  strict: bool = False) -> BundleReport:
    today = today or date.today()
    try:
        plan = _plan(load_bundle(path), str(path), today, strict)
    except BundleRejected as exc:
        return BundleReport(str(path), rejected=str(exc))

    def action(session: Session) -> BundleReport:
        report = copy.deepcopy(plan.base)  # fresh per attempt: run_write retries when the store is busy
        set_actor(session, actor)
        ids = _write(session, plan, report, actor)
        patient_id = next(iter(set(ids.values()))) if len(set(ids.values())) == 1 else None
        record_event(session, "import_fhir", report.summary(), patient_id=patient_id)
        return report

    try:
        return run_write(engine, action)
    except BundleRejected as exc:
        return BundleReport(str(path), rejected=str(exc))
    except (SQLAlchemyError, DatabaseBusyError) as exc:
        orig = getattr(exc, "orig", None)
        text = str(orig if orig is not None else exc).strip().splitlines()
        return BundleReport(str(path), rejected=f"the database refused it: {text[0] if text else type(exc).__name__}")


# --- Planning: read every resource, no database --------------------------------------------------------


def _plan(bundle: dict[str, Any], name: str, today: date, strict: bool) -> _Plan:
    plan = _Plan(BundleReport(name), strict=strict)
    entries = [e for e in bundle.get("entry") or [] if isinstance(e, dict)]
    resources = [(e, e.get("resource")) for e in entries]
    medications: dict[str, dict[str, Any]] = {}
    for entry, resource in resources:
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            plan.base.skip("Bundle entry without a resource (e.g. a DELETE request)", entry.get("fullUrl"))
            continue
        kind = resource["resourceType"]
        if kind == "Patient":
            patient = map_patient(entry, resource, today)  # BundleRejected: the whole bundle goes
            for form in patient.forms:
                plan.forms[form] = patient.key
            plan.patients.append(patient)
            plan.base.used["Patient"] += 1
        elif kind == "Medication":
            medications.update({form: resource for form in reference_forms(entry, resource)})
            plan.base.unused[kind] += 1
        elif kind not in READ_TYPES:
            plan.base.unused[kind] += 1
    for entry, resource in resources:
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind not in READ_TYPES or kind == "Patient":
            continue
        ref = f"{kind}/{resource.get('id', '?')}"
        try:
            if kind == "Observation":
                row: Any = map_observation(entry, resource, today)
            elif kind == "Procedure":
                row = map_procedure(entry, resource, today)
            elif kind == "Condition":
                row = map_condition(entry, resource, today)
            else:
                row = map_medication(entry, resource, today, medications)
        except Skipped as exc:
            plan.base.skip(exc.reason, ref, exc.detail, exc.error)
            continue
        # A subject in this bundle is known by its key; any other is looked up in the database later.
        row.subject = plan.forms.get(row.subject, "ext:" + _external_ref(row.subject))
        plan.rows.append(row)
    if strict and plan.base.errors:
        raise BundleRejected(f"{len(plan.base.errors)} data error(s) in strict mode, first: {plan.base.errors[0]}")
    return plan


def _external_ref(reference: str) -> str:
    if reference.startswith("urn:uuid:"):
        return "Patient/" + reference.removeprefix("urn:uuid:")
    return reference


# --- Writing: one transaction ------------------------------------------------------------------------


def _in_chunks(session: Session, column: Any, wanted: Iterable[str], *extra: Any) -> list[Any]:
    values = sorted(set(wanted))
    found: list[Any] = []
    for start in range(0, len(values), _CHUNK):
        stmt = select(column, *extra).where(column.in_(values[start : start + _CHUNK]))
        found += session.execute(stmt).all()
    return found


def _write(session: Session, plan: _Plan, report: BundleReport, actor: str) -> dict[str, int]:
    ids = _write_patients(session, plan.patients, report)
    externals = {r.subject.removeprefix("ext:") for r in plan.rows if r.subject.startswith("ext:")}
    for ref, pid in _in_chunks(session, Patient.source_ref, externals, Patient.id):
        ids["ext:" + ref] = pid
    rows: list[Any] = []
    for row in plan.rows:
        if row.subject not in ids:
            _skip(report, plan, "subject is not a patient in this bundle or the database", row, _kind(row))
        else:
            rows.append(row)
    _write_simple(session, report, ids, [r for r in rows if isinstance(r, SurgeryPlan)], "surgeries")
    _write_simple(session, report, ids, [r for r in rows if isinstance(r, TreatmentPlan)], "treatments")
    _write_simple(session, report, ids, [r for r in rows if isinstance(r, ConditionPlan)], "conditions")
    _write_visits(session, plan, report, ids, [r for r in rows if isinstance(r, Measure)], actor)
    session.flush()
    return ids


def _kind(row: Any) -> str:
    """The FHIR resource type a planned row came from."""
    if isinstance(row, TreatmentPlan):
        return row.kind
    return {SurgeryPlan: "Procedure", ConditionPlan: "Condition", Measure: "Observation"}[type(row)]


def _skip(report: BundleReport, plan: _Plan, reason: str, row: Any, kind: str) -> None:
    report.skip(f"{kind}: {reason}", row.source_ref, error=True)
    if plan.strict:
        raise BundleRejected(f"strict mode: {row.source_ref}: {reason}")


def _write_patients(session: Session, patients: list[PatientPlan], report: BundleReport) -> dict[str, int]:
    ids: dict[str, int] = {}
    for plan in patients:
        if plan.key in ids:
            continue
        existing = session.scalar(select(Patient).where(Patient.source_ref == plan.key))
        if existing is None:
            existing = session.scalar(select(Patient).where(Patient.mrn == plan.mrn))
            if existing is not None:
                report.matched_by_mrn.append(f"{plan.mrn} (source {existing.source})")
        if existing is not None:
            if existing.source_ref == plan.key:
                report.already["patients"] += 1
            ids[plan.key] = existing.id
            continue
        patient = Patient(mrn=plan.mrn, display_name=plan.display_name, birth_year=plan.birth_year, sex=plan.sex,
                          source=SOURCE, source_ref=plan.key)
        session.add(patient)
        session.flush()
        ids[plan.key] = patient.id
        report.imported["patients"] += 1
    return ids


_MODEL = {"surgeries": Surgery, "treatments": Treatment, "conditions": Condition}


def _natural_key(table: str, pid: int, row: Any) -> tuple:
    if table == "surgeries":
        return pid, row.surgery_date, row.procedure
    if table == "treatments":
        return pid, row.code, row.start_date
    return pid, row.code_system, row.code, row.onset_date


def _existing_keys(session: Session, table: str, patient_ids: set[int]) -> set[tuple]:
    model = _MODEL[table]
    if table == "surgeries":
        cols = (Surgery.patient_id, Surgery.surgery_date, Surgery.procedure)
    elif table == "treatments":
        cols = (Treatment.patient_id, Treatment.code, Treatment.start_date)
    else:
        cols = (Condition.patient_id, Condition.code_system, Condition.code, Condition.onset_date)
    stmt = select(*cols).where(model.patient_id.in_(patient_ids))
    if hasattr(model, "voided_at"):
        stmt = stmt.where(model.voided_at.is_(None))
    return {tuple(r) for r in session.execute(stmt).all()}


def _write_simple(session: Session, report: BundleReport, ids: dict[str, int], rows: list[Any], table: str) -> None:
    if not rows:
        return
    known_refs = {r for (r,) in _in_chunks(session, _MODEL[table].source_ref, [r.source_ref for r in rows])}
    known = _existing_keys(session, table, {ids[r.subject] for r in rows})
    new = []
    for row in rows:
        pid = ids[row.subject]
        report.used[_kind(row)] += 1
        key = _natural_key(table, pid, row)
        if row.source_ref in known_refs or key in known:
            report.already[table] += 1
            continue
        known.add(key)
        known_refs.add(row.source_ref)
        if table == "treatments":
            report.facts.update(row.note_counts)
        values = {k: v for k, v in vars(row).items() if k not in ("subject", "kind", "note_counts")}
        new.append(_MODEL[table](patient_id=pid, source=SOURCE, **values))
    session.add_all(new)
    report.imported[table] += len(new)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-9
    return a == b


def _day_values(group: list[Measure], report: BundleReport, plan: _Plan) -> tuple[dict[str, Measure], str | None]:
    """The measure kept per column for one patient-day, and the day's pain instrument."""
    instrument = next((m.instrument for m in group if m.field in PAIN_FIELDS), None)
    kept: dict[str, Measure] = {}
    for m in group:
        if m.field in PAIN_FIELDS and m.instrument != instrument:
            _skip_measure(report, plan, m, "pain on a second instrument the same day (one instrument per visit)")
            continue
        other = kept.get(m.field)
        if other is None:
            kept[m.field] = m
            continue
        loser = m if (m.value <= other.value) else other
        kept[m.field] = other if loser is m else m
        _skip_measure(report, plan, loser, "a second value for the same measure the same day (the higher is kept)")
    return kept, instrument


def _skip_measure(report: BundleReport, plan: _Plan, m: Measure, reason: str) -> None:
    report.skip(f"Observation: {reason}", m.source_ref)


def _write_visits(session: Session, plan: _Plan, report: BundleReport, ids: dict[str, int],
                  measures: list[Measure], actor: str) -> None:
    groups: dict[tuple[int, date], list[Measure]] = defaultdict(list)
    for m in measures:
        groups[(ids[m.subject], m.day)].append(m)
    if not groups:
        return
    refs = {key: _visit_ref(group[0].subject, key[1]) for key, group in groups.items()}
    by_ref = {v.source_ref: v for v in session.scalars(select(Visit).where(Visit.source_ref.in_(set(refs.values()))))}
    patient_ids = {pid for pid, _ in groups}
    same_day: dict[tuple[int, date], list[Visit]] = defaultdict(list)
    for visit in session.scalars(select(Visit).where(Visit.patient_id.in_(patient_ids), Visit.voided_at.is_(None))):
        same_day[(visit.patient_id, visit.visit_date)].append(visit)
    new: list[Visit] = []
    for key, group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        kept, instrument = _day_values(group, report, plan)
        stored = by_ref.get(refs[key])
        if stored is None and any(_holds(v, kept, instrument) for v in same_day[key]):
            report.already["visits"] += 1
            _count_used(report, kept)
            continue
        if stored is None:
            visit = Visit(patient_id=key[0], visit_date=key[1], source=SOURCE, source_ref=refs[key], created_by=actor,
                          pain_instrument=instrument or "NRS", notes=_notes(kept.values()),
                          mme_source=kept["mme_per_day"].mme_source if "mme_per_day" in kept else None,
                          **{f: m.value for f, m in kept.items()})
            new.append(visit)
            _count_used(report, kept)
            continue
        _merge(stored, kept, instrument, report, plan)
    session.add_all(new)
    report.imported["visits"] += len(new)


def _visit_ref(patient_key: str, day: date) -> str:
    ref = f"{patient_key}#visit/{day.isoformat()}"
    return ref if len(ref) <= 200 else f"{patient_key[:150]}…#visit/{day.isoformat()}"


def _holds(visit: Visit, kept: dict[str, Measure], instrument: str | None) -> bool:
    """True when an existing visit already records every incoming value of the day."""
    if instrument is not None and visit.pain_instrument != instrument:
        return False
    return all(_same(getattr(visit, f), m.value) for f, m in kept.items())


def _count_used(report: BundleReport, kept: dict[str, Measure]) -> None:
    report.used["Observation"] += len(kept)
    report.values.update(kept.keys())


def _notes(measures: Iterable[Measure]) -> str | None:
    seen: list[str] = []
    for m in measures:
        if m.note and m.note not in seen:
            seen.append(m.note)
    return "\n".join(seen) or None


def _merge(visit: Visit, kept: dict[str, Measure], instrument: str | None, report: BundleReport, plan: _Plan) -> None:
    has_pain = any(getattr(visit, f) is not None for f in PAIN_FIELDS)
    changed = False
    for name, m in kept.items():
        current = getattr(visit, name)
        if name in PAIN_FIELDS and has_pain and visit.pain_instrument != instrument:
            _skip_measure(report, plan, m, "pain on a second instrument the same day (one instrument per visit)")
        elif current is None:
            setattr(visit, name, m.value)
            if name in PAIN_FIELDS:
                visit.pain_instrument = instrument or visit.pain_instrument
            if name == "mme_per_day":
                visit.mme_source = m.mme_source
            changed = True
            _count_used(report, {name: m})
        elif _same(current, m.value):
            _count_used(report, {name: m})
        else:
            _skip_measure(report, plan, m, "differs from the value already stored for that day (stored value kept)")
    if changed:
        report.merged["visits"] += 1
    else:
        report.already["visits"] += 1
