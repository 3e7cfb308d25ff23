#!/bin/bash
# Where a produce's time goes, broker side, beside the JVM client's figure.
#
#   bench/producestages/run.sh <tributary-binary> [records/s] [seconds]
#
# Starts `<binary> serve` (embedded defaults, temporary data directory,
# free 127.0.0.1 ports), creates a 6-partition topic, warms up with 20,000
# 1 KiB records, then runs Apache Kafka 4.4's ProducerPerformance (acks=all,
# as bench/comparebench does; jars through interop/kafkabroker's pom, cached
# in ~/.m2) paced at records/s (default 20000) for seconds (default 5). It
# prints the client's summary line, the broker's /metrics
# tributary_produce_stage_seconds and tributary_produce_latency_seconds over
# that run as p50/p99 interpolated within histogram buckets (as Prometheus'
# histogram_quantile), and, when `perf trace` is allowed, the broker's
# fsync/fdatasync calls over the run (count, p50, p99, max).
set -euo pipefail
BIN=$(realpath "$1"); RATE=${2:-20000}; SECS=${3:-5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/tributary-producestages
if [ ! -s "$CACHE/classpath.txt" ]; then
  mvn -B -ntp -q -f "$ROOT/interop/kafkabroker/pom.xml" -Dinterop.buildDir="$CACHE" generate-sources >/dev/null
fi
CP=$(cat "$CACHE/classpath.txt")
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
K=127.0.0.1:$(port); A=127.0.0.1:$(port)
"$BIN" serve --data-dir "$T/data" --kafka-addr "$K" --admin-addr "$A" \
  --registry-addr 127.0.0.1:0 --catalog-addr 127.0.0.1:0 >"$T/broker.log" 2>&1 &
BP=$!
PT=
cleanup() { [ -n "$PT" ] && kill -INT "$PT" 2>/dev/null; kill "$BP" 2>/dev/null; wait "$BP" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
for _ in $(seq 150); do curl -sf "http://$A/-/status" >/dev/null && break; sleep 0.2; done
J=(java -Xmx512m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP")
"${J[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$K" --create --topic stages --partitions 6 --replication-factor 1 >/dev/null
producer() { "${J[@]}" org.apache.kafka.tools.ProducerPerformance --topic stages --num-records "$1" --record-size 1024 \
  --throughput "$2" --producer-props acks=all bootstrap.servers="$K"; }
producer 20000 -1 >/dev/null
curl -sf "http://$A/metrics" >"$T/before"
if command -v perf >/dev/null; then
  perf trace -e fdatasync,fsync -p "$BP" -o "$T/trace" 2>/dev/null &
  PT=$!
  sleep 1
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
producer $((RATE * SECS)) "$RATE" | tail -1
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
curl -sf "http://$A/metrics" >"$T/after"
if [ -n "$PT" ]; then kill -INT "$PT" 2>/dev/null; wait "$PT" 2>/dev/null || true; PT=; fi
python3 - "$T/before" "$T/after" "$T/trace" <<'PY'
import os, re, sys
def load(p):
    h = {}
    for l in open(p):
        m = re.match(r'tributary_produce_(stage_seconds|latency_seconds)_bucket\{(.*)\} (\S+)', l)
        if m:
            lab = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
            h.setdefault(lab.get('stage', 'total (arrival to response)'), {})[float(lab['le'])] = float(m.group(3))
    return h
def quantile(b, phi):
    rank, ple, pc = phi * b[float('inf')], 0.0, 0.0
    for le in sorted(b):
        if b[le] >= rank:
            return ple if le == float('inf') else ple + (le - ple) * (rank - pc) / max(b[le] - pc, 1e-9)
        ple, pc = le, b[le]
a, b = load(sys.argv[1]), load(sys.argv[2])
for name in ['queue', 'object_write', 'index_commit', 'reply', 'total (arrival to response)']:
    if name not in b:
        continue
    d = {le: c - a.get(name, {}).get(le, 0) for le, c in b[name].items()}
    if d[float('inf')] == 0:
        continue
    print(f"broker {name:28s} n={int(d[float('inf')]):6d} p50={quantile(d, .5)*1e3:7.2f} ms p99={quantile(d, .99)*1e3:7.2f} ms")
if os.path.exists(sys.argv[3]):
    calls = {}
    for l in open(sys.argv[3]):
        m = re.search(r'\(\s*([\d.]+) ms\): \S+ (fsync|fdatasync)\(', l)
        if m:
            calls.setdefault(m.group(2), []).append(float(m.group(1)))
    for k, v in sorted(calls.items()):
        v.sort()
        print(f"syscall {k:10s} n={len(v):6d} p50={v[len(v)//2]:7.2f} ms p99={v[len(v)*99//100]:7.2f} ms max={v[-1]:7.2f} ms")
PY
