"""The process that reads SQLite with connectorx for bulk_read.columnar: standard library, connectorx, pyarrow.

Run by path (`python reader_process.py`), never imported: connectorx carries its own copy of SQLite, and
two copies in one process break each other's POSIX locks (https://sqlite.org/howtocorrupt.html, 2.2.1),
so the copy of the process that asks (the app server, a command) never shares a process with this one.

stdin: one JSON request {"source": connectorx URL, "check": SQL, "queries": {name: SQL}, "partition_on":
a column each query is read in two halves by, "attempts": n}. stdout: a JSON header line {"consistent": bool, "attempts": n}, then per
query in the request's order (when the read held, below) an 8-byte little-endian length and that many
bytes of an Arrow IPC stream.

Consistency: each query runs on a connection of its own (and a partitioned one on several), so each
sees the data as it was when it began. `check` names the data (the newest audit entry readers are
shown; every write is audited, and SQLite commits one writer at a time, in id order): read before and
after every query, an equal answer means no write committed in between, so every query saw the same
data. Otherwise the whole read is made again, up to `attempts` times; the header says if it never held.
"""

from __future__ import annotations

import json
import struct
import sys


def _read(request: dict) -> tuple[bool, int, dict]:
    import connectorx as cx

    source, check = request["source"], request["check"]

    def version() -> object:
        return cx.read_sql(source, check, return_type="arrow").column(0).to_pylist()[0]

    tables: dict = {}
    attempts = max(1, int(request.get("attempts", 3)))
    for attempt in range(1, attempts + 1):
        before = version()
        for name, sql in request["queries"].items():
            tables[name] = cx.read_sql(
                source, sql, return_type="arrow", partition_on=request["partition_on"], partition_num=2
            )
        if version() == before:
            return True, attempt, tables
    return False, attempts, tables


def main() -> int:
    import pyarrow as pa

    request = json.loads(sys.stdin.read())
    consistent, attempts, tables = _read(request)
    out = sys.stdout.buffer
    out.write((json.dumps({"consistent": consistent, "attempts": attempts}) + "\n").encode())
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
