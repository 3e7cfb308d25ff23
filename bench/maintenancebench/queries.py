"""Times maintenancebench's queries in DuckDB and PyIceberg.

Usage: queries.py   (then one JSON request a line on stdin)

A request is {"live": LOCATION, "one": LOCATION, "cut_us": N, "runs": R}:
the live table and its one-file copy, each at a metadata file the Go side
pinned (so both hold the same rows), and the event-time cut of the filter
query in microseconds. For each engine and query, the query runs once
untimed on each table (the engine warms: DuckDB's first query pays
loading its extensions, PyIceberg's its imports and the file system),
then R times on each, alternating live and one file so the machine's
load swings hit both alike; the answer is one JSON line
{"duckdb": [{"name", "live_s": [...], "one_s": [...], "live", "one"}, ...],
"pyiceberg": [...]} with the times and each table's result (the Go side
compares them). DuckDB reads a table with iceberg_scan on the metadata
file, its extensions from the duckdb-ext-* wheels (nothing is
downloaded); PyIceberg with StaticTable.from_metadata and pyarrow.
"""

import json
import os
import sys
import time
from urllib.parse import urlparse

import duckdb
import duckdb_ext
import pyarrow.compute as pc
from pyiceberg.expressions import GreaterThanOrEqual
from pyiceberg.table import StaticTable


def local(loc):
    """A file:// location as DuckDB's file system reads it (a path)."""
    u = urlparse(loc)
    return u.path if u.scheme == "file" else loc


def duck_connect():
    extdir = os.path.join(list(duckdb_ext.__path__)[0], "extensions")
    con = duckdb.connect(config={
        "extension_directory": extdir,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
    })
    for ext in ("avro", "iceberg"):
        con.load_extension(ext)
    con.sql("SET TimeZone = 'UTC'")
    return con


def duck_queries(con, loc, cut_us):
    t = f"iceberg_scan('{local(loc)}')"
    return [
        ("count(*)", lambda: con.sql(f"SELECT count(*) FROM {t}").fetchall()[0]),
        ("filter on event_timestamp", lambda: con.sql(
            f"SELECT count(*), sum(val.total.units) FROM {t} WHERE kafka.event_timestamp >= make_timestamptz({cut_us})").fetchall()[0]),
        ("sum(val.total.units)", lambda: con.sql(f"SELECT sum(val.total.units) FROM {t}").fetchall()[0]),
    ]


def py_sum(tbl, path):
    col = tbl
    for i, part in enumerate(path.split(".")):
        col = col.column(part) if i == 0 else pc.struct_field(col, part)
    return pc.sum(col).as_py()


def pyiceberg_queries(loc, cut_us):
    def table():
        return StaticTable.from_metadata(loc)

    def count():
        return (table().scan(selected_fields=("kafka.offset",)).to_arrow().num_rows,)

    def filtered():
        got = table().scan(row_filter=GreaterThanOrEqual("kafka.event_timestamp", cut_us),
                           selected_fields=("kafka.event_timestamp", "val.total.units")).to_arrow()
        return (got.num_rows, py_sum(got, "val.total.units"))

    def nested():
        return (py_sum(table().scan(selected_fields=("val.total.units",)).to_arrow(), "val.total.units"),)

    return [("count(*)", count), ("filter on event_timestamp", filtered), ("sum(val.total.units)", nested)]


def paired(live, one, runs):
    """Times each query alternately on the live table and on the one
    file (the machine's load swings hit both alike): one warming run of
    each, then runs pairs."""
    out = []
    for (name, ql), (_, qo) in zip(live, one):
        res = (ql(), qo())  # warm
        tl, to = [], []
        for _ in range(runs):
            for q, took, want in ((ql, tl, res[0]), (qo, to, res[1])):
                t0 = time.perf_counter()
                r = q()
                took.append(time.perf_counter() - t0)
                if r != want:
                    raise RuntimeError(f"{name}: {r} then {want} on the same snapshot")
        out.append({"name": name, "live_s": tl, "one_s": to,
                    "live": [str(x) for x in res[0]], "one": [str(x) for x in res[1]]})
    return out


def main():
    con = duck_connect()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        live, one, cut, runs = req["live"], req["one"], int(req["cut_us"]), int(req.get("runs", 5))
        try:
            ans = {"duckdb": paired(duck_queries(con, live, cut), duck_queries(con, one, cut), runs),
                   "pyiceberg": paired(pyiceberg_queries(live, cut), pyiceberg_queries(one, cut), runs)}
        except Exception as e:  # the Go side reports it and stops
            ans = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(ans), flush=True)


if __name__ == "__main__":
    main()
