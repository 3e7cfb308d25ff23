"""One of TestPyIcebergConcurrentWriters' writers.

argv: catalog URI, writer number, commits, rows per commit. Appends to
conc.t (created by the test: id long, writer long) `commits` batches of
`rows` rows with ids writer*1_000_000 + n, each its own commit. A commit
that loses the race (CommitFailedException, 409: the table moved since
this writer loaded it) is retried on a fresh load, as PyIceberg leaves
retries to its caller, up to 200 times per batch. Prints one JSON object:
the commits made and the conflicts retried.
"""
import json
import sys

import pyarrow as pa
from pyiceberg.catalog.rest import RestCatalog
from pyiceberg.exceptions import CommitFailedException

uri, writer, commits, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cat = RestCatalog("tributary", uri=uri)
schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("writer", pa.int64(), nullable=False)])
made = conflicts = 0
for c in range(commits):
    first = writer * 1_000_000 + c * rows
    batch = pa.table({"id": list(range(first, first + rows)), "writer": [writer] * rows}, schema=schema)
    for attempt in range(200):
        tbl = cat.load_table(("conc", "t"))
        try:
            tbl.append(batch)
            made += 1
            break
        except CommitFailedException:
            conflicts += 1
    else:
        sys.exit(f"writer {writer}: batch {c} not committed after 200 attempts")
print(json.dumps({"commits": made, "conflicts": conflicts}))
