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
- A QuestionnaireResponse to PainTrail's ODI or self-report (questionnaire.py) gives its answers as
  measures of the day it was authored, merged like observations; the same value given by a response and
  an observation is one value. A visit with ODI sections gets its total computed from them when none is
  given (the clinic's minimum of sections applies), and is marked as computed when a given one agrees.
- Observations become one visit per patient and day. Two values for the same measure on one day: the
  higher is kept (the worse pain, as registries record the worse leg). A visit holds one pain
  instrument: pain on a second instrument that day is skipped. Values are never overwritten: a new
  value for an empty column of an imported visit fills it; a different value is skipped.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ...audit import record_event, set_actor
from ...clock import site_today_of
from ...db import DatabaseBusyError, run_write
from .mapping import map_condition, map_observation, map_patient, map_procedure
from .medication import MEDICATION_TYPES, map_medication
from .questionnaire import map_questionnaire_response
from .read import BundleRejected, Skipped, bundle_files, load_bundle, one_line, reference_forms
from .report import BundleReport, FhirImportReport
from .write import BundlePlan, write_bundle

Progress = Callable[[int, int, Path], object]  # (bundles done, bundles, the one done); any result is ignored
_log = logging.getLogger(__name__)
READ_TYPES = ("Patient", "Observation", "QuestionnaireResponse", "Procedure", *MEDICATION_TYPES, "Condition")


def import_fhir(
    engine: Engine,
    paths: Iterable[Path],
    actor: str,
    progress: Progress | None = None,
    *,
    today: date | None = None,
    strict: bool = False,
    label: Callable[[Path], str] = str,
) -> FhirImportReport:
    """Import every bundle file named and every *.json under every folder named, one transaction each.

    progress(done, total, path) is called after each bundle; label(path) is how the report names a file
    (the app gives the uploaded file's name, never the server's temporary path). Never raises for bad
    data: the report says what was imported, skipped and rejected; report.ok is False when any bundle or
    path failed, and a bundle that cannot be read at all is one rejected line, the others still import.
    """
    files, problems = bundle_files(paths)
    report = FhirImportReport(problems=problems)
    for done, path in enumerate(files, 1):
        name = label(path)
        try:
            bundle = import_bundle(engine, path, actor, today=today, strict=strict, name=name)
        except Exception as exc:
            _log.exception("importing %s failed", path)
            bundle = BundleReport(name, rejected=f"could not be imported ({one_line(exc)})")
        report.bundles.append(bundle)
        if progress is not None:
            progress(done, len(files), path)
    return report


def import_bundle(
    engine: Engine, path: Path, actor: str, *, today: date | None = None, strict: bool = False, name: str | None = None
) -> BundleReport:
    today = today or site_today_of(engine)
    name = name or str(path)
    try:
        plan = _plan(load_bundle(path), name, today, strict)
    except BundleRejected as exc:
        return BundleReport(name, rejected=str(exc))
    except RecursionError:  # a resource nested deep enough to break a reader after JSON
        return BundleReport(name, rejected="is nested too deeply to be read")

    def action(session: Session) -> BundleReport:
        report = copy.deepcopy(plan.base)  # fresh per attempt: run_write retries when the store is busy
        set_actor(session, actor)
        ids = write_bundle(session, plan, report, actor)
        patient_id = next(iter(set(ids.values()))) if len(set(ids.values())) == 1 else None
        record_event(session, "import_fhir", report.summary(), patient_id=patient_id)
        return report

    try:
        return run_write(engine, action)
    except BundleRejected as exc:
        return BundleReport(name, rejected=str(exc))
    except (SQLAlchemyError, DatabaseBusyError) as exc:
        orig = getattr(exc, "orig", None)
        text = str(orig if orig is not None else exc).strip().splitlines()
        return BundleReport(name, rejected=f"the database refused it: {text[0] if text else type(exc).__name__}")


# --- Planning: read every resource, no database --------------------------------------------------------


def _plan(bundle: dict[str, Any], name: str, today: date, strict: bool) -> BundlePlan:
    plan = BundlePlan(BundleReport(name), strict=strict)
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
        if not isinstance(resource, dict):
            continue
        kind = resource.get("resourceType")
        if kind not in READ_TYPES or kind == "Patient":
            continue
        ref = f"{kind}/{resource.get('id', '?')}"
        try:
            rows: list[Any]
            if kind == "QuestionnaireResponse":
                rows = map_questionnaire_response(entry, resource, today)  # one measure per answer
            elif kind == "Observation":
                rows = [map_observation(entry, resource, today)]
            elif kind == "Procedure":
                rows = [map_procedure(entry, resource, today)]
            elif kind == "Condition":
                rows = [map_condition(entry, resource, today)]
            else:
                rows = [map_medication(entry, resource, today, medications)]
        except Skipped as exc:
            plan.base.skip(exc.reason, ref, exc.detail, exc.error)
            continue
        # A subject in this bundle is known by its key; any other is looked up in the database later.
        for row in rows:
            row.subject = plan.forms.get(row.subject, "ext:" + _external_ref(row.subject))
            plan.rows.append(row)
    if strict and plan.base.errors:
        raise BundleRejected(f"{len(plan.base.errors)} data error(s) in strict mode, first: {plan.base.errors[0]}")
    return plan


def _external_ref(reference: str) -> str:
    if reference.startswith("urn:uuid:"):
        return "Patient/" + reference.removeprefix("urn:uuid:")
    return reference
