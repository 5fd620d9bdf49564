#!/usr/bin/env bash
# Sample → Librato request latency (target: ≤ one period + 5 s), measured on the real pipeline: `standalone`
# (collector + hub, ipc://) following a few containers, its dry-run sink appending each request to a file that this
# script follows (tail -F) and timestamps on arrival.
#
#   Benchmarks/end-to-end-latency.sh [period_ms=10000] [seconds=120]
#
# For every request: worst = arrival − measure_time (measure_time is the period start, so this bounds the latency
# of the period's earliest possible sample) and after_close = arrival − period end. The first two periods (startup
# grace) are skipped. Needs a running dockerd, the local test image and a release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
PERIOD=${1:-10000}
WINDOW=${2:-120}
BIN=.build/release/docker-librato
DOCKER=/usr/bin/docker
[ -x "$BIN" ] || { echo "build first: swift build -c release --product docker-librato"; exit 1; }
LABEL=dl-latency=$$
WORK=$(mktemp -d /tmp/dl-latency.XXXXXX)
cleanup() {
  set +e
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null
  ids=$($DOCKER ps -aq --filter "label=$LABEL"); [ -n "$ids" ] && $DOCKER rm -f $ids >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

for i in 1 2 3; do
  $DOCKER run -d --network none --label "$LABEL" local/busybox sh -c 'while true; do echo "count#ticks=1"; sleep 1; done' >/dev/null
done
touch "$WORK/requests"
INCLUDE_LABELS=$LABEL STATS_INTERVAL=2 LIBRATO_PERIOD=$PERIOD STATE_DIR=$WORK/state LOG_LEVEL=warning \
  $BIN standalone --dry-run-output "$WORK/requests" >"$WORK/standalone.log" 2>&1 &
PID=$!

start_ms=$(date +%s%3N)
end_ms=$((start_ms + WINDOW * 1000))
# One request body per line; the body's smallest measure_time is the oldest period it carries.
timeout "$((WINDOW + 5))" tail -n +1 -F "$WORK/requests" 2>/dev/null | while IFS= read -r line; do
  case "$line" in *measure_time*) ;; *) continue ;; esac
  now=$(date +%s%3N)
  t=$(grep -o '"measure_time":[0-9]*' <<<"$line" | cut -d: -f2 | sort -n | head -1)
  echo "$now $t"
  [ "$now" -ge "$end_ms" ] && break
done >"$WORK/arrivals" || true

awk -v p="$PERIOD" -v s="$start_ms" '
  { arrival = $1; period_start = $2 * 1000
    if (period_start < s + 2 * p) next   # startup grace: the first periods wait for every collector
    worst = arrival - period_start; after = worst - p; n++
    if (worst > max_worst) max_worst = worst; if (after > max_after) max_after = after; sum_after += after }
  END {
    if (n == 0) { print "no requests after the startup periods"; exit 1 }
    printf "| %d ms | %d | %.1f s | %.1f s | %.1f s | %.1f s |\n", p, n, max_worst / 1000, (p + 5000) / 1000, max_after / 1000, sum_after / n / 1000
  }' "$WORK/arrivals" | {
  echo "| period | requests | worst sample→request | target (period + 5 s) | max after period end | mean after period end |"
  echo "|---|---|---|---|---|---|"
  cat
}
