"""Run SQL statements in DuckDB against Tributary's built-in Iceberg REST
catalog (e2e TestDuckDBWrittenTableMaintenance).

Usage: duckdb_sql.py CATALOG_URL CLIENT_ID CLIENT_SECRET STATEMENT...

Loads the iceberg, avro and httpfs extensions from the duckdb-ext-* wheels,
ATTACHes the catalog as "t" with OAuth2 client credentials (as
duckdb_check.py does), runs each statement in order and prints the rows a
statement returns as 'RESULT {"q": <statement index>, "row": {...}}' lines,
then 'OK'.
"""

import json
import os
import sys

import duckdb
import duckdb_ext


def main():
    url, client_id, secret = sys.argv[1:4]
    con = duckdb.connect(config={
        "extension_directory": os.path.join(list(duckdb_ext.__path__)[0], "extensions"),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
    })
    for ext in ("httpfs", "avro", "iceberg"):
        con.load_extension(ext)
    con.sql(f"""CREATE SECRET tributary_secret (TYPE ICEBERG, CLIENT_ID '{client_id}', CLIENT_SECRET '{secret}',
                OAUTH2_SERVER_URI '{url}/v1/oauth/tokens')""")
    con.sql(f"ATTACH 'tributary' AS t (TYPE ICEBERG, ENDPOINT '{url}', SECRET tributary_secret)")
    for i, stmt in enumerate(sys.argv[4:]):
        rel = con.sql(stmt)
        if rel is None:
            continue
        cols = rel.columns
        for row in rel.fetchall():
            print("RESULT " + json.dumps({"q": str(i), "row": {c: x for c, x in zip(cols, row)}}, default=str), flush=True)
    print("OK", flush=True)


if __name__ == "__main__":
    main()
