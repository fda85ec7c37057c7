"""`paintrail flags`: the flag worklist as a table, CSV (a stable contract other tools parse) or JSON.

De-identified unless an admin asks for --identified: a pseudonym instead of the MRN (the CSV's first
column is then `pseudonym`), no name, surgeon or date, and the dates inside reasons as weeks since surgery.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dashboard.cli.acting_account import AsUserOption, audit_command, export_action, export_key, open_as
from dashboard.cli.common import AsOfOption, DbOption, optional_date, site_today_of, user_errors

if TYPE_CHECKING:  # pandas is imported where the worklist is formatted, not for --help
    import pandas as pd

# The CSV contract (DESIGN.md): these columns, in this order; add new ones only at the end. De-identified,
# the first column is `pseudonym` instead (a tool joining on MRNs must not get pseudonyms unawares).
CSV_COLUMNS = ["mrn", "flags", "severity", "reasons", "procedure", "weeks_since_surgery", "current_pain"]
JSON_COLUMNS = [
    "mrn",
    "display_name",
    "procedure",
    "surgeon",
    "index_surgery_date",
    "prior_surgeries",
    "weeks_since_surgery",
    "window_weeks",
    "current_pain",
    "flags",
    "severity",
    "reasons",
    "reviewed",
]
TABLE_COLUMNS = [
    ("mrn", "MRN"),
    ("display_name", "Name"),
    ("procedure", "Procedure"),
    ("weeks_since_surgery", "Weeks"),
    ("current_pain", "Pain"),
    ("severity", "Severity"),
    ("why", "Flags and reasons"),
]
DEIDENTIFIED = {"mrn": "pseudonym"}  # the identifying column and what stands in for it
IDENTIFYING = ("display_name", "surgeon", "index_surgery_date")  # left out when de-identified


def _deidentified(columns: list[str]) -> list[str]:
    return [DEIDENTIFIED.get(c, c) for c in columns if c not in IDENTIFYING]


def _deidentified_table() -> list[tuple[str, str]]:
    return [
        ("pseudonym", "Pseudonym") if key == "mrn" else (key, header)
        for key, header in TABLE_COLUMNS
        if key not in IDENTIFYING
    ]


FLAG_SEPARATOR, REASON_SEPARATOR = ";", " | "  # as data_model.flags.worklist joins them
WIDE_OUTPUT = 160  # columns when the output is a file or a pipe rather than a terminal


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def _plain(value: Any) -> Any:
    """A JSON-ready value: unknown -> None, dates -> ISO text, numpy numbers -> Python, 1 decimal."""
    import pandas as pd

    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float | int) and not isinstance(value, bool) and pd.isna(value):
        return None
    if hasattr(value, "item") and not isinstance(value, pd.Timestamp):
        value = value.item()  # numpy scalar
    if isinstance(value, datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        value = round(value, 1)
        return int(value) if value.is_integer() else value
    return value


def _cell(value: Any) -> str:
    plain = _plain(value)
    return "" if plain is None else str(plain)


def _records(worklist: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    present = [c for c in columns if c in worklist.columns]
    return [
        {c: _plain(v) for c, v in zip(present, row, strict=True)} for row in worklist[present].itertuples(index=False)
    ]


def _number_text(value: float) -> str:
    """A float cell as _cell writes it: "" for NaN, else 1 decimal, "12" rather than "12.0"."""
    if value != value:  # NaN
        return ""
    value = round(value, 1)
    return str(int(value)) if value.is_integer() else str(value)


def _column_cells(column: pd.Series) -> list[str]:
    """Every cell of one column as _cell writes it, a whole column at a time: tens of thousands of
    rows, where a call of _cell per cell cost a second of `paintrail flags`."""
    import pandas as pd

    if pd.api.types.is_float_dtype(column.dtype):
        return [_number_text(v) for v in column.to_numpy(dtype="float64").tolist()]
    if column.dtype == object:
        values = column.tolist()
        if all(v is None or isinstance(v, str) for v in values):
            return ["" if v is None else v for v in values]
    return [_cell(v) for v in column.tolist()]


def worklist_csv(worklist: pd.DataFrame, identified: bool = True) -> str:
    columns = CSV_COLUMNS if identified else _deidentified(CSV_COLUMNS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    table = worklist.reindex(columns=columns)
    writer.writerows(zip(*(_column_cells(table[c]) for c in columns), strict=True))
    return out.getvalue()


def worklist_json(worklist: pd.DataFrame, identified: bool = True) -> str:
    columns = JSON_COLUMNS if identified else _deidentified(JSON_COLUMNS)
    return json.dumps(_records(worklist, columns), indent=2, ensure_ascii=False) + "\n"


def _why(flags: str | None, reasons: str | None) -> str:
    """Each flag code beside its own reason sentence (both are joined in the same order)."""
    codes = (flags or "").split(FLAG_SEPARATOR)
    sentences = (reasons or "").split(REASON_SEPARATOR)
    if len(codes) != len(sentences):
        return "\n".join(codes + sentences)
    return "\n".join(f"{code}: {sentence}" for code, sentence in zip(codes, sentences, strict=True))


def print_table(worklist: pd.DataFrame, as_of: date, identified: bool = True) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=WIDE_OUTPUT)
    if worklist.empty:
        console.print(f"No flagged patients as of {as_of.isoformat()}.")
        return
    kind = "" if identified else " (de-identified)"
    table = Table(title=f"{len(worklist)} flagged patients as of {as_of.isoformat()}{kind}", show_lines=True)
    shown = TABLE_COLUMNS if identified else _deidentified_table()
    for key, header in shown:
        wide = key in ("display_name", "why")
        table.add_column(
            header,
            justify="right" if key in ("weeks_since_surgery", "current_pain") else "left",
            no_wrap=not wide,
            ratio=(3 if key == "why" else 1) if wide else None,
        )
    for record in _records(worklist, JSON_COLUMNS if identified else _deidentified(JSON_COLUMNS)):
        record["why"] = _why(record.get("flags"), record.get("reasons"))
        # escape: a note or name with [brackets] must print as written, not as rich markup
        table.add_row(*["" if record.get(key) is None else escape(str(record[key])) for key, _ in shown])
    console.print(table)


def flags(
    as_user: AsUserOption,
    as_of: AsOfOption = None,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="table (to read), csv (mrn or pseudonym, flags, severity, reasons first; flags "
            "joined by ';') or json (a list of objects).",
        ),
    ] = OutputFormat.table,
    identified: Annotated[
        bool,
        typer.Option(
            "--identified",
            help="MRNs, names, surgeons and dates (admins only). Default: de-identified: "
            "a pseudonym per patient, no name, surgeon or date, weeks since surgery in the reasons.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Print the flag worklist: every flagged patient, most severe first, with the reasons in words.

    De-identified by default (clinicians and admins); --identified for admins. Audited under --as-user.
    """
    with user_errors():
        given = optional_date("--as-of", as_of)
        engine, user = open_as(db, as_user, export_action(identified), "flags")
        try:
            when = given or site_today_of(engine)
            from data_model.db import read_session
            from data_model.exchange.deidentify import deidentified_worklist
            from data_model.services.worklist import flag_worklist

            key = None if identified else export_key(engine, user)
            with read_session(engine) as session:
                worklist = flag_worklist(session, when)
            if key is not None:
                worklist = deidentified_worklist(worklist, key)
            audit_command(
                engine,
                user,
                "flags",
                {
                    "as_of": when.isoformat(),
                    "format": output.value,
                    "identified": identified,
                    "patients": int(len(worklist)),
                },
            )
        finally:
            engine.dispose()
    if output is OutputFormat.csv:
        typer.echo(worklist_csv(worklist, identified), nl=False)
    elif output is OutputFormat.json:
        typer.echo(worklist_json(worklist, identified), nl=False)
    else:
        print_table(worklist, when, identified)
