"""Reading FHIR R4 bundles: files and folders, JSON, resource validation, references, dates, stable keys.

fhir.resources ships R5 at its top level and no R4 package; its R4B models read R4 JSON for every
resource the importer uses (Patient, Observation, Procedure, MedicationRequest, MedicationStatement,
Condition), so R4B is the validator.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

MAX_REF_LENGTH = 200  # the source_ref columns
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class BundleRejected(ValueError):
    """The whole bundle is refused: nothing of it is written."""


class Skipped(ValueError):
    """One resource is not imported; the reason is counted in the report (error=True: bad data)."""

    def __init__(self, reason: str, detail: str | None = None, error: bool = False):
        self.reason, self.detail, self.error = reason, detail, error
        super().__init__(reason if detail is None else f"{reason}: {detail}")


def bundle_files(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Every file named, and every *.json under every folder named (recursively), in a stable order."""
    files: list[Path] = []
    problems: list[str] = []
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".json")
            if not found:
                problems.append(f"{path}: no .json files in this folder")
        elif path.is_file():
            found = [path]
        else:
            problems.append(f"{path}: no such file or folder")
            found = []
        for file in found:
            resolved = file.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(file)
    return files, problems


def load_bundle(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise BundleRejected(f"cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise BundleRejected("is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BundleRejected(f"is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise BundleRejected("is nested too deeply to be read as JSON (a FHIR bundle is a few levels deep)") from None
    except ValueError as exc:  # e.g. an integer of 5,000 digits: Python refuses to convert past 4,300
        if "digits" in str(exc):
            raise BundleRejected("holds a number with thousands of digits, which no FHIR value has") from None
        raise BundleRejected(f"cannot be read as JSON ({one_line(exc)})") from None
    except MemoryError:
        raise BundleRejected("is too large to be read") from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        kind = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise BundleRejected(f"is not a FHIR Bundle (resourceType {kind!r})")
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        raise BundleRejected("Bundle.entry is not a list")
    return data


def invalid_reason(resource: dict[str, Any]) -> str | None:
    """None when the resource is valid FHIR R4 (R4B models), else the first problem in words."""
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or resource["resourceType"]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"{where}: {first['msg']}{more}"
    except RecursionError:
        return "nested too deeply to be checked"
    except (KeyError, ValueError, TypeError) as exc:
        return one_line(exc)
    return None


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message, short enough for a report line."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _short(text: str) -> str:
    if len(text) <= MAX_REF_LENGTH:
        return text
    return text[:40] + "#sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def source_key(entry: dict[str, Any], resource: dict[str, Any]) -> str:
    """The stable source_ref of a resource: its absolute fullUrl, else Type/id, else a content hash."""
    kind = resource.get("resourceType", "Resource")
    full_url = entry.get("fullUrl")
    if isinstance(full_url, str) and full_url.startswith(("http://", "https://")):
        return _short(full_url)
    if resource.get("id"):
        return _short(f"{kind}/{resource['id']}")
    if isinstance(full_url, str) and full_url.startswith("urn:uuid:"):
        return _short(f"{kind}/{full_url.removeprefix('urn:uuid:')}")
    digest = hashlib.sha256(json.dumps(resource, sort_keys=True).encode("utf-8")).hexdigest()[:40]
    return f"{kind}/sha256:{digest}"


def reference_forms(entry: dict[str, Any], resource: dict[str, Any]) -> set[str]:
    """Every way another entry may refer to this one: its fullUrl, Type/id, and an absolute URL's tail."""
    kind = resource.get("resourceType")
    forms: set[str] = set()
    full_url = entry.get("fullUrl")
    if isinstance(full_url, str) and full_url:
        forms.add(full_url)
        tail = re.search(rf"{kind}/[^/]+$", full_url)
        if tail:
            forms.add(tail.group(0))
        if full_url.startswith("urn:uuid:"):
            forms.add(f"{kind}/{full_url.removeprefix('urn:uuid:')}")
    if resource.get("id"):
        forms.add(f"{kind}/{resource['id']}")
        forms.add(f"urn:uuid:{resource['id']}")
    return forms


def subject_reference(resource: dict[str, Any]) -> str:
    subject = resource.get("subject") or resource.get("patient")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    if not isinstance(reference, str) or not reference.strip():
        raise Skipped(f"{resource['resourceType']}: no subject (which patient is it about?)", error=True)
    return reference.strip()


def full_day(value: Any) -> date | None:
    """The calendar day of a FHIR date/dateTime as written (its own time zone); None if not a full day."""
    if not isinstance(value, str):
        return None
    match = _DATE.match(value)
    if not match or match.group(3) is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def first_day(resource: dict[str, Any], *fields: str) -> tuple[date | None, str | None]:
    """The first of fields present (dotted: 'effectivePeriod.start'): (its day, its raw text)."""
    for name in fields:
        value: Any = resource
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            return full_day(value), str(value)
    return None, None


def codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def concept_text(concept: Any) -> str:
    """The human words of a CodeableConcept: its text, else its first coding's display."""
    if not isinstance(concept, dict):
        return ""
    if isinstance(concept.get("text"), str) and concept["text"].strip():
        return concept["text"].strip()
    for coding in codings(concept):
        if isinstance(coding.get("display"), str) and coding["display"].strip():
            return coding["display"].strip()
    return ""


def code_in(concept: Any, system: str) -> list[str]:
    return [str(c.get("code")) for c in codings(concept) if c.get("system") == system and c.get("code")]


def notes_of(resource: dict[str, Any]) -> str | None:
    texts = [n.get("text", "").strip() for n in resource.get("note") or [] if isinstance(n, dict)]
    joined = "\n".join(t for t in texts if t)
    return joined or None
