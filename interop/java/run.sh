#!/usr/bin/env bash
# Builds and runs the Kafka Java client check against a running broker:
#   interop/java/run.sh 127.0.0.1:9092 [--records N] [--codecs none,gzip,...]
# --debug (first argument) logs every request and response of the client.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
props=()
if [ "${1:-}" = "--debug" ]; then
  props+=(-Dorg.slf4j.simpleLogger.log.org.apache.kafka=debug)
  shift
fi
mvn -q -B -ntp -f "$here/pom.xml" compile
exec java "${props[@]}" -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" \
  io.tributary.interop.JavaClientCheck "$@"
