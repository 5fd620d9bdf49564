#!/usr/bin/env bash
# The FleetSim runs recorded in BENCHMARKS.md ("Fleet scale"), one after the other (each takes 5–8 minutes).
#   Benchmarks/fleet-runs.sh [run ...]      runs: n10 n100 n1000 n1000-t1 kill rate-fits rate-over two-hubs (default: all)
# Builds the hub and FleetSim in release first. Output: one block per run on stdout.
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${FLEET_NO_BUILD:-}" ]; then
  swift build -c release --product docker-librato 2>&1 | grep -E "error|Compiling|Build" | tail -3
  swift build -c release --product FleetSim 2>&1 | grep -E "error|Build" | tail -2
fi
sim() { echo "### FleetSim $*"; .build/release/FleetSim "$@"; echo; }
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(n10 n100 n1000 n1000-t1 kill rate-fits rate-over two-hubs)
for r in "${runs[@]}"; do
  case "$r" in
    n10) sim --collectors 10 --containers 100 --interval 10 --seconds 180 ;;
    n100) sim --collectors 100 --containers 100 --interval 10 --seconds 180 ;;
    n1000) sim --collectors 1000 --containers 100 --interval 10 --seconds 180 ;;
    n1000-t1) sim --collectors 1000 --containers 100 --interval 1 --seconds 180 ;;
    kill) sim --collectors 1000 --containers 100 --interval 10 --seconds 240 --kill-hub-after 60 ;;
    # Librato's limit as measurements per minute-long window: 20 hosts × 100 containers post ~60 k a minute.
    rate-fits) sim --collectors 20 --containers 100 --interval 10 --seconds 180 --rate-limit 120000 --rate-window 60 ;;
    # The hub logs each period's cut by class at info; FLEETSIM_KEEP=1 keeps the log.
    rate-over) sim --collectors 20 --containers 100 --interval 10 --seconds 180 --rate-limit 20000 --rate-window 60 --hub-env LOG_LEVEL=info ;;
    two-hubs) sim --collectors 200 --containers 100 --interval 10 --seconds 180 --hubs 2 ;;
    *) echo "unknown run $r"; exit 2 ;;
  esac
done
