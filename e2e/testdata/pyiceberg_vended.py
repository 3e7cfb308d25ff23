"""PyIceberg with vended credentials (run by e2e TestVendedCredentials).

argv: catalog URI, a location in the bucket outside the warehouse. The client is configured with the catalog's URI and the
X-Iceberg-Access-Delegation: vended-credentials header only: no S3
endpoint, region or keys. It creates vend.t, appends 100 rows in two
commits, loads the table again and reads it back, then prints one JSON
object: the ids read, and the s3.* keys of the FileIO the table got (their
names only), for the Go test to check.
"""
import json
import sys

import pyarrow as pa
from pyiceberg.catalog.rest import RestCatalog
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType

uri, elsewhere = sys.argv[1], sys.argv[2]
cat = RestCatalog("tributary", uri=uri, **{"header.X-Iceberg-Access-Delegation": "vended-credentials"})
cat.create_namespace("vend")
schema = Schema(NestedField(1, "id", LongType(), required=True), NestedField(2, "name", StringType()))
tbl = cat.create_table(("vend", "t"), schema)
arrow_schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("name", pa.string())])
for start in (0, 50):
    ids = list(range(start, start + 50))
    tbl.append(pa.table({"id": ids, "name": [f"row-{i}" for i in ids]}, schema=arrow_schema))
# a table asked to be in the bucket outside the warehouse (allowed by default)
other = cat.create_table(("vend", "elsewhere"), schema, location=elsewhere)
other.append(pa.table({"id": [7], "name": ["seven"]}, schema=arrow_schema))
other_back = cat.load_table(("vend", "elsewhere"))
back = cat.load_table(("vend", "t"))
rows = back.scan().to_arrow().to_pylist()
print(json.dumps({
    "ids": sorted(r["id"] for r in rows),
    "names_ok": all(r["name"] == f"row-{r['id']}" for r in rows),
    "location": back.metadata.location,
    "io_keys": sorted(k for k in back.io.properties if k.startswith("s3.")),
    "elsewhere_location": other_back.metadata.location,
    "elsewhere_metadata": other_back.metadata_location,
    "elsewhere_rows": other_back.scan().to_arrow().to_pylist(),
}))
