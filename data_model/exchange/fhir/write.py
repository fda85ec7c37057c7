"""Write one planned FHIR bundle in its transaction: patients matched, rows not added twice, visits merged.

Not commands.py's write path, because a bundle is merged, not entered: its patients are matched to those
held, resources already imported are skipped and observations of one day merge into one visit. The rows
are checked by the same validation.check_* functions (mapping.py) and, being ORM objects, audited row by
row by audit.py's flush hook as commands' are."""

# The rules are bundle_import.py's docstring; this module is the half that touches the database.

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ... import odi
from ...models import Condition, Patient, Surgery, Treatment, Visit
from ...queries import load_settings
from .mapping import ConditionPlan, Measure, PatientPlan, SurgeryPlan, TreatmentPlan
from .read import BundleRejected
from .report import BundleReport

SOURCE = "fhir"
PAIN_FIELDS = ("back_pain", "leg_pain", "pain_unspecified")
_CHUNK = 500


@dataclass
class BundlePlan:
    """What bundle_import planned from one bundle, before any database work."""

    base: BundleReport
    patients: list[PatientPlan] = field(default_factory=list)
    forms: dict[str, str] = field(default_factory=dict)  # any reference form -> patient key
    rows: list[Any] = field(default_factory=list)  # SurgeryPlan, TreatmentPlan, ConditionPlan, Measure
    strict: bool = False


def _in_chunks(session: Session, column: Any, wanted: Iterable[str], *extra: Any) -> list[Any]:
    values = sorted(set(wanted))
    found: list[Any] = []
    for start in range(0, len(values), _CHUNK):
        stmt = select(column, *extra).where(column.in_(values[start : start + _CHUNK]))
        found += session.execute(stmt).all()
    return found


def write_bundle(session: Session, plan: BundlePlan, report: BundleReport, actor: str) -> dict[str, int]:
    ids = _write_patients(session, plan.patients, report)
    externals = {r.subject.removeprefix("ext:") for r in plan.rows if r.subject.startswith("ext:")}
    for ref, pid in _in_chunks(session, Patient.source_ref, externals, Patient.id):
        ids["ext:" + ref] = pid
    born = _birth_years(session, set(ids.values()))
    rows: list[Any] = []
    for row in plan.rows:
        if row.subject not in ids:
            _skip(report, plan, "subject is not a patient in this bundle or the database", row, _kind(row))
            continue
        day, year = _day(row), born.get(ids[row.subject])
        if day is not None and year is not None and day.year < year:
            _skip(report, plan, f"dated {day.isoformat()}, before the patient's birth year {year}", row, _kind(row))
            continue
        rows.append(row)
    _write_simple(session, report, ids, [r for r in rows if isinstance(r, SurgeryPlan)], "surgeries")
    _write_simple(session, report, ids, [r for r in rows if isinstance(r, TreatmentPlan)], "treatments")
    _write_simple(session, report, ids, [r for r in rows if isinstance(r, ConditionPlan)], "conditions")
    _write_visits(session, plan, report, ids, [r for r in rows if isinstance(r, Measure)], actor)
    session.flush()
    return ids


def _birth_years(session: Session, patient_ids: set[int]) -> dict[int, int]:
    stmt = select(Patient.id, Patient.birth_year).where(Patient.id.in_(patient_ids), Patient.birth_year.is_not(None))
    return {pid: year for pid, year in session.execute(stmt).all() if year is not None}


def _day(row: Any) -> date | None:
    """The day a planned row happened on: nothing clinical can be dated before the patient's birth year."""
    if isinstance(row, Measure):
        return row.day
    if isinstance(row, SurgeryPlan):
        return row.surgery_date
    if isinstance(row, TreatmentPlan):
        return row.start_date
    return row.onset_date


def _kind(row: Any) -> str:
    """The FHIR resource type a planned row came from."""
    if isinstance(row, TreatmentPlan):
        return row.kind
    if isinstance(row, Measure):
        return row.kind
    return {SurgeryPlan: "Procedure", ConditionPlan: "Condition"}[type(row)]


def _skip(report: BundleReport, plan: BundlePlan, reason: str, row: Any, kind: str) -> None:
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
            # An MRN is the same whatever its case: "mrn1" in a bundle is the patient registered as MRN1.
            existing = session.scalar(select(Patient).where(func.lower(Patient.mrn) == plan.mrn.lower()))
            if existing is not None:
                spelled = "" if existing.mrn == plan.mrn else f", registered as {existing.mrn}"
                report.matched_by_mrn.append(f"{plan.mrn} (source {existing.source}{spelled})")
        if existing is not None:
            if existing.source_ref == plan.key:
                report.already["patients"] += 1
            ids[plan.key] = existing.id
            continue
        patient = Patient(
            mrn=plan.mrn,
            display_name=plan.display_name,
            birth_year=plan.birth_year,
            sex=plan.sex,
            source=SOURCE,
            source_ref=plan.key,
        )
        session.add(patient)
        session.flush()
        ids[plan.key] = patient.id
        report.imported["patients"] += 1
    return ids


_MODEL: dict[str, type[Surgery] | type[Treatment] | type[Condition]] = {
    "surgeries": Surgery,
    "treatments": Treatment,
    "conditions": Condition,
}


def _natural_key(table: str, pid: int, row: Any) -> tuple:
    if table == "surgeries":
        return pid, row.surgery_date, row.procedure
    if table == "treatments":
        return pid, row.code, row.start_date
    return pid, row.code_system, row.code, row.onset_date


def _existing_keys(session: Session, table: str, patient_ids: set[int]) -> set[tuple]:
    model = _MODEL[table]
    cols: tuple[InstrumentedAttribute[Any], ...]
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


def _day_values(group: list[Measure], report: BundleReport, plan: BundlePlan) -> tuple[dict[str, Measure], str | None]:
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
        if _same(m.value, other.value) and "QuestionnaireResponse" in (m.kind, other.kind):
            continue  # one answer given both as a response and as an observation (PainTrail exports both)
        loser = m if (m.value <= other.value) else other
        kept[m.field] = other if loser is m else m
        _skip_measure(report, plan, loser, "a second value for the same measure the same day (the higher is kept)")
    return kept, instrument


def _skip_measure(report: BundleReport, plan: BundlePlan, m: Measure, reason: str) -> None:
    report.skip(f"{m.kind}: {reason}", m.source_ref)


def _write_visits(
    session: Session, plan: BundlePlan, report: BundleReport, ids: dict[str, int], measures: list[Measure], actor: str
) -> None:
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
    odi_visits: list[Visit] = []  # visits given an ODI or its sections: how it came about is settled last
    for key, group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        kept, instrument = _day_values(group, report, plan)
        stored = by_ref.get(refs[key])
        if stored is None and any(_holds(v, kept, instrument) for v in same_day[key]):
            report.already["visits"] += 1
            _count_used(report, kept)
            continue
        if stored is None:
            visit = Visit(
                patient_id=key[0],
                visit_date=key[1],
                source=SOURCE,
                source_ref=refs[key],
                created_by=actor,
                pain_instrument=instrument or "NRS",
                notes=_notes(kept.values()),
                mme_source=kept["mme_per_day"].mme_source if "mme_per_day" in kept else None,
                **{f: m.value for f, m in kept.items()},
            )
            new.append(visit)
            _count_used(report, kept)
            if _odi_in(kept):
                odi_visits.append(visit)
            continue
        _merge(stored, kept, instrument, report, plan)
        if _odi_in(kept):
            odi_visits.append(stored)
    if odi_visits:
        _settle_odi(odi_visits, load_settings(session).odi_min_sections, report)
    session.add_all(new)
    report.imported["visits"] += len(new)


def _odi_in(kept: dict[str, Measure]) -> bool:
    return any(name == "odi" or name in odi.COLUMNS for name in kept)


def _visit_ref(patient_key: str, day: date) -> str:
    ref = f"{patient_key}#visit/{day.isoformat()}"
    return ref if len(ref) <= 200 else f"{patient_key[:150]}…#visit/{day.isoformat()}"


def _holds(visit: Visit, kept: dict[str, Measure], instrument: str | None) -> bool:
    """True when an existing visit already records every incoming value of the day."""
    if instrument is not None and visit.pain_instrument != instrument:
        return False
    return all(_same(getattr(visit, f), m.value) for f, m in kept.items())


def _count_used(report: BundleReport, kept: dict[str, Measure]) -> None:
    report.used.update(m.kind for m in kept.values())
    report.values.update(kept.keys())


def _settle_odi(visits: Iterable[Visit], min_sections: int, report: BundleReport) -> None:
    """How each visit's ODI came about, as commands.add_visit would say: computed from its sections (the
    total filled in from them when none was given), else entered as a total. A given total that differs
    from the sections is kept as given, marked so, and counted in the report's notes."""
    for visit in visits:
        items = {key: getattr(visit, odi.column(key)) for key in odi.KEYS}
        if not odi.answered(items):
            visit.odi_source = odi.ENTERED_TOTAL if visit.odi is not None else None
            continue
        computed = odi.score(items, min_sections)
        if visit.odi is None or (computed is not None and odi.agrees(visit.odi, computed)):
            visit.odi = visit.odi if visit.odi is not None else computed
            visit.odi_source = odi.FROM_SECTIONS
        else:
            visit.odi_source = odi.ENTERED_TOTAL
            report.facts["an ODI total differs from its sections: kept as given"] += 1


def _notes(measures: Iterable[Measure]) -> str | None:
    seen: list[str] = []
    for m in measures:
        if m.note and m.note not in seen:
            seen.append(m.note)
    return "\n".join(seen) or None


def _merge(
    visit: Visit, kept: dict[str, Measure], instrument: str | None, report: BundleReport, plan: BundlePlan
) -> None:
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
