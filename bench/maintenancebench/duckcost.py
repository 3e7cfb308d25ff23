"""What DuckDB's iceberg_scan pays per data file, per manifest, per
manifest entry and per snapshot, on a static table (nothing commits).

Usage (in the bench's virtualenv, ~/.cache/tributary/maintenancebench-venv):

    go run ./bench/maintenancebench --no-queries --bytes 24MiB --dir D --pristine P
    python bench/maintenancebench/duckcost.py P/objects/bench/orders-*/metadata/00055-*.metadata.json

The table given must be one of small files, one per ingest commit (the
pristine copy above: 54 files of 2000 rows, one manifest each). From its
files and manifest entries the script writes metadata variants beside
each other in a temporary directory, every one a single snapshot over the
same Parquet files (nothing is rewritten but manifests):

- k files (k = 1, 2, 4, 8, 16) in k manifests, and in one manifest;
- 16 files in one manifest whose entries carry no column statistics;
- 16 files in one manifest plus one manifest of the other files as
  DELETED entries (what a compaction's replace snapshot leaves);
- 16 files in one manifest, metadata.json with 450 snapshots.

For each it times, alternating variants so load swings hit all alike,
EXPLAIN (DuckDB binds iceberg_scan there: metadata.json, manifest list,
manifests) and SELECT count(*) (bind plus opening every Parquet footer),
and prints the medians and the fitted slopes.
"""

import copy
import json
import os
import statistics
import sys
import tempfile
import time

import duckdb
import duckdb_ext
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.manifest import (ManifestEntry, ManifestEntryStatus,
                                write_manifest, write_manifest_list)
from pyiceberg.table import StaticTable

RUNS = int(os.environ.get("RUNS", "15"))


def connect():
    extdir = os.path.join(list(duckdb_ext.__path__)[0], "extensions")
    con = duckdb.connect(config={"extension_directory": extdir, "autoinstall_known_extensions": False,
                                 "autoload_known_extensions": True})
    for ext in ("avro", "iceberg"):
        con.load_extension(ext)
    return con


class Variants:
    def __init__(self, meta, out):
        self.meta, self.out, self.io = meta, out, PyArrowFileIO()
        self.tbl = StaticTable.from_metadata(meta)
        self.snap = self.tbl.current_snapshot()
        self.manifests = self.snap.manifests(self.tbl.io)
        self.entries = [e for m in self.manifests for e in m.fetch_manifest_entry(self.tbl.io, discard_deleted=True)]
        if len(self.manifests) < 16 or len(self.entries) != len(self.manifests):
            sys.exit(f"{meta}: {len(self.entries)} files in {len(self.manifests)} manifests; want one small file per manifest, at least 16")

    def manifest(self, name, entries, status=ManifestEntryStatus.EXISTING, strip=False):
        path = os.path.join(self.out, name + "-m.avro")
        with write_manifest(2, self.tbl.spec(), self.tbl.schema(), self.io.new_output(path),
                            self.snap.snapshot_id, "deflate") as w:
            for e in entries:
                df = e.data_file
                if strip:  # column_sizes .. upper_bounds
                    df = copy.copy(df)
                    df._data = list(df._data)
                    for i in range(6, 12):
                        df._data[i] = {}
                entry = ManifestEntry.from_args(status=status, snapshot_id=e.snapshot_id, sequence_number=e.sequence_number,
                                                file_sequence_number=e.file_sequence_number, data_file=df)
                if status == ManifestEntryStatus.DELETED:
                    w.delete(entry)
                else:
                    w.existing(entry)
            return w.to_manifest_file()

    def table(self, name, manifests, snapshots=1):
        ml = os.path.join(self.out, name + "-snap.avro")
        with write_manifest_list(2, self.io.new_output(ml), self.snap.snapshot_id, None,
                                 self.snap.sequence_number, "deflate") as w:
            w.add_manifests(manifests)
        with open(self.meta.removeprefix("file://")) as f:
            md = json.load(f)
        cur = dict(next(s for s in md["snapshots"] if s["snapshot-id"] == md["current-snapshot-id"]))
        cur.pop("parent-snapshot-id", None)
        cur["manifest-list"] = "file://" + ml
        md["snapshots"] = [cur] + [dict(cur, **{"snapshot-id": cur["snapshot-id"] + i, "sequence-number": 0})
                                   for i in range(1, snapshots)]
        md["snapshot-log"], md["metadata-log"] = [], []
        path = os.path.join(self.out, name + ".metadata.json")
        with open(path, "w") as f:
            json.dump(md, f)
        return path

    def all(self):
        v = {}
        for k in (1, 2, 4, 8, 16):
            v[f"{k} files, {k} manifests"] = self.table(f"f{k}m{k}", self.manifests[:k])
            v[f"{k} files, 1 manifest"] = self.table(f"f{k}m1", [self.manifest(f"f{k}m1", self.entries[:k])])
        one16 = self.manifest("f16", self.entries[:16])
        v["16 files, 1 manifest, no column stats"] = self.table(
            "f16nostats", [self.manifest("f16nostats", self.entries[:16], strip=True)])
        dead = self.manifest("dead", self.entries[16:], status=ManifestEntryStatus.DELETED)
        v[f"16 files, 1 manifest + 1 of {len(self.entries) - 16} DELETED"] = self.table("f16dead", [one16, dead])
        v["16 files, 1 manifest, 450 snapshots"] = self.table("f16s450", [one16], snapshots=450)
        return v


def bench(con, variants):
    res = {k: ([], []) for k in variants}
    for i in range(RUNS + 1):  # the first round warms
        for k, m in variants.items():
            t0 = time.perf_counter()
            con.sql(f"EXPLAIN SELECT count(*) FROM iceberg_scan('{m}')").fetchall()
            t1 = time.perf_counter()
            con.sql(f"SELECT count(*) FROM iceberg_scan('{m}')").fetchall()
            t2 = time.perf_counter()
            if i:
                res[k][0].append((t1 - t0) * 1e3)
                res[k][1].append((t2 - t1) * 1e3)
    return {k: (statistics.median(b), statistics.median(c)) for k, (b, c) in res.items()}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory(prefix="duckcost") as out:
        variants = Variants(sys.argv[1], out).all()
        got = bench(connect(), variants)
    print(f"DuckDB {duckdb.__version__}, median of {RUNS}; load average {os.getloadavg()[0]:.1f}")
    for k, (b, c) in got.items():
        print(f"  {k:46s} bind {b:7.2f} ms   count(*) {c:7.2f} ms")
    g = lambda k, i: got[k][i]
    print("slopes (count(*), ms):")
    print(f"  per extra manifest (16 files in 16 vs 1)   {(g('16 files, 16 manifests', 1) - g('16 files, 1 manifest', 1)) / 15:6.2f}")
    print(f"  per extra data file (1 manifest, 16 vs 1)  {(g('16 files, 1 manifest', 1) - g('1 files, 1 manifest', 1)) / 15:6.2f}")
    print(f"  of which bind                              {(g('16 files, 1 manifest', 0) - g('1 files, 1 manifest', 0)) / 15:6.2f}")
    dead = next(k for k in got if "DELETED" in k)
    print(f"  a manifest of DELETED entries ({dead.split(' of ')[1].split()[0]})          {g(dead, 1) - g('16 files, 1 manifest', 1):6.2f}")
    print(f"  column statistics of 16 entries            {g('16 files, 1 manifest', 1) - g('16 files, 1 manifest, no column stats', 1):6.2f}")
    print(f"  449 more snapshots in metadata.json        {g('16 files, 1 manifest, 450 snapshots', 1) - g('16 files, 1 manifest', 1):6.2f}")


if __name__ == "__main__":
    main()
