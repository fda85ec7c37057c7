"""The PostgreSQL half of bulk_read: the rows as CSV lines built server-side, parsed by pyarrow."""

# Floats are printed with extra_float_digits = 3 (shortest exact text on PostgreSQL 12+), dates as
# whole days since 1970, text quoted (an unquoted empty field is NULL). bulk_read.py's docstring has
# the whole design; tests/integration/test_bulk_read.py holds both halves to the ORM's frames.

from __future__ import annotations

from datetime import date

import numpy as np

from . import Arrays, Table, from_python, ordered, where_clause

EPOCH_DAY = np.datetime64("1970-01-01", "D")


def postgres_bulk(raw, table: Table, ids: list[int] | None, as_of: date | None) -> Arrays:
    import pyarrow as pa
    from pyarrow import csv as pacsv

    where, params = where_clause(table, ids, as_of, sqlite=False)
    fields, types = [], {}
    for c in table.columns:
        x = c.sql
        if c.kind == "id":
            fields.append(f"{x}::text")
            types[c.name] = pa.int64()
        elif c.kind == "float":
            fields.append(f"coalesce({x}::float8::text, '')")
            types[c.name] = pa.float64()
        elif c.kind == "flag":
            fields.append(f"coalesce({x}::int::text, '')")
            types[c.name] = pa.float64()
        elif c.kind in ("date", "date_or_null"):
            fields.append(f"coalesce(({x} - DATE '1970-01-01')::text, '')")
            types[c.name] = pa.int64()
        else:  # text, always quoted: an unquoted empty field is NULL
            fields.append(f"coalesce('\"' || replace({x}, '\"', '\"\"') || '\"', '')")
            types[c.name] = pa.string()
    line = " || ',' || ".join(fields)
    cursor = raw.cursor()
    try:
        cursor.execute("SET LOCAL extra_float_digits = 3")  # shortest exact float text (PostgreSQL 12+)
        cursor.execute(f"SELECT count(*), string_agg({line}, E'\\n') FROM {table.name} WHERE {where}", params)
        n, text = cursor.fetchone()
    finally:
        cursor.close()
    names = [c.name for c in table.columns]
    if not n:
        return ordered(table, {c.name: from_python(c.kind, ()) for c in table.columns})
    parsed = pacsv.read_csv(
        # the closing newline matters: pyarrow reads an empty last field of the last line as '' (not NULL)
        pa.py_buffer((text + "\n").encode("utf-8")),
        read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=False, null_values=[""]
        ),
    )
    del text
    if parsed.num_rows != n:
        raise RuntimeError(f"bulk read: {parsed.num_rows} rows parsed, {n} in {table.name}")
    out: Arrays = {}
    for c in table.columns:
        column = parsed.column(c.name)
        if c.kind == "id":
            out[c.name] = column.to_numpy().astype("int64", copy=False)
        elif c.kind in ("float", "flag"):
            out[c.name] = column.to_numpy(zero_copy_only=False).astype("float64", copy=False)
        elif c.kind in ("date", "date_or_null"):
            days = column.to_numpy(zero_copy_only=False)  # float with NaN where NULL
            out[c.name] = _days_to_dates(days)
        else:
            out[c.name] = np.array(column.to_pylist(), dtype=object)
    return ordered(table, out)


def _days_to_dates(days: np.ndarray) -> np.ndarray:
    days = np.asarray(days, dtype="float64")
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[D]")
    known = ~np.isnan(days)
    out[known] = EPOCH_DAY + days[known].astype("int64").astype("timedelta64[D]")
    return out.astype("datetime64[ns]")
