"""DuckDB against Tributary's built-in Iceberg REST catalog (e2e TestDuckDB).

Usage: duckdb_check.py CATALOG_URL CLIENT_ID CLIENT_SECRET TABLE

Loads the iceberg, avro and httpfs extensions from the duckdb-ext-* wheels
(extension_directory is where the wheels put them: nothing is downloaded),
ATTACHes the catalog with OAuth2 client credentials, asks what TestSpark's
SparkCheck asks Spark of TABLE, and prints each answer's rows as
'RESULT {"q": name, "row": {...}}' lines in the form TestSpark's checks read
(binary as base64, decimals as strings, timestamps as RFC 3339), then
writes through the catalog (CREATE TABLE AS; CREATE TABLE, INSERT ... SELECT,
INSERT) and prints those tables back, and 'OK' last. The judging is in the Go test.
"""

import base64
import datetime
import decimal
import json
import math
import os
import sys

import duckdb
import duckdb_ext


def conv(v):
    if v is None:
        return None
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        return v.astimezone(datetime.timezone.utc).isoformat()
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, dict):
        return {str(k): conv(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [conv(x) for x in v]
    return v


def emit(con, name, sql):
    rel = con.sql(sql)
    cols = rel.columns
    for row in rel.fetchall():
        print("RESULT " + json.dumps({"q": name, "row": {c: conv(x) for c, x in zip(cols, row)}}), flush=True)


def main():
    url, client_id, secret, tbl = sys.argv[1:5]
    extdir = os.path.join(list(duckdb_ext.__path__)[0], "extensions")
    con = duckdb.connect(config={
        "extension_directory": extdir,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
    })
    for ext in ("httpfs", "avro", "iceberg"):
        con.load_extension(ext)
    con.sql(f"""CREATE SECRET tributary_secret (TYPE ICEBERG, CLIENT_ID '{client_id}', CLIENT_SECRET '{secret}',
                OAUTH2_SERVER_URI '{url}/v1/oauth/tokens')""")
    con.sql(f"ATTACH 'tributary' AS t (TYPE ICEBERG, ENDPOINT '{url}', SECRET tributary_secret)")
    t = "t." + tbl
    emit(con, "count", f"""SELECT count(*) AS rows,
        count(DISTINCT CAST(kafka."partition" AS VARCHAR) || '/' || CAST(kafka."offset" AS VARCHAR)) AS distinct_offsets FROM {t}""")
    emit(con, "rows", f"""SELECT kafka."partition" AS "partition", kafka."offset" AS "offset",
        kafka.event_timestamp AS event_timestamp, key, val, headers FROM {t} ORDER BY 1, 2""")
    emit(con, "nested", f"""SELECT kafka."partition" AS "partition", kafka."offset" AS "offset", val.id AS id,
        val.big_u64 AS big_u64, val.money.currency AS currency, val.created AS created,
        val.lines[1].sku AS first_sku, map_extract_value(val.counters, 'c1') AS c1,
        headers[1].key AS header_key, decode(headers[1].value) AS header_value
        FROM {t} WHERE val.__err__ IS NULL AND val.__raw__ IS NULL ORDER BY 1, 2""")
    emit(con, "point", f"""SELECT kafka."partition" AS "partition", kafka."offset" AS "offset" FROM {t} WHERE val.id = 'order-7'""")
    emit(con, "pruned", f"""SELECT count(*) AS rows FROM {t} WHERE kafka.event_timestamp < TIMESTAMPTZ '2000-01-01 00:00:00+00'""")
    emit(con, "files", f"""SELECT sum(record_count) AS records, count(*) AS files FROM iceberg_metadata({t}) WHERE manifest_content = 'DATA'""")

    # CREATE TABLE AS: DuckDB 1.4 stages the create and writes the data
    # files first, into the table's directories, which the catalog makes
    # for a staged create on a local warehouse (DuckDB does not make parent
    # directories); then CREATE TABLE, INSERT ... SELECT, INSERT.
    con.sql("CREATE SCHEMA t.duck")
    con.sql(f"""CREATE TABLE t.duck.ctas AS SELECT val.id AS id, val.big_u64 AS big_u64
        FROM {t} WHERE val.__err__ IS NULL AND val.__raw__ IS NULL""")
    emit(con, "ctas", "SELECT id, big_u64 FROM t.duck.ctas ORDER BY id")
    con.sql("CREATE TABLE t.duck.made (id VARCHAR, big_u64 DECIMAL(20, 0))")
    con.sql(f"""INSERT INTO t.duck.made SELECT val.id, val.big_u64
        FROM {t} WHERE val.__err__ IS NULL AND val.__raw__ IS NULL""")
    con.sql("INSERT INTO t.duck.made VALUES ('added', 18446744073709551615)")
    emit(con, "made", "SELECT id, big_u64 FROM t.duck.made ORDER BY id")
    print("OK", flush=True)


if __name__ == "__main__":
    main()
