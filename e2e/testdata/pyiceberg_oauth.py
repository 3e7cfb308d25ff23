# PyIceberg against the built-in catalog over HTTPS with OAuth2 client
# credentials (the catalog's /v1/oauth/tokens, users of the Kafka
# listener). Run by TestPyIcebergOAuth2OverTLS; the CA comes from
# REQUESTS_CA_BUNDLE. Prints one JSON object.
import json
import sys

import pyarrow as pa
from pyiceberg.catalog import load_catalog

uri, writer, reader = sys.argv[1:4]
out = {}
cat = load_catalog("w", type="rest", uri=uri, credential=writer, scope="catalog")
cat.create_namespace("pyoauth")
tbl = cat.create_table("pyoauth.events", schema=pa.schema([pa.field("id", pa.int64())]))
tbl.append(pa.table({"id": pa.array([1, 2, 3], pa.int64())}))
out["rows"] = cat.load_table("pyoauth.events").scan().to_arrow().num_rows

rd = load_catalog("r", type="rest", uri=uri, credential=reader, scope="catalog")
out["reader_tables"] = [".".join(t) for t in rd.list_tables("pyoauth")]
try:
    rd.create_namespace("pyoauth_reader")
    out["reader_create"] = "created"
except Exception as e:  # ForbiddenError
    out["reader_create"] = type(e).__name__
try:
    load_catalog("b", type="rest", uri=uri, credential=writer.split(":")[0] + ":wrong", scope="catalog").list_namespaces()
    out["bad_secret"] = "listed"
except Exception as e:  # OAuthError / NotAuthorizedError
    out["bad_secret"] = type(e).__name__
print(json.dumps(out))
