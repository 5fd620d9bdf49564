#!/usr/bin/env bash
# Host overhead of one collector following N containers at a 10 s stats interval (target: ≤ ⅓ of the original's cost; BENCHMARKS.md):
# the collector's own CPU and RSS, and the extra CPU it causes in dockerd + containerd, for both stats sources.
#
#   [BIN=path] Benchmarks/collector-overhead.sh [containers=100] [seconds=120]
#
# Needs: a running dockerd (scripts/test-env.sh), the local test image, and a release binary
# (swift build -c release --product docker-librato). The hub runs beside it with a dry-run sink into /dev/null.
# CPU is read from /proc/<pid>/stat (utime + stime) at the start and end of the window: % of one core.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
WINDOW=${2:-120}
BIN=${BIN:-.build/release/docker-librato}  # BIN=deploy/dist/docker-librato: the shipped static binary
DOCKER=/usr/bin/docker
[ -x "$BIN" ] || { echo "build first: swift build -c release --product docker-librato"; exit 1; }
LABEL=dl-bench=$$
TICKS=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/dl-bench.XXXXXX)

cleanup() {
  set +e
  [ -n "${COLLECTOR:-}" ] && kill "$COLLECTOR" 2>/dev/null
  [ -n "${HUB:-}" ] && kill "$HUB" 2>/dev/null
  ids=$($DOCKER ps -aq --filter "label=$LABEL"); [ -n "$ids" ] && $DOCKER rm -f $ids >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sum_ticks() { local t=0; for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done; echo $t; }
daemon_pids() { pgrep -x dockerd; pgrep -x containerd; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
anon_kib() { awk '/RssAnon/ {print $2}' "/proc/$1/status"; }
pct() { awk -v t="$1" -v w="$WINDOW" -v hz="$TICKS" 'BEGIN { printf "%.2f", t / hz / w * 100 }'; }

echo "starting $N containers (each logs one line every 5 s)"
for i in $(seq 1 "$N"); do
  $DOCKER run -d --network none --label "$LABEL" --name "dl-bench-$$-$i" local/busybox \
    sh -c 'while true; do echo "tick measure#work=3ms"; sleep 5; done' >/dev/null
done
sleep 10

measure_daemons() { local a b; a=$(sum_ticks $(daemon_pids)); sleep "$WINDOW"; b=$(sum_ticks $(daemon_pids)); echo $((b - a)); }
echo "baseline: dockerd + containerd over ${WINDOW}s without a collector"
BASE=$(measure_daemons)

run_source() {
  local source=$1 port=$((25000 + RANDOM % 5000))
  $BIN hub --no-cluster-key --listen tcp://127.0.0.1:$port --ack-listen tcp://127.0.0.1:$((port + 1)) --http-listen off \
    --dry-run-output /dev/null >"$WORK/hub.log" 2>&1 &
  HUB=$!
  STATS_SOURCE=$source INCLUDE_LABELS=$LABEL STATS_INTERVAL=10 HUB_ADDRESS=tcp://127.0.0.1:$port LOG_LEVEL=warning \
    $BIN collector --no-cluster-key >"$WORK/collector.log" 2>&1 &
  COLLECTOR=$!
  sleep 30  # warm up: first listing, log followers, first samples
  local c0 d0 c1 d1 rss anon
  c0=$(cpu_ticks $COLLECTOR); d0=$(sum_ticks $(daemon_pids))
  sleep "$WINDOW"
  c1=$(cpu_ticks $COLLECTOR); d1=$(sum_ticks $(daemon_pids)); rss=$(rss_kib $COLLECTOR); anon=$(anon_kib $COLLECTOR)
  kill $COLLECTOR $HUB; wait $COLLECTOR $HUB 2>/dev/null || true
  COLLECTOR=""; HUB=""
  local extra=$(( (d1 - d0) - BASE ))
  [ $extra -lt 0 ] && extra=0
  echo "| $source | $N | $(pct $((c1 - c0))) % | $(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }') MiB ($(awk -v k="$anon" 'BEGIN { printf "%.1f", k / 1024 }') MiB anon) | $(pct $extra) % | $(pct $(( (c1 - c0) + extra ))) % |"
}

echo
echo "| stats source | containers | collector CPU (of one core) | collector RSS (anonymous part) | extra dockerd+containerd CPU | total |"
echo "|---|---|---|---|---|---|"
run_source cgroup
run_source api
