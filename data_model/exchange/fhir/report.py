"""What a FHIR import did, per bundle: rows added, rows already there, resources skipped and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

TABLES = ("patients", "surgeries", "visits", "treatments", "conditions")
_SINGULAR = {
    "patients": "patient",
    "surgeries": "surgery",
    "visits": "visit",
    "treatments": "treatment",
    "conditions": "condition",
}
MAX_ERRORS_SHOWN = 20


def _rows(counts: Counter, tables: tuple[str, ...] = TABLES) -> str:
    return ", ".join(f"{counts[t]} {t if counts[t] != 1 else _SINGULAR[t]}" for t in tables)


def _listing(counts: Counter) -> str:
    return "; ".join(f"{n} × {what}" for what, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass
class BundleReport:
    """One bundle: all of it was written (rejected is None), or none of it (rejected says why)."""

    path: str
    rejected: str | None = None
    imported: Counter = field(default_factory=Counter)  # table -> rows added
    merged: Counter = field(default_factory=Counter)  # table -> existing rows completed with new values
    already: Counter = field(default_factory=Counter)  # table -> rows that were already in the database
    matched_by_mrn: list[str] = field(default_factory=list)  # existing patients (other source) attached to
    used: Counter = field(default_factory=Counter)  # resource type -> resources whose data is stored
    values: Counter = field(default_factory=Counter)  # visit column -> observation values stored
    skipped: Counter = field(default_factory=Counter)  # reason -> resources not imported
    errors: list[str] = field(default_factory=list)  # bad data, one line per resource
    facts: Counter = field(default_factory=Counter)  # worth knowing, e.g. why an MME/day is unknown
    unused: Counter = field(default_factory=Counter)  # resource type the import does not read -> count

    @property
    def ok(self) -> bool:
        return self.rejected is None

    def skip(self, reason: str, ref: str | None = None, detail: str | None = None, error: bool = False) -> None:
        self.skipped[reason] += 1
        if error:
            what = reason.split(": ", 1)[-1]  # the reference already names the resource type
            self.errors.append(f"{ref or '?'}: {what}" + (f" — {detail}" if detail else ""))

    def summary(self) -> dict[str, Any]:
        """The JSON-ready gist, for the audit trail."""
        return {
            "file": self.path,
            "imported": {t: self.imported[t] for t in TABLES},
            "already": dict(self.already),
            "merged": dict(self.merged),
            "skipped": dict(self.skipped),
            "unused": dict(self.unused),
        }

    def format(self, verbose: bool = False) -> str:
        if self.rejected:
            return f"{self.path}: REJECTED, nothing was written: {self.rejected}"
        lines = [f"{self.path}: imported {_rows(self.imported)}"]
        if sum(self.already.values()):
            lines.append(f"  already in the database: {_rows(self.already)}")
        if sum(self.merged.values()):
            lines.append(f"  completed with new values: {_rows(self.merged, ('visits',))}")
        if self.matched_by_mrn:
            lines.append(f"  attached to patients already registered by MRN: {', '.join(self.matched_by_mrn)}")
        if self.skipped:
            lines.append(f"  skipped {sum(self.skipped.values())} resources: {_listing(self.skipped)}")
        if self.unused:
            lines.append(
                f"  not read ({sum(self.unused.values())} resources): "
                + ", ".join(f"{n} {kind}" for kind, n in sorted(self.unused.items(), key=lambda kv: -kv[1]))
            )
        if self.facts:
            lines.append(f"  notes: {_listing(self.facts)}")
        if self.errors:
            shown = self.errors if verbose else self.errors[:MAX_ERRORS_SHOWN]
            lines.append(f"  data errors ({len(self.errors)}):")
            lines += [f"    {e}" for e in shown]
            if len(shown) < len(self.errors):
                lines.append(f"    … and {len(self.errors) - len(shown)} more (--verbose shows all)")
        return "\n".join(lines)


@dataclass
class FhirImportReport:
    """Every bundle of one import run, plus paths that could not be read at all."""

    bundles: list[BundleReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(b.ok for b in self.bundles)

    @property
    def rejected(self) -> list[BundleReport]:
        return [b for b in self.bundles if not b.ok]

    def total(self, counter: str) -> Counter:
        out: Counter = Counter()
        for bundle in self.bundles:
            out.update(getattr(bundle, counter))
        return out

    def failure_line(self) -> str:
        """One line naming what failed, for stderr."""
        parts = [p for p in self.problems] + [f"{b.path}: {b.rejected}" for b in self.rejected]
        noun = "problem" if len(parts) == 1 else "problems"
        return f"{len(parts)} {noun}, those bundles wrote nothing: " + "; ".join(parts)

    def format(self, verbose: bool = False) -> str:
        lines = [b.format(verbose) for b in self.bundles]
        lines += [f"{p}" for p in self.problems]
        done = len(self.bundles) - len(self.rejected)
        lines.append(
            f"{len(self.bundles)} bundle{'s' if len(self.bundles) != 1 else ''}: {done} imported, "
            f"{len(self.rejected)} rejected. Added {_rows(self.total('imported'))}."
        )
        return "\n".join(lines)
