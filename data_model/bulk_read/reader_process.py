"""The process that reads SQLite with connectorx for bulk_read.columnar: standard library, connectorx, pyarrow.

Run by path (`python reader_process.py`), never imported: connectorx carries its own copy of SQLite, and
two copies in one process break each other's POSIX locks (https://sqlite.org/howtocorrupt.html, 2.2.1),
so the copy of the process that asks (the app server, a command) never shares a process with this one.

stdin: one JSON request {"source": connectorx URL, "check": SQL, "expect": the check's answer on the
asking session, "queries": {name: SQL}, "partition_on": a column each query is read in two halves by}.
stdout: a JSON header line {"consistent": bool}, then per query in the request's order (when the read
held, below) an 8-byte little-endian length and that many bytes of an Arrow IPC stream. Nothing else
reaches stdout: the file descriptor is kept for the data, and what libraries print goes to stderr.

Consistency: each query runs on a connection of its own (two for a table read in halves), so each sees
the data as it was when it began. `check` names the data (the newest audit entry readers are shown and
the newest finished import; every write is audited, and SQLite commits one writer at a time, in id
order). Equal to `expect` before and after every query, no write committed in between, and every query
saw what the asking session's snapshot holds; otherwise the header says the read did not hold.
"""

from __future__ import annotations

import json
import os
import struct
import sys


def _read(request: dict) -> tuple[bool, dict]:
    import connectorx as cx

    source, check, expect = request["source"], request["check"], request["expect"]

    def version() -> list:
        row = cx.read_sql(source, check, return_type="arrow").to_pylist()[0]
        return list(row.values())

    tables: dict = {}
    if version() != expect:
        return False, tables
    for name, sql in request["queries"].items():
        tables[name] = cx.read_sql(
            source, sql, return_type="arrow", partition_on=request["partition_on"], partition_num=2
        )
    return version() == expect, tables


def main() -> int:
    # the data's own descriptor; fd 1 then points at stderr, so a library's print cannot corrupt the data
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    import pyarrow as pa

    request = json.loads(sys.stdin.read())
    consistent, tables = _read(request)
    out.write((json.dumps({"consistent": consistent}) + "\n").encode())
    for name in request["queries"] if consistent else ():  # a read that never held is not sent
        sink = pa.BufferOutputStream()
        table = tables[name]
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        body = sink.getvalue()
        out.write(struct.pack("<Q", body.size))
        out.write(memoryview(body))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
