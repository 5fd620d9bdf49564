#!/usr/bin/env bash
# Bytes per second the hub sends to each collector on its control (ack) connection, with N real collector processes
# on the local engine — the quantity that must not grow with the number of collectors.
#
#   [BIN=path] Benchmarks/control-bytes.sh [collectors=6] [seconds=30]
#
# Needs a running dockerd (scripts/test-env.sh) and a built binary (swift build --product docker-librato; a debug
# build is fine: bytes, not CPU, are measured). The hub runs with a dry-run sink into /dev/null and a cluster key.
# Bytes are the kernel's per-connection `bytes_acked` (ss -ti) of the hub's control port, summed over the
# collectors' connections, at the start and end of the window; loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-6}
WINDOW=${2:-30}
BIN=${BIN:-.build/debug/docker-librato}
[ -x "$BIN" ] || { echo "build first: swift build --product docker-librato"; exit 1; }
WORK=$(mktemp -d /tmp/dl-ctl.XXXXXX)
PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
DATA=$(port); CTL=$(port); HTTP=$(port)
"$BIN" keygen > "$WORK/key"
export CLUSTER_KEY_FILE="$WORK/key" LOG_LEVEL=warning
DRY_RUN_OUTPUT=/dev/null LIBRATO_PERIOD=10000 HUB_LISTEN="tcp://127.0.0.1:$DATA" HUB_ACK_LISTEN="tcp://127.0.0.1:$CTL" \
  HTTP_LISTEN="127.0.0.1:$HTTP" "$BIN" hub 2>"$WORK/hub.log" &
PIDS+=($!)
for i in $(seq 1 "$N"); do
  HUB_ADDRESS="tcp://127.0.0.1:$DATA" HUB_ACK_ADDRESS="tcp://127.0.0.1:$CTL" HOST_NAME="host-$i" STATS_INTERVAL=10 \
    "$BIN" collector 2>"$WORK/collector-$i.log" &
  PIDS+=($!)
done

acked() {
  ss -tinH state established "( sport = :$CTL )" | grep -o 'bytes_acked:[0-9]*' | cut -d: -f2 | awk '{s+=$1} END {print s+0}'
}
conns() { ss -tnH state established "( sport = :$CTL )" | wc -l; }
for _ in $(seq 1 100); do [ "$(conns)" -ge "$N" ] && break; sleep 0.2; done
sleep 5  # every collector connected and past its first frames
c0=$(conns); b0=$(acked); sleep "$WINDOW"; b1=$(acked); c1=$(conns)
awk -v n="$N" -v c0="$c0" -v c1="$c1" -v b="$((b1 - b0))" -v w="$WINDOW" 'BEGIN {
  printf "control: collectors=%d connections=%d/%d hub_sent_bytes_per_s=%.0f per_collector_bytes_per_s=%.1f\n", n, c0, c1, b / w, b / w / n }'
