"""PyIceberg against Tributary's catalog (run by TestPyIceberg).

argv: catalog URI, credential (id:secret). Prints one JSON object: what
PyIceberg saw of the table iceberg-go wrote (kafka.events) and what it did
(py.events: create, two appends, schema evolution; a staged create; a
rename; a purge), for the Go test to check, and to read back with
iceberg-go.
"""
import json
import sys
from datetime import datetime, timezone

import pyarrow as pa
from pyiceberg.catalog.rest import RestCatalog
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import DayTransform
from pyiceberg.types import (ListType, LongType, MapType, NestedField,
                             StringType, StructType, TimestamptzType)

uri, credential = sys.argv[1], sys.argv[2]
cat = RestCatalog("tributary", uri=uri, credential=credential)
out = {}

# The table iceberg-go wrote.
go = cat.load_table(("kafka", "events"))
out["go_rows"] = sorted(r["id"] for r in go.scan().to_arrow().to_pylist())
out["go_names"] = [ns for ns in cat.list_namespaces()]

cat.create_namespace(("py",), {"owner": "python"})
schema = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "name", StringType()),
    NestedField(3, "ts", TimestamptzType(), required=True),
    NestedField(4, "addr", StructType(NestedField(7, "city", StringType()))),
    NestedField(5, "tags", ListType(8, StringType())),
    NestedField(6, "attrs", MapType(9, StringType(), 10, LongType())),
)
spec = PartitionSpec(PartitionField(source_id=3, field_id=1000, transform=DayTransform(), name="ts_day"))
tbl = cat.create_table(("py", "events"), schema, partition_spec=spec, properties={"format-version": "2"})


def batch(first, n):
    arrow_schema = tbl.schema().as_arrow()
    rows = [{
        "id": i, "name": f"p{i}",
        "ts": datetime.fromtimestamp(1_700_000_000 + (i % 2) * 86_400 + i, tz=timezone.utc),
        "addr": {"city": f"c{i}"}, "tags": [f"t{i}"], "attrs": {"k": i},
    } for i in range(first, first + n)]
    return pa.Table.from_pylist(rows, schema=arrow_schema)


tbl.append(batch(0, 3))
tbl.append(batch(3, 2))
with tbl.update_schema() as upd:
    upd.add_column("extra", StringType())
tbl = cat.load_table(("py", "events"))
out["py_rows"] = sorted(r["id"] for r in tbl.scan().to_arrow().to_pylist())
out["py_snapshots"] = len(tbl.metadata.snapshots)
out["py_columns"] = [f.name for f in tbl.schema().fields]

# A stale commit is refused (409) when PyIceberg may not retry it; when it
# may, it refreshes, replays and lands, and nothing is lost.
with tbl.transaction() as tx:
    tx.set_properties({"commit.retry.num-retries": "0"})
tbl = cat.load_table(("py", "events"))
stale = cat.load_table(("py", "events"))
tbl.append(batch(5, 1))
try:
    stale.append(batch(100, 1))
    out["stale"] = "accepted"
except CommitFailedException:
    out["stale"] = "CommitFailedException"
with tbl.transaction() as tx:
    tx.set_properties({"commit.retry.num-retries": "4"})
tbl = cat.load_table(("py", "events"))
stale = cat.load_table(("py", "events"))
tbl.append(batch(6, 1))
stale.append(batch(7, 1))
out["after_retry"] = sorted(r["id"] for r in cat.load_table(("py", "events")).scan().to_arrow().to_pylist())

# Stage-create through a create-table transaction.
with cat.create_table_transaction(("py", "staged"), schema) as txn:
    txn.set_properties(staged="yes")
out["staged"] = cat.load_table(("py", "staged")).properties.get("staged")

cat.rename_table(("py", "staged"), ("py", "renamed"))
out["tables"] = sorted(".".join(t) for t in cat.list_tables(("py",)))
cat.purge_table(("py", "renamed"))
try:
    cat.load_table(("py", "renamed"))
    out["purged"] = False
except NoSuchTableError:
    out["purged"] = True
out["exists"] = cat.table_exists(("py", "events"))

print(json.dumps(out))
