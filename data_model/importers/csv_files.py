"""Reading one import CSV strictly: UTF-8 (BOM allowed), a known header, whole rows, spreadsheet line numbers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the import; line is the row number a spreadsheet shows (header = 1)."""

    file: str
    line: int | None
    column: str | None
    value: Any
    message: str

    def __str__(self) -> str:
        where = self.file + (f" line {self.line}" if self.line is not None else "")
        if self.column is None:
            return f"{where}: {self.message}"
        if self.value is None or (isinstance(self.value, str) and self.value.strip() == ""):
            return f"{where}, column {self.column} {self.message}"
        return f"{where}, column {self.column}: {_shown(self.value)} {self.message}"


def _shown(value: Any, limit: int = 60) -> str:
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


@dataclass(frozen=True)
class FileSpec:
    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]


@dataclass
class CsvTable:
    """The rows of one file as column -> cell text, each with its spreadsheet line number."""

    name: str
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # False when the header itself is unusable (missing required columns): rows are not checked
    # one by one, since every row would repeat the same complaint.
    rows_checkable: bool = True


def _decode(spec: FileSpec, data: bytes, problems: list[Problem]) -> str | None:
    try:
        # utf-8-sig drops the byte-order mark Excel writes with "CSV UTF-8".
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.append(
            Problem(
                spec.name, line, None, None,
                f"is not UTF-8 text (byte 0x{data[exc.start]:02X}); save it as 'CSV UTF-8' and try again",
            )
        )
        return None


def _check_header(spec: FileSpec, header: list[str], problems: list[Problem]) -> tuple[list[str], bool]:
    columns = [cell.strip().lower() for cell in header]
    seen: set[str] = set()
    for position, column in enumerate(columns, start=1):
        if column == "":
            problems.append(Problem(spec.name, 1, None, None, f"column {position} of the header has no name"))
        elif column in seen:
            problems.append(Problem(spec.name, 1, column, None, "appears twice in the header"))
        elif column not in spec.columns:
            problems.append(
                Problem(
                    spec.name, 1, column, None,
                    f"is not a known column of {spec.name} (known: {', '.join(spec.columns)})",
                )
            )
        seen.add(column)
    missing = [c for c in spec.required if c not in seen]
    for column in missing:
        problems.append(Problem(spec.name, 1, column, None, "is a required column and is missing from the header"))
    return columns, not missing


def read_table(spec: FileSpec, path: Path, problems: list[Problem]) -> CsvTable:
    """Read path into a CsvTable, appending every file-level and shape problem to problems."""
    table = CsvTable(spec.name)
    text = _decode(spec, path.read_bytes(), problems)
    if text is None:
        table.rows_checkable = False
        return table
    if text.strip() == "":
        problems.append(Problem(spec.name, None, None, None, "is empty: a header row is needed"))
        table.rows_checkable = False
        return table
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 0
    try:
        for cells in reader:
            line += 1
            if line == 1:
                table.columns, table.rows_checkable = _check_header(spec, cells, problems)
                continue
            if all(cell.strip() == "" for cell in cells):
                continue  # blank rows (often trailing ",,,," from a spreadsheet) carry nothing
            if len(cells) != len(table.columns):
                problems.append(
                    Problem(
                        spec.name, line, None, None,
                        f"has {len(cells)} cells but the header has {len(table.columns)} columns",
                    )
                )
                continue
            table.rows.append((line, dict(zip(table.columns, cells, strict=True))))
    except csv.Error as exc:
        problems.append(Problem(spec.name, line + 1, None, None, f"cannot be read as CSV: {exc}"))
        table.rows_checkable = False
    return table
