#!/usr/bin/env bash
# Multi-host rehearsal on one machine: N dockerd instances stand in for N Docker hosts, each with a collector and a
# few containers; one hub; a Librato stand-in. Prints what reached "Librato": hosts, containers, series, requests.
#
#   deploy/rehearse.sh [--hosts N] [--containers M] [--clusters "a b"] [--binary PATH] [--timeout S] [--linger S]
#
# Hosts are assigned to the clusters in turn (default: 3 hosts, 2 containers each, clusters rehearsal-a and
# rehearsal-b), and the run passes when every container's metrics arrived under its own host's cluster and nowhere
# else. The collectors and the hub are the host binary (default: swift build -c release --static-swift-stdlib, as the
# image's); everything talks over 127.0.0.1. Each dockerd has its own socket, data root, exec root and pidfile and
# runs with --bridge=none --iptables=false: containers use --network none, nothing touches the host's network.
# Everything is removed on exit, failure and Ctrl-C included (daemons stopped, data roots deleted).
# Needs root, dockerd (docker.io), busybox-static, python3.
set -euo pipefail
# shellcheck source=testing/lib.sh
source "$(dirname "$0")/testing/lib.sh"

HOSTS=3 PER_HOST=2 CLUSTERS="rehearsal-a rehearsal-b" BINARY="" TIMEOUT=150 LINGER=0
while [ $# -gt 0 ]; do
    case "$1" in
    --hosts) HOSTS=$2; shift ;;
    --containers) PER_HOST=$2; shift ;;
    --clusters) CLUSTERS=$2; shift ;;
    --binary) BINARY=$2; shift ;;
    --timeout) TIMEOUT=$2; shift ;;
    --linger) LINGER=$2; shift ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "unknown option $1" ;;
    esac
    shift
done
[ "$(id -u)" -eq 0 ] || die "run as root (it starts dockerd instances)"
command -v dockerd >/dev/null || die "dockerd is not installed (apt-get install docker.io)"
[ -x /bin/busybox ] || die "busybox-static is not installed (apt-get install busybox-static)"
read -r -a CLUSTER_LIST <<<"$CLUSTERS"

WORK=$(mktemp -d /tmp/dl-rehearse.XXXXXX)
PIDS=()
started=$SECONDS

stop_pid() { # pid, seconds to wait before SIGKILL
    local pid=$1 wait=${2:-10}
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq $((wait * 5))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    [ $rc -ne 0 ] && [ -d "$WORK" ] && for f in "$WORK"/hub.log "$WORK"/collector-*.log "$WORK"/librato.jsonl.log; do
        [ -s "$f" ] && { echo "--- $(basename "$f") (last lines)" >&2; tail -8 "$f" >&2; }
    done
    for pid in "${PIDS[@]}"; do stop_pid "$pid" 25; done # collectors, hub, stand-in
    for h in $(seq 1 "$HOSTS"); do
        local d="$WORK/h$h"
        [ -S "$d/docker.sock" ] && ids=$("$DOCKER" -H "unix://$d/docker.sock" ps -aq 2>/dev/null) &&
            [ -n "$ids" ] && "$DOCKER" -H "unix://$d/docker.sock" rm -f $ids >/dev/null 2>&1
        [ -s "$d/docker.pid" ] && stop_pid "$(cat "$d/docker.pid")" 30
    done
    # Whatever the daemons left mounted under the work directory (netns, shm), innermost first.
    awk -v w="$WORK" '$2 ~ "^"w {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$WORK"
    [ $rc -eq 0 ] && log "rehearsal PASSED ($((SECONDS - started)) s), cleaned up" ||
        log "rehearsal FAILED ($((SECONDS - started)) s), cleaned up"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- binary and busybox image -----------------------------------------------------------------------------------------
if [ -z "$BINARY" ]; then
    build_binary
    BINARY=$DIST_BINARY
fi
[ -x "$BINARY" ] || die "no binary at $BINARY"
"$BINARY" collector --help 2>&1 | grep "USAGE: docker-librato collector" >/dev/null || die "$BINARY has no collector role yet"

rootfs="$WORK/busybox-rootfs"
mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc"
cp /bin/busybox "$rootfs/bin/busybox"
for app in $("$rootfs/bin/busybox" --list); do [ "$app" = busybox ] || ln -sf busybox "$rootfs/bin/$app"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"
tar -C "$rootfs" -cf "$WORK/busybox.tar" . && rm -rf "$rootfs"

# --- N "hosts" --------------------------------------------------------------------------------------------------------
log "starting $HOSTS dockerd instances under $WORK"
for h in $(seq 1 "$HOSTS"); do
    d="$WORK/h$h"
    mkdir -p "$d/data" "$d/exec" "$d/state"
    # Its own identity key: dockerd 20.10 derives the engine ID (/info ID, which the hub uses to tell engines apart)
    # from /etc/docker/key.json, shared by every daemon of the machine unless moved.
    printf '{"deprecated-key-path": "%s/key.json"}\n' "$d" >"$d/daemon.json"
    setsid dockerd --config-file "$d/daemon.json" --host "unix://$d/docker.sock" --data-root "$d/data" --exec-root "$d/exec" \
        --pidfile "$d/docker.pid" --storage-driver=vfs --iptables=false --bridge=none --ip-masq=false \
        >"$WORK/dockerd-h$h.log" 2>&1 </dev/null &
done
for h in $(seq 1 "$HOSTS"); do
    d="$WORK/h$h"
    wait_for 60 "$DOCKER" -H "unix://$d/docker.sock" version || die "dockerd h$h did not come up"
    "$DOCKER" -H "unix://$d/docker.sock" import -c 'CMD ["/bin/sh"]' "$WORK/busybox.tar" local/busybox:latest >/dev/null
    for i in $(seq 1 "$PER_HOST"); do
        "$DOCKER" -H "unix://$d/docker.sock" run -d --name "h$h-app$i" --network none --label rehearsal=app \
            local/busybox sh -c "i=0; while true; do i=\$((i+1)); echo \"h$h app$i line \$i measure#work=\${i}ms\"; sleep 1; done" >/dev/null
    done
done
log "$HOSTS hosts up, $PER_HOST containers each"

# --- Librato stand-in, hub, collectors --------------------------------------------------------------------------------
"$BINARY" keygen >"$WORK/cluster.key"
printf 'deploy-test-token\n' >"$WORK/librato.token" # what start_fake_librato expects
fake_pid=$(start_fake_librato "$WORK/librato.jsonl" "$WORK/fake.port" 127.0.0.1:0)
PIDS+=("$fake_pid")
wait_for 20 test -s "$WORK/fake.port" || die "the Librato stand-in did not start"
fake_port=$(cat "$WORK/fake.port")
pull=$(free_port) ack=$(free_port) http=$(free_port)
[ "$ack" != "$pull" ] || ack=$(free_port)

log "hub: PULL 127.0.0.1:$pull, REP 127.0.0.1:$ack, HTTP 127.0.0.1:$http, Librato stand-in 127.0.0.1:$fake_port"
mkdir -p "$WORK/hub-state"
env HUB_LISTEN="tcp://127.0.0.1:$pull" HUB_ACK_LISTEN="tcp://127.0.0.1:$ack" HTTP_LISTEN="127.0.0.1:$http" \
    STATE_DIR="$WORK/hub-state" CLUSTER_KEY_FILE="$WORK/cluster.key" CLUSTER_NAME=rehearsal-hub \
    LIBRATO_EMAIL=deploy-test@example.com LIBRATO_TOKEN_FILE="$WORK/librato.token" \
    LIBRATO_API_URL="http://127.0.0.1:$fake_port" LIBRATO_PERIOD=5000 HUB_STARTUP_GRACE=2 HUB_GRACE=1 \
    "$BINARY" hub >"$WORK/hub.log" 2>&1 </dev/null &
PIDS+=($!)
wait_for 30 "$BINARY" healthcheck --url "http://127.0.0.1:$http/healthz" || die "the hub did not turn healthy"

for h in $(seq 1 "$HOSTS"); do
    cluster=${CLUSTER_LIST[$(((h - 1) % ${#CLUSTER_LIST[@]}))]}
    env DOCKER_HOST="unix://$WORK/h$h/docker.sock" HUB_ADDRESS="tcp://127.0.0.1:$pull" \
        HUB_ACK_ADDRESS="tcp://127.0.0.1:$ack" CLUSTER_KEY_FILE="$WORK/cluster.key" CLUSTER_NAME="$cluster" \
        HOST_NAME="host$h" STATE_DIR="$WORK/h$h/state" STATS_INTERVAL=1 \
        "$BINARY" collector >"$WORK/collector-h$h.log" 2>&1 </dev/null &
    PIDS+=($!)
    log "collector for host$h (cluster $cluster) started"
done

# --- wait until every container is seen under its cluster -------------------------------------------------------------
check() {
    python3 "$REPO_ROOT/deploy/testing/fake_librato.py" summary --record "$WORK/librato.jsonl" --json |
        python3 -c '
import json, sys
hosts, per_host, clusters = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split()
s = json.load(sys.stdin)
seen = {}  # container -> set of (cluster, host) from CLUSTER:HOST:CONTAINER sources
for src in s["sources"]:
    parts = src.split(":")
    if len(parts) >= 3:
        seen.setdefault(parts[-1], set()).add((parts[0], parts[1]))
missing, wrong = [], []
for h in range(1, hosts + 1):
    want = (clusters[(h - 1) % len(clusters)], f"host{h}")
    for i in range(1, per_host + 1):
        got = seen.get(f"h{h}-app{i}")
        if not got:
            missing.append(f"h{h}-app{i}")
        elif got != {want}:
            wrong.append(f"h{h}-app{i}: {sorted(got)} (want {want})")
if wrong:
    print("WRONG " + "; ".join(wrong))
    sys.exit(2)
print("missing: " + (" ".join(missing) if missing else "none"))
sys.exit(1 if missing else 0)' "$HOSTS" "$PER_HOST" "$CLUSTERS"
}
log "waiting (up to ${TIMEOUT}s) for every container's metrics under its host's cluster"
deadline=$((SECONDS + TIMEOUT))
while :; do
    set +e
    out=$(check)
    rc=$?
    set -e
    [ $rc -eq 0 ] && break
    [ $rc -eq 2 ] && die "metrics under the wrong cluster or host: $out"
    [ $SECONDS -lt $deadline ] || die "timed out; $out"
    sleep 2
done
log "every container reached the stand-in under its cluster"
[ "$LINGER" -gt 0 ] && { log "lingering ${LINGER}s"; sleep "$LINGER"; }

# --- summary ----------------------------------------------------------------------------------------------------------
echo
echo "=== docker-librato rehearsal: $HOSTS hosts, $((HOSTS * PER_HOST)) containers, clusters: $CLUSTERS"
for h in $(seq 1 "$HOSTS"); do
    printf '  host%-3s cluster %-14s containers: %s\n' "$h" "${CLUSTER_LIST[$(((h - 1) % ${#CLUSTER_LIST[@]}))]}" \
        "$("$DOCKER" -H "unix://$WORK/h$h/docker.sock" ps --format '{{.Names}}' | sort | tr '\n' ' ')"
done
echo "--- at the Librato stand-in"
python3 "$REPO_ROOT/deploy/testing/fake_librato.py" summary --record "$WORK/librato.jsonl" | sed 's/^/  /'
echo "--- hub /status.json"
python3 - "http://127.0.0.1:$http/status.json" <<'EOF'
import json, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1]))
print(f"  containers {s['containers']}, frames applied {s['frames_applied']}, duplicate {s['frames_duplicate']}, "
      f"measurements accepted {s['measurements_accepted']}, pending periods {s['pending_periods']}")
for c in s["collectors"]:
    print(f"  collector {c['host']:<8} cluster {c['cluster']:<14} frames {c['frames']:<5} acked through {c['acked_through']:<5} "
          f"spool {c['spool_frames']}")
EOF
echo
