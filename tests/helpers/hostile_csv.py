"""The hostile CSV import tests' helpers: write a folder of files, import it, check all or nothing and places."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

from sqlalchemy import func, select

from data_model.db import read_session
from data_model.exchange.csv_folder.folder_import import SPECS, CsvImportFailed, import_csv_folder
from tests.helpers.hostile import TABLES, TODAY

_examples = itertools.count()


def next_example() -> int:
    """A number no earlier example of this process used: keeps folders and tags apart across examples."""
    return next(_examples)


def counts(engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {name: s.execute(select(func.count()).select_from(model)).scalar_one() for name, model in TABLES.items()}


def write_folder(root: Path, files: dict[str, bytes | str]) -> Path:
    folder = root / f"upload{next_example()}"
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return folder


def csv_text(rows: list[list[str]], newline: str = "\n") -> str:
    out = io.StringIO()
    # A cell holding a line break is quoted only when the break is in the line terminator: with "\n"
    # rows, quote every cell so a lone "\r" in a cell stays inside it (as any spreadsheet writes it).
    csv.writer(
        out, lineterminator=newline, quoting=csv.QUOTE_MINIMAL if newline == "\r\n" else csv.QUOTE_ALL
    ).writerows(rows)
    return out.getvalue()


def import_outcome(engine, folder: Path) -> tuple[bool, list, dict[str, int]]:
    """(ok, problems, counts before): asserts the all-or-nothing half of every hostile-input property."""
    before = counts(engine)
    try:
        report = import_csv_folder(engine, folder, "fuzz", TODAY)
    except CsvImportFailed as failure:
        assert counts(engine) == before, "a failed import wrote something"
        problems = failure.report.problems
        assert problems and failure.report.format().startswith("Nothing was imported")
        return False, problems, before
    added = {name: n - before[name] for name, n in counts(engine).items()}
    expected = {"patients": 0, "surgeries": 0, "visits": 0, "treatments": 0}
    for name, n in report.counts.items():
        expected[name.removesuffix(".csv")] = n
    expected["audit"] = sum(report.counts.values()) + 1
    assert added == expected, "a successful import wrote other rows than the files hold"
    return True, [], before


def assert_placed(problems, folder: Path, lines: dict[str, int]) -> None:
    """Every problem names a file of the folder; a row or cell problem its line (and a known column)."""
    for p in problems:
        assert p.file in {f.name for f in folder.iterdir()}, p
        assert p.line is None or 1 <= p.line <= lines[p.file] + 1, p
        if p.line is None:
            assert "is empty" in p.message or "holds none" in p.message, p
        if p.column is not None:
            assert p.column in SPECS[p.file].columns or p.line == 1, p
        assert str(p) and len(str(p)) < 400, "the report shows a value cut short, not a megabyte"
