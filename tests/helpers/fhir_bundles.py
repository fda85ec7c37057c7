"""A long FHIR import for tests: copies of Synthea bundles, each copy a different patient."""

from __future__ import annotations

import re
import uuid
from functools import partial
from pathlib import Path

SYNTHEA = Path(__file__).resolve().parents[1] / "fixtures" / "synthea"
# Three of the smaller bundles (trimmed, about 17 kB each): each imports a patient with visits and treatments.
SMALL_BUNDLES = (
    "José_María_Casares_35f4e907-09d2-4a9d-8888-b9f8d860ce05.json",
    "Manuel_Benavides_058a381d-d631-4613-952c-c3a85fc672a1.json",
    "Wendy_Littel_e52450ac-3b5b-433c-9ece-2f6dbc61ef97.json",
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _derived(space: uuid.UUID, found: re.Match[str]) -> str:
    return str(uuid.uuid5(space, found.group(0)))


def distinct_copies(folder: Path, copies: int, sources: tuple[str, ...] = SMALL_BUNDLES) -> list[Path]:
    """copies x sources bundle files in folder; in copy k every UUID (patient, MRN, resource ids and
    the references to them) is replaced by a UUID derived from (k, original), so no copy is "already
    imported" and each one is a transaction that writes a new patient."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sources:
        text = (SYNTHEA / name).read_text(encoding="utf-8")
        for k in range(copies):
            space = uuid.uuid5(uuid.NAMESPACE_URL, f"paintrail-test-copy-{k}")
            copy = UUID.sub(partial(_derived, space), text)
            path = folder / f"copy{k:02d}_{name}"
            path.write_text(copy, encoding="utf-8")
            written.append(path)
    return sorted(written)
