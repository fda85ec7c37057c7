"""Reading one import CSV strictly: UTF-8 (BOM allowed), a known header, whole rows, spreadsheet line numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
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


class CsvRows:
    """The well-formed rows of a file as (line, column -> cell text), read again from the file on each
    pass: a million rows as dicts would take gigabytes, the file itself a few dozen megabytes."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.columns: list[str] = []
        self.count = 0  # rows a pass yields
        self.records = 0  # records read before the end of the file (or a record that cannot be read)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        if not self.count or self.path is None:
            return
        # read_table decoded and parsed the whole file once, so this pass meets no error before `records`
        with self.path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream, strict=True)
            for line in range(1, self.records + 1):  # never a record further: it may be the unreadable one
                cells = next(reader)
                if line > 1 and len(cells) == len(self.columns) and not all(c.strip() == "" for c in cells):
                    yield line, dict(zip(self.columns, cells, strict=True))


@dataclass
class CsvTable:
    """The rows of one file as column -> cell text, each with its spreadsheet line number."""

    name: str
    columns: list[str] = field(default_factory=list)
    rows: CsvRows = field(default_factory=CsvRows)
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
                spec.name,
                line,
                None,
                None,
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
                    spec.name,
                    1,
                    column,
                    None,
                    f"is not a known column of {spec.name} (known: {', '.join(spec.columns)})",
                )
            )
        seen.add(column)
    missing = [c for c in spec.required if c not in seen]
    for column in missing:
        problems.append(Problem(spec.name, 1, column, None, "is a required column and is missing from the header"))
    return columns, not missing


def same_file_clashes(names: Iterable[str]) -> list[Problem]:
    """Files that would be read as the same table (one name in two cases, or one name given twice): each
    is refused by name, since reading one of them would drop the other in silence."""
    by_table: dict[str, list[str]] = {}
    for name in names:
        by_table.setdefault(name.strip().lower(), []).append(name)
    problems = []
    for held in by_table.values():
        for name in held[1:]:
            if name == held[0]:
                message = f"was given {len(held)} times: give each file once"
            else:
                message = f"is the same file as {held[0]} (case does not count): keep one of the two"
            problems.append(Problem(name, None, None, None, message))
    return problems


def _oversized_cell(text: str, start: int, limit: int) -> tuple[int, str]:
    """(position in its row, first characters) of the first cell longer than limit in the record at start."""
    position, cell_start, length, quoted, i = 0, start, 0, False, start
    while i < len(text) and length <= limit:
        ch = text[i]
        if quoted and ch == '"' and text[i + 1 : i + 2] == '"':
            length, i = length + 1, i + 2
            continue
        if ch == '"':
            quoted = not quoted
        elif quoted or ch not in ",\r\n":
            length += 1
        elif ch == ",":
            position, cell_start, length = position + 1, i + 1, 0
        else:
            break
        i += 1
    return position, text[cell_start : cell_start + 80].lstrip('"')


def read_table(spec: FileSpec, path: Path, problems: list[Problem]) -> CsvTable:
    """Read path into a CsvTable, appending every file-level and shape problem to problems."""
    table = CsvTable(spec.name)
    try:
        content = path.read_bytes()
    except OSError as exc:  # no permission, a broken link: said in one line, never a traceback
        problems.append(Problem(path.name, None, None, None, f"cannot be read ({exc.strerror or type(exc).__name__})"))
        table.rows_checkable = False
        return table
    text = _decode(spec, content, problems)
    if text is None:
        table.rows_checkable = False
        return table
    if text.strip() == "":
        problems.append(Problem(spec.name, None, None, None, "is empty: a header row is needed"))
        table.rows_checkable = False
        return table
    buffer = io.StringIO(text, newline="")
    reader = csv.reader(buffer, strict=True)
    line = 0
    while True:
        record_start = buffer.tell()
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(_unreadable(spec, table, text, record_start, line + 1, exc))
            table.rows_checkable = False
            break
        line += 1
        if line == 1:
            table.columns, table.rows_checkable = _check_header(spec, cells, problems)
            continue
        if all(cell.strip() == "" for cell in cells):
            continue  # blank rows (often trailing ",,,," from a spreadsheet) carry nothing
        if len(cells) != len(table.columns):
            problems.append(
                Problem(
                    spec.name,
                    line,
                    None,
                    None,
                    f"has {len(cells)} cells but the header has {len(table.columns)} columns",
                )
            )
            continue
        table.rows.count += 1
    table.rows.path, table.rows.columns, table.rows.records = path, table.columns, line
    return table


def _unreadable(spec: FileSpec, table: CsvTable, text: str, start: int, line: int, exc: csv.Error) -> Problem:
    limit = csv.field_size_limit()
    if "field larger than field limit" not in str(exc):
        return Problem(spec.name, line, None, None, f"cannot be read as CSV: {exc}")
    # csv says only that some field is too long: find which, so the report names the column.
    position, start_of_cell = _oversized_cell(text, start, limit)
    columns = table.columns or list(spec.columns)
    column = columns[position] if line > 1 and position < len(columns) else None
    where = "" if column is not None else f" (cell {position + 1} of the row)"
    return Problem(
        spec.name,
        line,
        column,
        start_of_cell,
        f"is longer than {limit:,} characters{where}: no cell of this import can be that long",
    )
