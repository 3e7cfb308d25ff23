#!/usr/bin/env bash
# Builds and runs the Spark check against a running node's Iceberg catalog:
#   interop/spark/run.sh [--catalog http://127.0.0.1:8181] [--read shop.orders] [--write ns.spark_made]
# SPARK_LOG=info (or debug) sets Spark's and Iceberg's log level.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mvn -q -B -ntp -f "$here/pom.xml" compile
props=()
if [ -n "${SPARK_LOG:-}" ]; then
  props+=("-Dtributary.log.level=$SPARK_LOG")
fi
args=("$@")
case " $* " in
*" --catalog "*) ;;
*) args=(--catalog http://127.0.0.1:8181 "${args[@]}") ;;
esac
SPARK_LOCAL_IP=127.0.0.1 exec java @"$here/jvm.options" "${props[@]}" \
  -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" \
  io.tributary.interop.SparkCheck "${args[@]}"
